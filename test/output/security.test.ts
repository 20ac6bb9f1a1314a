// Table tests of the security output pieces: tokens, headlines, Nagios phrase and perfdata, and
// the detail and json lists of offenders and undecided processes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SecurityReport, SecurityResult } from "../../src/evaluate/security.js";
import { securityHeadline, securityJson, securityLines, securityPerfItems, securityPhrase, securityTokens } from "../../src/output/security.js";
import { Field } from "../../src/procfs/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const names = fixtureAccounts();
const base = { offenders: [], exempted: 0, undecided: 0 };
const report = (...results: SecurityResult[]): SecurityReport => ({
  settings: { checks: results.map((r) => r.check), exemptNames: new Set(), exemptUids: new Set(), deletedExeIgnore: [] },
  results,
});
const offender = (pid: number, comm: string, uid: number) => ({ process: proc({ pid, comm, uids: ids(uid) }), name: comm });

describe("headlines", () => {
  const cases: [SecurityResult, string][] = [
    [{ ...base, check: "deleted-exe", state: "fail", offenders: [offender(1, "a", 0), offender(2, "b", 0)], exempted: 1 }, "security deleted-exe: 2 processes running a deleted or replaced executable; 1 exempt"],
    [{ ...base, check: "deleted-exe", state: "fail", offenders: [offender(1, "a", 0)], undecided: 3, undecidedWhy: "exe unreadable (EACCES)" }, "security deleted-exe: 1 process running a deleted or replaced executable; 3 not checked: exe unreadable (EACCES)"],
    [{ ...base, check: "deleted-exe", state: "unknown", undecided: 1, undecidedWhy: "exe unreadable (EACCES)" }, "security deleted-exe: unknown: 1 process could not be checked: exe unreadable (EACCES)"],
    [{ ...base, check: "gid0-not-uid0", state: "unknown", undecided: Infinity, undecidedWhy: "hidepid=2" }, "security gid0-not-uid0: unknown: an unknown number of processes could not be checked: hidepid=2"],
    [{ ...base, check: "selinux-init-t", state: "not-applicable", note: "not applicable (no security module active)" }, "security selinux-init-t: not applicable (no security module active)"],
    [{ ...base, check: "selinux-enforcing", state: "unknown", note: "/x/enforce unreadable (EACCES)" }, "security selinux-enforcing: unknown: /x/enforce unreadable (EACCES)"],
  ];
  for (const [r, want] of cases) test(want, () => assert.equal(securityHeadline(r), want));
});

describe("tokens, phrase and perfdata", () => {
  const r = report(
    { ...base, check: "gid0-not-uid0", state: "fail", offenders: [offender(9, "z z", 65534), offender(3, "a|b", 65534), offender(4, "a|b", 65534)] },
    { ...base, check: "deleted-exe", state: "unknown", undecided: 2 },
    { ...base, check: "selinux-init-t", state: "not-applicable" },
    { ...base, check: "selinux-enforcing", state: "fail", note: "SELinux is permissive (enforce reads 0)" },
  );
  test("sorted, distinct, escaped, no PIDs", () => assert.deepEqual(securityTokens(r, names), [
    "sec:deleted-exe:unknown", "sec:gid0-not-uid0:a%7Cb@nobody", "sec:gid0-not-uid0:z%20z@nobody", "sec:selinux-enforcing:permissive",
  ]));
  test("perfdata: one per applicable check, U when undecided", () => assert.deepEqual(securityPerfItems(r), [
    { label: "sec_gid0_not_uid0", value: "3" }, { label: "sec_deleted_exe", value: "U" }, { label: "sec_selinux_enforcing", value: "1" },
  ]));
  test("the OK phrase names what passed and what could not apply", () => {
    const ok = report({ ...base, check: "gid0-not-uid0", state: "ok" }, { ...base, check: "selinux-initrc-t", state: "not-applicable" });
    assert.equal(securityPhrase(ok, names), "security ok: gid0-not-uid0; not applicable: selinux-initrc-t");
  });
});

describe("undecided processes are named, capped like offenders", () => {
  const unreadable = (pid: number, comm: string, name = comm) => ({
    process: proc({ pid, comm, exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" }, countedName: name }),
    name,
    why: "exe unreadable (EACCES)",
  });
  const undecided = [unreadable(10, "sshd"), unreadable(11, "node", "pwacc-thief"), unreadable(12, "cron")];
  const unknown: SecurityResult = { ...base, check: "deleted-exe", state: "unknown", undecided: 3, undecidedWhy: "exe unreadable (EACCES)", undecidedProcesses: undecided };
  test("an unknown check lists its processes with pid, name, user and why", () => assert.deepEqual(securityLines(report(unknown), names, 10, true), [
    "security deleted-exe: unknown: 3 processes could not be checked: exe unreadable (EACCES)",
    "  undecided: pid 10 name sshd user root exe ? (EACCES): exe unreadable (EACCES)",
    "  undecided: pid 11 name pwacc-thief user root exe ? (EACCES): exe unreadable (EACCES)",
    "  undecided: pid 12 name cron user root exe ? (EACCES): exe unreadable (EACCES)",
  ]));
  test("offenders first, then the undecided, at most the limit in all", () => {
    const both: SecurityResult = { ...unknown, state: "fail", offenders: [offender(5, "ntpd", 0)] };
    assert.deepEqual(securityLines(report(both), names, 2, true), [
      "security deleted-exe: 1 process running a deleted or replaced executable; 3 not checked: exe unreadable (EACCES)",
      "  pid 5 name ntpd user root exe /usr/sbin/ntpd",
      "  undecided: pid 10 name sshd user root exe ? (EACCES): exe unreadable (EACCES)",
      "  ... and 2 more",
    ]);
  });
  test("json: at most the limit of each list, and the count of the rest", () => {
    const doc = securityJson(report(unknown), (p) => ({ pid: p.pid }), 2) as { checks: Record<string, unknown>[] };
    assert.deepEqual(doc.checks[0], {
      check: "deleted-exe", state: "unknown", offenders: [], moreOffenders: 0, exempted: 0, undecided: 3, undecidedWhy: "exe unreadable (EACCES)",
      undecidedProcesses: [{ pid: 10, name: "sshd", why: "exe unreadable (EACCES)" }, { pid: 11, name: "pwacc-thief", why: "exe unreadable (EACCES)" }],
      moreUndecided: 1,
    });
  });
});
