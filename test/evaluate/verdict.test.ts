import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { matchRule } from "../../src/evaluate/match.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { confirmFailures, evaluateRules, evaluateState } from "../../src/evaluate/verdict.js";
import { Field, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
/** exeFile read: the running file is (or is not) the one at its path. */
const sameFile = { exeFile: { running: { dev: 2049, ino: 77 }, atPath: { dev: 2049, ino: 77 } }, readMask: Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile };
const otherFile = { ...sameFile, exeFile: { running: { dev: 2049, ino: 99 }, atPath: { dev: 2049, ino: 77 } } };
/** Replaced since start: another inode by design; on the mount the path resolves to (26), or not. */
const replaced = (mount: number) => ({ ...sameFile, exeFile: { ...otherFile.exeFile, mounts: { running: mount, atPath: 26 } } });
const script = (root: "same" | "other") => ({ scriptFile: { held: [], root }, readMask: Field.status | Field.cmdline | Field.exe | Field.label | Field.scriptFile });
const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const snap = (processes: ProcessRecord[], extra: Partial<Snapshot> = {}): Snapshot => ({
  atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0, ...extra,
});

describe("evaluateState: ok only if every undecided outcome stays in range", () => {
  const cases: [{ min?: number; max?: number }, number, number, string][] = [
    [{ min: 1 }, 1, 0, "ok"],
    [{ min: 1 }, 0, 0, "fail"],
    [{ min: 1 }, 0, 2, "unknown"],
    [{ min: 1 }, 1, 5, "ok"],
    [{ max: 0 }, 0, 0, "ok"],
    [{ max: 0 }, 1, 0, "fail"],
    [{ max: 0 }, 0, 1, "unknown"],
    [{ min: 1, max: 1 }, 2, 0, "fail"],
    [{ min: 1, max: 1 }, 1, Infinity, "unknown"],
    [{ min: 2 }, 0, 1, "fail"],
    [{ min: 1 }, 3, Infinity, "ok"],
  ];
  for (const [range, count, undecided, state] of cases) {
    test(`${JSON.stringify(range)} count ${count} undecided ${undecided} → ${state}`, () => assert.equal(evaluateState(range, count, undecided), state));
  }
});

describe("matching", () => {
  const cases: [string, ProcessRecord, string][] = [
    ["sshd:1-", proc({ pid: 10, comm: "sshd" }), "yes"],
    ["sshd:1-", proc({ pid: 10, comm: "sshd", state: "Z", threads: 1 }), "near"],
    ["sshd:1-", proc({ pid: 10, comm: "sshd", state: "Z", threads: 3 }), "yes"],
    ["sshd:1-", proc({ pid: 10, comm: "(sshd)" }), "no"],
    ["sshd:1-", proc({ pid: 10, comm: "/usr/sbin/sshd " }), "no"],
    ["sshd:1-,user=root", proc({ pid: 10, comm: "sshd", uids: ids(65534, 0) }), "near"],
    ["sshd:1-,user=root", proc({ pid: 10, comm: "sshd", uids: ids(0, 0, 65534) }), "yes"],
    ["sshd:1-,group=adm", proc({ pid: 10, comm: "sshd", gids: ids(4) }), "yes"],
    ["foo.py:1-", proc({ pid: 10, comm: "python3", argv: ["python3", "-u", "/usr/local/bin/foo.py"] }), "yes"],
    ["-u:1-", proc({ pid: 10, comm: "python3", argv: ["python3", "-u", "/usr/local/bin/foo.py"] }), "no"],
    ["python3:1-", proc({ pid: 10, comm: "python3", argv: ["python3", "-u", "/usr/local/bin/foo.py"] }), "no"],
    ["python3:1-", proc({ pid: 10, comm: "python3", argv: ["python3"] }), "yes"],
    ["cron:1-", proc({ pid: 10, comm: "python3", argv: ["python3", "/tmp/cron"] }), "yes"],
    ["systemd-journald:1-1", proc({ pid: 10, comm: "systemd-journal", exe: { path: "/usr/lib/systemd/systemd-journald", deleted: false } }), "yes"],
    ["systemd-journald:1-1", proc({ pid: 10, comm: "systemd-journal", exe: { path: "/usr/lib/systemd/systemd-journalx", deleted: false }, argv: ["x"] }), "no"],
    ["systemd-journald:1-1", proc({ pid: 10, comm: "systemd-journal", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" }, argv: ["/lib/systemd/systemd-journald"] }), "yes"],
    ["systemd-journald:1-1", proc({ pid: 10, comm: "systemd-journal", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" }, argv: ["other"] }), "unknown"],
    ["kworker/0:1:1-", proc({ pid: 10, comm: "kworker/0:1", isKernelThread: true, exe: undefined, hasNoExe: true, argv: [] }), "yes"],
    ["0:1:1-", proc({ pid: 10, comm: "kworker/0:1", isKernelThread: true, exe: undefined, hasNoExe: true, argv: [] }), "no"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/postfix/sbin/master", deleted: false }, ...sameFile }), "yes"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/postfix/sbin/master", deleted: true }, ...replaced(26) }), "yes"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/postfix/sbin/master", deleted: true }, ...replaced(65) }), "near"],
    // the exe path matched but the file is another one (a bind mount in a user namespace)
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/postfix/sbin/master", deleted: false }, ...otherFile }), "near"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/postfix/sbin/master", deleted: false } }), "need"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: { path: "/usr/lib/dovecot/master", deleted: false } }), "no"],
    ["/usr/lib/postfix/sbin/master:1-1", proc({ pid: 10, comm: "master", exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } }), "unknown"],
    ["/usr/local/bin/foo.py:1-", proc({ pid: 10, comm: "python3", exe: { path: "/usr/bin/python3.11", deleted: false }, argv: ["python3", "/usr/local/bin/foo.py"], ...script("same") }), "yes"],
    ["/usr/local/bin/foo.py:1-", proc({ pid: 10, comm: "python3", exe: { path: "/usr/bin/python3.11", deleted: false }, argv: ["python3", "/usr/local/bin/foo.py"], ...script("other") }), "near"],
    ["/usr/local/bin/foo.py:1-", proc({ pid: 10, comm: "python3", exe: { path: "/usr/bin/python3.11", deleted: false }, argv: ["python3", "/usr/local/bin/foo.py"] }), "need"],
    ["x:1-,exe=/usr/bin/*", proc({ pid: 10, comm: "x", exe: { path: "/tmp/x", deleted: false } }), "near"],
    ["x:1-,args=--config=/etc/x\\.conf", proc({ pid: 10, comm: "x", argv: ["x", "--config=/etc/x.conf"] }), "yes"],
    ["x:1-,args=^x -d$", proc({ pid: 10, comm: "x", argv: ["x", "-f"] }), "near"],
    ["x:1-,label=*:init_t:*", proc({ pid: 10, comm: "x", labels: [{ module: "selinux", raw: "system_u:system_r:init_t:s0", domain: "init_t" }] }), "yes"],
    ["x:1-,label=*:init_t:*", proc({ pid: 10, comm: "x", labels: undefined, unknownMask: Field.label, unknownWhy: { label: "EINVAL" } }), "unknown"],
    // a definite mismatch on one qualifier decides even when another is unreadable
    ["x:1-,user=root,exe=/usr/bin/x", proc({ pid: 10, comm: "x", uids: ids(1000), exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } }), "near"],
  ];
  for (const [arg, p, kind] of cases) {
    test(`${arg} vs ${JSON.stringify(p.comm)} ${p.argv?.join(" ") ?? ""} → ${kind}`, () => assert.equal(matchRule(rule(arg), p, ctx).kind, kind));
  }

  test("a field not read yet is asked for, not guessed", () => {
    const p = proc({ pid: 10, comm: "sshd", uids: undefined, gids: undefined, readMask: 0 });
    assert.deepEqual(matchRule(rule("sshd:1-,user=root"), p, ctx), { kind: "need", fields: Field.status });
    assert.deepEqual(matchRule(rule("cron:1-,user=root"), p, ctx), { kind: "no" });
    const py = proc({ pid: 11, comm: "python3", argv: undefined, readMask: 0 });
    assert.deepEqual(matchRule(rule("foo.py:1-"), py, ctx), { kind: "need", fields: Field.cmdline });
  });

  test("near-miss reasons name the qualifier and the ids", () => {
    const o = matchRule(rule("sshd:1-,user=root"), proc({ pid: 10, comm: "sshd", uids: ids(65534, 0) }), ctx);
    assert.deepEqual(o, { kind: "near", reason: "user=root: real uid 65534, effective uid 0" });
  });

  test("procwatch's own processes never count", () => {
    assert.equal(matchRule(rule("node:1-"), proc({ pid: 42, comm: "node" }), { ...ctx, excluded: new Set([42]) }).kind, "no");
  });
});

