// Table tests of the security checks on record literals: gid 0 without uid 0, deleted exe, the
// SELinux init_t/initrc_t domains and enforcing mode, exemptions, undecided processes, recheck.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { confirmSecurity, DEFAULT_DELETED_EXE_IGNORE, evaluateSecurity, type SecurityCheckName, securityFieldsNeeded, type SecuritySettings } from "../../src/evaluate/security.js";
import { Field, type ProcessRecord, type SecurityLabel, type Snapshot } from "../../src/procfs/types.js";
import type { EnforceReading } from "../../src/procfs/selinuxfs.js";
import { ids, proc } from "../helpers/records.js";

const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>([999]) };
const snap = (processes: ProcessRecord[], extra: Partial<Snapshot> = {}): Snapshot => ({
  atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0, ...extra,
});
const settings = (checks: SecurityCheckName[], more: Partial<SecuritySettings> = {}): SecuritySettings => ({
  checks, exemptNames: new Set(), exemptUids: new Set(), deletedExeIgnore: DEFAULT_DELETED_EXE_IGNORE, ...more,
});
/** state and offender PIDs of the only requested check */
function run(check: SecurityCheckName, processes: ProcessRecord[], more: Partial<SecuritySettings> = {}, enforce?: EnforceReading) {
  const r = evaluateSecurity(snap(processes), settings([check], more), ctx, enforce).results[0];
  assert.ok(r !== undefined);
  return { state: r.state, pids: r.offenders.map((o) => o.process.pid), exempted: r.exempted, undecided: r.undecided, why: r.undecidedWhy, note: r.note };
}

/** An SELinux label as procfs/lsm parses it: the type is the domain. */
const se = (type: string, level = "s0"): SecurityLabel => ({ module: "selinux", raw: `system_u:system_r:${type}:${level}`, domain: type });
const unconfined: SecurityLabel = { module: "apparmor", raw: "unconfined", domain: "unconfined" };

describe("gid0-not-uid0", () => {
  const g = (pid: number, uids: ReturnType<typeof ids>, gids: ReturnType<typeof ids>, extra: Partial<ProcessRecord> = {}) => proc({ pid, comm: `p${pid}`, uids, gids, ...extra });
  const cases: [string, ProcessRecord, "ok" | "fail" | "unknown"][] = [
    ["real gid 0, uid 65534", g(10, ids(65534), ids(0)), "fail"],
    ["effective gid 0 only (setgid root binary)", g(11, ids(1000), ids(1000, 0, 0)), "fail"],
    ["saved gid 0 only", g(12, ids(1000), ids(1000, 1000, 0)), "fail"],
    ["root with gid 0", g(13, ids(0), ids(0)), "ok"],
    ["setuid root (euid 0) is not this check's business", g(14, ids(65534, 0, 0), ids(0)), "ok"],
    ["real uid 0, effective not", g(15, ids(0, 1000, 1000), ids(0)), "ok"],
    ["no gid 0", g(16, ids(1000), ids(1000)), "ok"],
    ["status unreadable → undecided", proc({ pid: 17, comm: "x", uids: undefined, gids: undefined, unknownMask: Field.status, unknownWhy: { status: "EACCES" } }), "unknown"],
    ["kernel thread never counts", g(18, ids(65534), ids(0), { isKernelThread: true }), "ok"],
    ["zombie never counts", g(19, ids(65534), ids(0), { state: "Z" }), "ok"],
    ["procwatch itself never counts", g(999, ids(65534), ids(0)), "ok"],
  ];
  for (const [what, rec, want] of cases) test(what, () => assert.equal(run("gid0-not-uid0", [rec]).state, want));

  test("undecided says why; offenders still fail the check", () => {
    const unreadable = proc({ pid: 17, comm: "x", uids: undefined, gids: undefined, unknownMask: Field.status, unknownWhy: { status: "EACCES" } });
    assert.deepEqual(run("gid0-not-uid0", [unreadable]), { state: "unknown", pids: [], exempted: 0, undecided: 1, why: "ids unreadable (EACCES)", note: undefined });
    assert.equal(run("gid0-not-uid0", [unreadable, g(10, ids(65534), ids(0))]).state, "fail");
  });
});

