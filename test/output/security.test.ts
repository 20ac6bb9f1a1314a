// Table tests of the security output pieces: tokens, headlines, Nagios phrase and perfdata.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SecurityReport, SecurityResult } from "../../src/evaluate/security.js";
import { securityHeadline, securityPerfItems, securityPhrase, securityTokens } from "../../src/output/security.js";
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