describe("evaluateRules", () => {
  const procs = [
    proc({ pid: 1, comm: "sshd" }),
    proc({ pid: 2, comm: "sshd", uids: ids(65534) }),
    proc({ pid: 3, comm: "cron" }),
    proc({ pid: 4, comm: "sshd", state: "Z" }),
  ];
  test("counts, near misses and states per rule, in rule order", () => {
    const verdicts = evaluateRules([rule("sshd:1-,user=root"), rule("cron:2-"), rule("telnetd:0-0")], snap(procs), ctx);
    assert.deepEqual(verdicts.map((v) => [v.rule.label, v.state, v.count, v.nearMisses.map((n) => n.process.pid)]), [
      ["sshd,user=root", "ok", 1, [2, 4]],
      ["cron", "fail", 1, []],
      ["telnetd", "ok", 0, []],
    ]);
  });

  test("hidden processes make a must-not-run rule unknown, never ok", () => {
    const hidden = snap(procs, { visibility: { kind: "hidden", reason: "proc is mounted hidepid=2" } });
    const [must, atLeast] = evaluateRules([rule("telnetd:0-0"), rule("cron:1-")], hidden, ctx);
    assert.equal(must?.state, "unknown");
    assert.equal(must?.hiddenWhy, "proc is mounted hidepid=2");
    assert.equal(atLeast?.state, "ok");
  });

  test("unreadable processes (hidepid=1) are undecided for every rule", () => {
    const [v] = evaluateRules([rule("cron:2-")], snap(procs, { unreadable: 3 }), ctx);
    assert.equal(v?.state, "unknown");
    assert.equal(v?.undecided, 3);
  });

  test("--recheck keeps only failures seen in both scans", () => {
    const r = [rule("sshd:1-"), rule("cron:1-"), rule("tor:1-")];
    const first = evaluateRules(r, snap([proc({ pid: 1, comm: "sshd" })]), ctx);
    const second = evaluateRules(r, snap([proc({ pid: 3, comm: "cron" })]), ctx);
    assert.deepEqual(confirmFailures(first, second).map((v) => v.state), ["ok", "ok", "fail"]);
  });
});