describe("deleted-exe", () => {
  const d = (pid: number, path: string, deleted: boolean, extra: Partial<ProcessRecord> = {}) => proc({ pid, comm: `d${pid}`, exe: { path, deleted }, ...extra });
  const cases: [string, ProcessRecord[], Partial<SecuritySettings>, { state: string; pids: number[] }][] = [
    ["a replaced binary is reported", [d(20, "/usr/sbin/sshd", true), d(21, "/usr/sbin/cron", false)], {}, { state: "fail", pids: [20] }],
    ["memfd executables are ignored by default", [d(22, "/memfd:runc_cloned:/proc/self/exe", true)], {}, { state: "ok", pids: [] }],
    ["a deleted binary under /tmp is reported (not ignored by default)", [d(23, "/tmp/x/sleep", true)], {}, { state: "fail", pids: [23] }],
    ["--deleted-exe-ignore /tmp/", [d(23, "/tmp/x/sleep", true)], { deletedExeIgnore: [...DEFAULT_DELETED_EXE_IGNORE, "/tmp/"] }, { state: "ok", pids: [] }],
    ["max uid: a user's process above it is not reported", [d(24, "/usr/bin/vim", true, { uids: ids(1000) }), d(25, "/usr/sbin/ntpd", true, { uids: ids(104) })], { deletedExeMaxUid: 999 }, { state: "fail", pids: [25] }],
    ["max uid: the ceiling itself is included", [d(26, "/usr/sbin/x", true, { uids: ids(999) })], { deletedExeMaxUid: 999 }, { state: "fail", pids: [26] }],
    ["kernel threads never count", [proc({ pid: 2, comm: "kthreadd", isKernelThread: true, exe: undefined, hasNoExe: true })], {}, { state: "ok", pids: [] }],
    ["no exe (exited leader) is fine", [proc({ pid: 27, comm: "z", exe: undefined, hasNoExe: true })], {}, { state: "ok", pids: [] }],
    ["exe unreadable → unknown, never a silent pass", [proc({ pid: 28, comm: "u", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } })], {}, { state: "unknown", pids: [] }],
    ["exe unreadable but above the uid ceiling → fine", [proc({ pid: 29, comm: "u", uids: ids(1000), exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } })], { deletedExeMaxUid: 999 }, { state: "ok", pids: [] }],
    ["an offender with undecided others still fails", [d(20, "/usr/sbin/sshd", true), proc({ pid: 28, comm: "u", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } })], {}, { state: "fail", pids: [20] }],
  ];
  for (const [what, recs, more, want] of cases) {
    test(what, () => {
      const r = run("deleted-exe", recs, more);
      assert.deepEqual({ state: r.state, pids: r.pids }, want);
    });
  }

  test("undecided count and reason", () => {
    const u = (pid: number) => proc({ pid, comm: "u", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } });
    const r = run("deleted-exe", [u(30), u(31)]);
    assert.deepEqual([r.undecided, r.why], [2, "exe unreadable (EACCES)"]);
  });

  test("the undecided processes are listed with the name they are counted by and why", () => {
    const u = proc({ pid: 32, comm: "u", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } });
    const script = proc({ pid: 33, comm: "python3", argv: ["python3", "/opt/pwthief.py"], exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EPERM" } });
    const r = evaluateSecurity(snap([u, script, d(34, "/usr/sbin/ok", false)]), settings(["deleted-exe"]), ctx).results[0];
    assert.deepEqual(r?.undecidedProcesses?.map((x) => [x.process.pid, x.name, x.why]), [[32, "u", "exe unreadable (EACCES)"], [33, "pwthief.py", "exe unreadable (EPERM)"]]);
    const labels = evaluateSecurity(snap([proc({ pid: 35, comm: "l", labels: undefined, unknownMask: Field.label, unknownWhy: { label: "EACCES" } })]), settings(["selinux-initrc-t"]), ctx).results[0];
    assert.deepEqual(labels?.undecidedProcesses?.map((x) => [x.process.pid, x.name, x.why]), [[35, "l", "label unreadable (EACCES)"]]);
  });

  test("hidepid: processes we cannot see leave the check unknown", () => {
    const r = evaluateSecurity(snap([d(21, "/usr/sbin/cron", false)], { visibility: { kind: "hidden", reason: "hidepid=2" } }), settings(["deleted-exe"]), ctx).results[0];
    assert.deepEqual([r?.state, r?.undecided, r?.undecidedWhy], ["unknown", Infinity, "hidepid=2"]);
  });
});

describe("exemptions apply to every check", () => {
  const recs = [
    proc({ pid: 40, comm: "sshd", exe: { path: "/usr/sbin/sshd", deleted: true } }),
    proc({ pid: 41, comm: "games", uids: ids(5), gids: ids(0), exe: { path: "/usr/games/x", deleted: true } }),
    proc({ pid: 42, comm: "python3", argv: ["python3", "/usr/bin/agent.py"], exe: { path: "/usr/bin/python3.11", deleted: true } }),
  ];
  const cases: [string, Partial<SecuritySettings>, SecurityCheckName, number[], number][] = [
    ["no exemption", {}, "deleted-exe", [40, 41, 42], 0],
    ["by name", { exemptNames: new Set(["sshd"]) }, "deleted-exe", [41, 42], 1],
    ["by the counted (script) name", { exemptNames: new Set(["agent.py"]) }, "deleted-exe", [40, 41], 1],
    ["by real uid", { exemptUids: new Set([5]) }, "deleted-exe", [40, 42], 1],
    ["by real uid, gid0 check", { exemptUids: new Set([5]) }, "gid0-not-uid0", [], 1],
  ];
  for (const [what, more, check, pids, exempted] of cases) {
    test(what, () => {
      const r = run(check, recs, more);
      assert.deepEqual([r.pids, r.exempted], [pids, exempted]);
    });
  }
});

