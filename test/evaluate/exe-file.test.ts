// evaluateExeFile and path rules: a process counts for /PATH or exe= only if it runs the file at
// that path (same dev:inode; same device for a replaced executable). Table tests on records.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluateExeFile } from "../../src/evaluate/exe-file.js";
import { matchRule } from "../../src/evaluate/match.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { Field, type ExeFileCheck, type ProcessRecord } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile;

/** tail at /usr/bin/tail whose running file is `running` and the file at the path `atPath`. */
function tail(exeFile: ExeFileCheck | undefined, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return proc({ pid: 50, comm: "tail", exe: { path: "/usr/bin/tail", deleted: false }, exeFile, readMask: ALL, ...extra });
}
const same: ExeFileCheck = { running: { dev: 65024, ino: 260935 }, atPath: { dev: 65024, ino: 260935 } };
const spoof: ExeFileCheck = { running: { dev: 65024, ino: 2148274 }, atPath: { dev: 65024, ino: 260935 }, mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" };
const otherDevice: ExeFileCheck = { running: { dev: 41, ino: 12 }, atPath: { dev: 65024, ino: 260935 } };

describe("evaluateExeFile", () => {
  const cases: [string, ProcessRecord, unknown][] = [
    ["the same file", tail(same), { kind: "same" }],
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
    ["replaced (deleted) on the same device: its own rule still counts it", tail(spoof, { exe: { path: "/usr/bin/tail", deleted: true } }), { kind: "same" }],
    ["deleted, from another device", tail(otherDevice, { exe: { path: "/usr/bin/tail", deleted: true } }), {
      kind: "other", reason: "exe /usr/bin/tail (deleted) was on another filesystem than /usr/bin/tail here (device 41, here 65024)",
    }],
    ["deleted, and nothing at the path any more", tail({ running: { dev: 41, ino: 3 }, atPath: { error: "ENOENT" } }, { exe: { path: "/usr/bin/tail", deleted: true } }), {
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

  test("an interpreter's script path comes from argv: nothing to compare, as before", () => {
    const py = proc({ pid: 51, comm: "python3", exe: { path: "/usr/bin/python3.11", deleted: false }, argv: ["python3", "/usr/local/bin/foo.py"], readMask: ALL & ~Field.exeFile });
    assert.equal(matchRule(rule("/usr/local/bin/foo.py:1-"), py, ctx).kind, "yes");
  });
});
