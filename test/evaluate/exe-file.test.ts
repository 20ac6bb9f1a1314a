// evaluateExeFile, evaluateScriptFile and path rules: a process counts for /PATH or exe= only if
// it provably runs the file at that path (same dev:inode; for a replaced executable, the mount the
// path resolves to here), an interpreter for its script only if the script it holds open is that
// file or it resolves paths from procwatch's root. Table tests on records.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluateExeFile } from "../../src/evaluate/exe-file.js";
import { evaluateScriptFile } from "../../src/evaluate/script-file.js";
import { matchRule } from "../../src/evaluate/match.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { Field, type ExeFileCheck, type ProcessRecord, type ScriptFileCheck } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile | Field.scriptFile;

/** tail at /usr/bin/tail whose running file is `running` and the file at the path `atPath`. */
function tail(exeFile: ExeFileCheck | undefined, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return proc({ pid: 50, comm: "tail", exe: { path: "/usr/bin/tail", deleted: false }, exeFile, readMask: ALL, ...extra });
}
const same: ExeFileCheck = { running: { dev: 65024, ino: 260935 }, atPath: { dev: 65024, ino: 260935 } };
const spoof: ExeFileCheck = { running: { dev: 65024, ino: 2148274 }, atPath: { dev: 65024, ino: 260935 }, mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" };
/** Replaced since start (" (deleted)"): on the mount the path resolves to here (26) or another. */
const replaced = (running: number | { error: string }, atPath: number | { error: string } = 26): ExeFileCheck => ({ ...spoof, mounts: { running, atPath } });
const deleted = { exe: { path: "/usr/bin/tail", deleted: true } };

describe("evaluateExeFile", () => {
  const cases: [string, ProcessRecord, unknown][] = [
    ["the same file", tail(same), { kind: "same", how: "the file at /usr/bin/tail here (same dev:inode)" }],
    ["another file (a bind mount in a user namespace)", tail(spoof), {
      kind: "other",
      reason: "exe /usr/bin/tail is another file than /usr/bin/tail here (dev:inode 65024:2148274, here 65024:260935); mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]",
    }],
    ["another file, namespaces unreadable", tail({ running: spoof.running, atPath: spoof.atPath }), {
      kind: "other", reason: "exe /usr/bin/tail is another file than /usr/bin/tail here (dev:inode 65024:2148274, here 65024:260935)",
    }],
    ["no file at that path here", tail({ running: { dev: 41, ino: 3 }, atPath: { error: "ENOENT" } }), {
      kind: "other", reason: "exe /usr/bin/tail: no such file here (ENOENT), so not the file this rule names",
    }],
    ["the path cannot be stat'ed: unknown", tail({ running: { dev: 41, ino: 3 }, atPath: { error: "EACCES" } }), { kind: "unknown", why: "cannot stat /usr/bin/tail (EACCES)" }],
    // a daemon pending restart after an upgrade: on the very mount /usr/bin/tail resolves to here
    ["replaced (deleted), on the mount of the path here: its own rule still counts it", tail(replaced(26), deleted), {
      kind: "same", how: "replaced or deleted since it started (pending restart): on mount 26, the mount /usr/bin/tail resolves to here",
    }],
    // case (a): a bind mount of a since-deleted file, same device, in a user namespace's mount
    ["replaced (deleted), on another mount (a user namespace's bind mount): never proven", tail(replaced(65), deleted), {
      kind: "other",
      reason: "exe /usr/bin/tail (deleted): replaced or deleted, and not proven to be the file that was at /usr/bin/tail here (it is on mount 65, /usr/bin/tail here on mount 26); mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]",
    }],
    // the same file run through that process's /proc/PID/root from procwatch's own namespace
    ["replaced (deleted), another mount, procwatch's own namespace", tail({ ...replaced(65), mountNs: "mnt:[4026531841]" }, deleted), {
      kind: "other", reason: "exe /usr/bin/tail (deleted): replaced or deleted, and not proven to be the file that was at /usr/bin/tail here (it is on mount 65, /usr/bin/tail here on mount 26)",
    }],
    ["replaced (deleted), its mount unreadable: undecided", tail(replaced({ error: "EACCES" }), deleted), { kind: "unknown", why: "exe /usr/bin/tail (deleted): its mount is unreadable (EACCES)" }],
    ["replaced (deleted), the path cannot be opened here: undecided", tail(replaced(26, { error: "ELOOP" }), deleted), { kind: "unknown", why: "exe /usr/bin/tail (deleted): cannot open /usr/bin/tail here (ELOOP)" }],
    ["replaced (deleted), mounts not read: undecided", tail(spoof, deleted), { kind: "unknown", why: "exe /usr/bin/tail (deleted): its mount was not read" }],
    ["deleted, and nothing at the path any more", tail({ running: { dev: 41, ino: 3 }, atPath: { error: "ENOENT" } }, deleted), {
      kind: "other", reason: "exe /usr/bin/tail (deleted): no such file here (ENOENT), so not the file this rule names",
    }],
    ["stat through the link refused", tail(undefined, { unknownMask: Field.exeFile, unknownWhy: { exeFile: "EACCES" } }), { kind: "unknown", why: "exe file unreadable (EACCES)" }],
  ];
  for (const [what, rec, want] of cases) test(what, () => assert.deepEqual(evaluateExeFile(rec), want));
});

describe("path selectors and exe= count only the file at the path", () => {
  const cases: [string, ProcessRecord, string][] = [
    ["/usr/bin/tail:0-0", tail(same), "yes"],
    ["/usr/bin/tail:0-0", tail(spoof), "near"],
    ["/usr/bin/*:0-0", tail(spoof), "near"],
    ["/usr/bin/tail:0-0", tail(replaced(26), deleted), "yes"],
    ["/usr/bin/tail:0-0", tail(replaced(65), deleted), "near"],
    ["tail:0-0,exe=/usr/bin/tail", tail(replaced(65), deleted), "near"],
    ["tail:0-0,exe=/usr/bin/tail", tail(replaced({ error: "EACCES" }), deleted), "unknown"],
    ["tail:0-0,exe=/usr/bin/tail", tail(same), "yes"],
    ["tail:0-0,exe=/usr/bin/tail", tail(spoof), "near"],
    ["tail:0-0,exe=/usr/bin/tail", tail(undefined, { unknownMask: Field.exeFile, unknownWhy: { exeFile: "EACCES" } }), "unknown"],
    // a name rule alone never stats anything
    ["tail:0-0", tail(undefined, { readMask: Field.exe }), "yes"],
    // a definite mismatch elsewhere decides before the file is compared
    ["tail:0-0,exe=/usr/bin/tail,user=nobody", tail(undefined, { readMask: ALL & ~Field.exeFile }), "near"],
  ];
  for (const [arg, rec, kind] of cases) test(`${arg} → ${kind}`, () => assert.equal(matchRule(rule(arg), rec, ctx).kind, kind));

  test("the file is compared only once the path matched, and asked for then", () => {
    const unread = tail(undefined, { readMask: ALL & ~Field.exeFile });
    assert.deepEqual(matchRule(rule("/usr/bin/tail:1-"), unread, ctx), { kind: "need", fields: Field.exeFile });
    assert.deepEqual(matchRule(rule("tail:1-,exe=/usr/bin/tail"), unread, ctx), { kind: "need", fields: Field.exeFile });
    assert.deepEqual(matchRule(rule("/usr/sbin/sshd:1-"), unread, ctx), { kind: "no" });
    assert.deepEqual(matchRule(rule("tail:1-,exe=/usr/sbin/sshd"), unread, ctx).kind, "near");
  });

  test("the near miss names both files and the qualifier", () => {
    assert.deepEqual(matchRule(rule("tail:1-,exe=/usr/bin/t*"), tail(spoof), ctx), {
      kind: "near",
      reason: "exe=/usr/bin/t*: exe /usr/bin/tail is another file than /usr/bin/tail here (dev:inode 65024:2148274, here 65024:260935); mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]",
    });
  });

  test("an interpreter's script is asked for only once its path matched", () => {
    const py = proc({ pid: 51, comm: "python3", exe: { path: "/usr/bin/python3.11", deleted: false }, argv: ["python3", "/usr/local/bin/foo.py"], readMask: ALL & ~Field.scriptFile });
    assert.deepEqual(matchRule(rule("/usr/local/bin/foo.py:1-"), py, ctx), { kind: "need", fields: Field.scriptFile });
    assert.deepEqual(matchRule(rule("/usr/local/bin/bar.py:1-"), py, ctx), { kind: "no" });
    assert.deepEqual(matchRule(rule("foo.py:1-"), py, ctx), { kind: "yes" }, "name rules need no file");
  });
});

const X = "/usr/local/sbin/x.pl";
/** perl running X with the given script-file facts. */
function perl(scriptFile: ScriptFileCheck | undefined, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return proc({ pid: 60, comm: "perl", exe: { path: "/usr/bin/perl", deleted: false }, argv: ["perl", "-w", X, "/etc/x.conf"], scriptFile, readMask: ALL, ...extra });
}
const atX = { dev: 65024, ino: 500 };
const fake = { dev: 65024, ino: 2147414 };
const ns = { mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" };
const held = (fd: number, file: { dev: number; ino: number }, f: { deleted?: boolean; path?: string; atPath?: { dev: number; ino: number } | { error: string } } = {}) =>
  ({ path: f.path ?? X, deleted: f.deleted ?? false, fd, file, atPath: f.atPath ?? atX });

describe("evaluateScriptFile", () => {
  const cases: [string, ProcessRecord, unknown][] = [
    ["held open, the file at the path", perl({ held: [held(3, atX)], root: "other", ...ns }), { kind: "same", how: `held open as fd 3, the file at ${X} here (same dev:inode 65024:500)` }],
    // case (b): in a user namespace with another file bound over X, perl holding it (__END__)
    ["held open, another file (a bind mount in a user namespace)", perl({ held: [held(3, fake)], root: "other", ...ns }), {
      kind: "other", reason: `script ${X} held open as fd 3 is another file than ${X} here (dev:inode 65024:2147414, here 65024:500); mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    }],
    // case (b) with the script closed after reading (perl without __END__, python, node)
    ["not held, another root: never proven", perl({ held: [], root: "other", ...ns }), {
      kind: "other", reason: `script ${X} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${X} here; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    }],
    ["not held, procwatch's root", perl({ held: [], root: "same" }), {
      kind: "same", how: "not held open; the process resolves paths from procwatch's root (same mount and directory), so argv names the path procwatch sees (not compared by dev:inode)",
    }],
    ["only another argv word held: the script is not", perl({ held: [held(4, { dev: 1, ino: 2 }, { path: "/etc/x.conf", atPath: { dev: 1, ino: 2 } })], root: "other", ...ns }), {
      kind: "other", reason: `script ${X} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${X} here; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    }],
    ["held but replaced since (deleted), procwatch's root: counts like a pending restart", perl({ held: [held(3, fake, { deleted: true })], root: "same" }), {
      kind: "same", how: "not held open; the process resolves paths from procwatch's root (same mount and directory), so argv names the path procwatch sees (not compared by dev:inode)",
    }],
    ["held but replaced since (deleted), another root", perl({ held: [held(3, fake, { deleted: true })], root: "other" }), {
      kind: "other", reason: `script ${X} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${X} here`,
    }],
    ["held, no such file here", perl({ held: [held(3, fake, { atPath: { error: "ENOENT" } })], root: "other", ...ns }), {
      kind: "other", reason: `script ${X}: no such file here (ENOENT), so not the file this rule names; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    }],
    ["held, the path cannot be stat'ed: undecided", perl({ held: [held(3, fake, { atPath: { error: "EACCES" } })], root: "same" }), { kind: "unknown", why: `cannot stat ${X} (EACCES)` }],
    ["root unreadable (another user's process, not root): undecided", perl({ held: [], heldError: "EACCES", root: { error: "EACCES" } }), {
      kind: "unknown", why: `script ${X} open files unreadable (EACCES), and the process's root is unreadable (EACCES)`,
    }],
    ["fds unreadable, another root: undecided", perl({ held: [], heldError: "EACCES", root: "other", ...ns }), {
      kind: "unknown", why: `script ${X}: open files unreadable (EACCES), and the process resolves paths from another root than procwatch's; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    }],
    ["not read", perl(undefined, { unknownMask: Field.scriptFile, unknownWhy: { scriptFile: "EACCES" } }), { kind: "unknown", why: "script file unreadable (EACCES)" }],
  ];
  for (const [what, rec, want] of cases) test(what, () => assert.deepEqual(evaluateScriptFile(rec, X), want));

  const rules: [string, ProcessRecord, string][] = [
    [`${X}:1-`, perl({ held: [held(3, atX)], root: "other" }), "yes"],
    [`${X}:1-`, perl({ held: [held(3, fake)], root: "other" }), "near"],
    [`${X}:1-`, perl({ held: [], root: "other" }), "near"],
    [`${X}:1-`, perl({ held: [], root: "same" }), "yes"],
    [`${X}:1-`, perl({ held: [], root: { error: "EACCES" } }), "unknown"],
    ["/usr/local/sbin/*.pl:1-", perl({ held: [], root: "other" }), "near"],
    // the interpreter's own exe matched first: its file decides, as for any exe
    ["/usr/bin/perl:1-", perl({ held: [], root: "other" }, { exeFile: same }), "yes"],
  ];
  for (const [arg, rec, kind] of rules) test(`${arg} → ${kind} (${JSON.stringify(rec.scriptFile?.root)})`, () => assert.equal(matchRule(rule(arg), rec, ctx).kind, kind));
});