describe("per-check exemptions apply to their check only, on top of the ones for all", () => {
  const recs = [
    proc({ pid: 40, comm: "sshd", exe: { path: "/usr/sbin/sshd", deleted: true } }),
    proc({ pid: 41, comm: "games", uids: ids(5), gids: ids(0), exe: { path: "/usr/games/x", deleted: true } }),
    proc({ pid: 43, comm: "vim", uids: ids(1000), gids: ids(0), exe: { path: "/usr/bin/vim.basic", deleted: true } }),
  ];
  const only = (names: string[], uids: number[] = []) => ({ exemptNames: new Set(names), exemptUids: new Set(uids) });
  const cases: [string, Partial<SecuritySettings>, SecurityCheckName, number[], number][] = [
    ["deleted-exe's own name exemption", { perCheck: { "deleted-exe": only(["vim"]) } }, "deleted-exe", [40, 41], 1],
    ["... does not reach gid0-not-uid0", { perCheck: { "deleted-exe": only(["vim"]) } }, "gid0-not-uid0", [41, 43], 0],
    ["gid0-not-uid0's own uid exemption", { perCheck: { "gid0-not-uid0": only([], [5]) } }, "gid0-not-uid0", [43], 1],
    ["... does not reach deleted-exe", { perCheck: { "gid0-not-uid0": only([], [5]) } }, "deleted-exe", [40, 41, 43], 0],
    ["with the exemptions for all", { exemptNames: new Set(["sshd"]), perCheck: { "deleted-exe": only([], [1000]) } }, "deleted-exe", [41], 2],
    ["an exemption in both counts once", { exemptNames: new Set(["vim"]), perCheck: { "deleted-exe": only(["vim"]) } }, "deleted-exe", [40, 41], 1],
  ];
  for (const [what, more, check, pids, exempted] of cases) {
    test(what, () => {
      const r = run(check, recs, more);
      assert.deepEqual([r.pids, r.exempted], [pids, exempted]);
    });
  }

  test("SELinux checks honour their own exemptions", () => {
    const recs2 = [proc({ pid: 1, comm: "systemd", labels: [se("init_t")] }), proc({ pid: 60, comm: "legacyd", labels: [se("initrc_t")] })];
    assert.deepEqual(run("selinux-initrc-t", recs2, { perCheck: { "selinux-initrc-t": only(["legacyd"]) } }), {
      state: "ok", pids: [], exempted: 1, undecided: 0, why: undefined, note: undefined,
    });
    assert.deepEqual(run("selinux-initrc-t", recs2, { perCheck: { "selinux-init-t": only(["legacyd"]) } }).pids, [60]);
  });
});

describe("SELinux domains", () => {
  const l = (pid: number, type: string, extra: Partial<ProcessRecord> = {}) => proc({ pid, comm: `s${pid}`, labels: [se(type)], ...extra });
  const noLsm = (pid: number) => proc({ pid, comm: `n${pid}`, labels: undefined, unknownMask: Field.label, unknownWhy: { label: "EINVAL" } });
  const cases: [string, SecurityCheckName, ProcessRecord[], { state: string; pids: number[] }][] = [
    ["init alone in init_t", "selinux-init-t", [l(1, "init_t"), l(50, "sshd_t")], { state: "ok", pids: [] }],
    ["a second process in init_t fails; init itself is not named", "selinux-init-t", [l(1, "init_t"), l(51, "init_t")], { state: "fail", pids: [51] }],
    ["two in init_t, neither pid 1 (a container): both named", "selinux-init-t", [l(7, "init_t"), l(8, "init_t")], { state: "fail", pids: [7, 8] }],
    ["one in init_t that is not pid 1 is fine", "selinux-init-t", [l(7, "init_t")], { state: "ok", pids: [] }],
    ["initrc_t: any process fails", "selinux-initrc-t", [l(1, "init_t"), l(52, "initrc_t")], { state: "fail", pids: [52] }],
    ["initrc_t: none", "selinux-initrc-t", [l(1, "init_t")], { state: "ok", pids: [] }],
    ["the level keeps its ':'", "selinux-initrc-t", [proc({ pid: 53, comm: "x", labels: [se("initrc_t", "s0-s0:c0.c1023")] })], { state: "fail", pids: [53] }],
    ["no LSM: not applicable", "selinux-init-t", [noLsm(1), noLsm(2)], { state: "not-applicable", pids: [] }],
    ["AppArmor labels: not applicable", "selinux-initrc-t", [proc({ pid: 1, comm: "systemd", labels: [unconfined] })], { state: "not-applicable", pids: [] }],
    ["stacked AppArmor and SELinux labels: the SELinux one counts", "selinux-initrc-t", [proc({ pid: 55, comm: "st", labels: [unconfined, se("initrc_t")] })], { state: "fail", pids: [55] }],
    ["an empty label read (no label) is not SELinux", "selinux-initrc-t", [proc({ pid: 56, comm: "e", labels: [] })], { state: "not-applicable", pids: [] }],
    ["label unreadable: unknown", "selinux-initrc-t", [l(1, "init_t"), proc({ pid: 54, comm: "y", labels: undefined, unknownMask: Field.label, unknownWhy: { label: "EACCES" } })], { state: "unknown", pids: [] }],
  ];
  for (const [what, check, recs, want] of cases) {
    test(what, () => {
      const r = run(check, recs);
      assert.deepEqual({ state: r.state, pids: r.pids }, want);
    });
  }

  test("not applicable says why", () => {
    assert.equal(run("selinux-init-t", [noLsm(1)]).note, "not applicable (no security module active)");
    assert.equal(run("selinux-init-t", [proc({ pid: 1, comm: "systemd", labels: [unconfined] })]).note, "not applicable (SELinux not active: labels are from another security module)");
  });
});

describe("selinux-enforcing", () => {
  const cases: [string, EnforceReading, string][] = [
    ["enforcing", { kind: "value", enforcing: true }, "ok"],
    ["permissive", { kind: "value", enforcing: false }, "fail"],
    ["no selinuxfs", { kind: "absent", path: "/sys/fs/selinux/enforce" }, "not-applicable"],
    ["unreadable", { kind: "unknown", path: "/x/enforce", why: "EACCES" }, "unknown"],
  ];
  for (const [what, reading, want] of cases) test(what, () => assert.equal(run("selinux-enforcing", [], {}, reading).state, want));
});

describe("fields the scan plan asks for", () => {
  const blank = (extra: Partial<ProcessRecord> = {}) => proc({ pid: 60, comm: "x", readMask: 0, uids: undefined, gids: undefined, exe: undefined, labels: undefined, argv: undefined, ...extra });
  const cases: [string, SecurityCheckName[], ProcessRecord, number][] = [
    ["gid0 reads status of every process", ["gid0-not-uid0"], blank(), Field.status],
    ["deleted-exe reads exe of every process", ["deleted-exe"], blank(), Field.exe],
    ["SELinux checks read the label", ["selinux-init-t"], blank(), Field.label],
    ["enforcing alone reads nothing per process", ["selinux-enforcing"], blank(), 0],
    ["a deleted exe then needs its user", ["deleted-exe"], blank({ readMask: Field.exe, exe: { path: "/x", deleted: true } }), Field.status],
    ["an interpreter offender also needs its script", ["deleted-exe"], blank({ comm: "python3", readMask: Field.exe, exe: { path: "/x", deleted: true } }), Field.status | Field.cmdline],
    ["a fine process needs nothing more", ["deleted-exe"], blank({ readMask: Field.exe, exe: { path: "/x", deleted: false } }), 0],
    ["kernel threads need nothing", ["gid0-not-uid0", "deleted-exe"], blank({ isKernelThread: true }), 0],
  ];
  for (const [what, checks, rec, want] of cases) test(what, () => assert.equal(securityFieldsNeeded(rec, settings(checks), ctx), want));
});

describe("confirmSecurity (--recheck)", () => {
  const del = (pid: number, startTicks: number) => proc({ pid, comm: "x", startTicks, exe: { path: "/x", deleted: true } });
  test("only offenders seen in both scans (pid + start time) remain", () => {
    const s = settings(["deleted-exe", "selinux-enforcing"]);
    const first = evaluateSecurity(snap([del(70, 1), del(71, 1)]), s, ctx, { kind: "value", enforcing: true });
    const second = evaluateSecurity(snap([del(70, 1), del(71, 2), del(72, 1)]), s, ctx, { kind: "value", enforcing: false });
    const confirmed = confirmSecurity(first, second);
    assert.deepEqual(confirmed.results.map((r) => [r.check, r.state, r.offenders.map((o) => o.process.pid)]), [
      ["deleted-exe", "fail", [70]],
      ["selinux-enforcing", "ok", []],
    ]);
  });
});
