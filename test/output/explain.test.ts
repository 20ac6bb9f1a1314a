// explain: how procwatch sees one process, and every match and near miss of some rules; every
// field escaped, unknown fields with the reason, and a stated limit per section.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { formatExplainProcess, formatExplainRules } from "../../src/output/explain.js";
import { Field, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const snap = (processes: ProcessRecord[]): Snapshot => ({ atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0 });

/** "key rest" lines of an explain answer, by key. */
const fields = (text: string) => new Map(text.trimEnd().split("\n").map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)]));

describe("formatExplainProcess", () => {
  test("ids with names, the name it counts as, argv", () => {
    const rec = proc({ pid: 4242, comm: "python3", uids: ids(65534, 0), argv: ["python3", "-u", "/usr/local/bin/foo.py"], exe: { path: "/usr/bin/python3.11", deleted: false } });
    const r = formatExplainProcess(rec, "foo.py", accounts);
    assert.equal(r.exitCode, 0);
    const f = fields(r.text);
    assert.equal(f.get("pid"), "4242 ppid 1 state S threads 1");
    assert.equal(f.get("counted"), "as foo.py");
    assert.equal(f.get("exe"), "/usr/bin/python3.11");
    assert.equal(f.get("uid"), "real 65534 (nobody) effective 0 (root) saved 0 (root) fs 0 (root)");
    assert.equal(f.get("argv"), "python3 -u /usr/local/bin/foo.py");
  });

  test("what could not be read says why, never a guess", () => {
    const rec = proc({ pid: 7, comm: "x", uids: undefined, gids: undefined, exe: undefined, argv: undefined, unknownWhy: { status: "EACCES", exe: "EACCES", cmdline: "EACCES" } });
    const f = fields(formatExplainProcess(rec, "x", accounts).text);
    assert.equal(f.get("uid"), "? (EACCES)");
    assert.equal(f.get("exe"), "? (EACCES)");
    assert.equal(f.get("argv"), "? (EACCES)");
  });

  test("a hostile comm and argv stay on their lines", () => {
    const rec = proc({ pid: 9, comm: "a\nb", argv: ["x\u001b[2J", "y\rz"] });
    const text = formatExplainProcess(rec, "a\nb", accounts).text;
    assert.equal(text.split("\n").filter((l) => l.startsWith("comm ")).length, 1);
    assert.equal(/[\u001b\r]/.test(text), false);
    assert.equal(fields(text).get("comm"), "a%0Ab");
  });
});

describe("formatExplainProcess: the exe and script file lines say only what was compared", () => {
  const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile | Field.scriptFile;
  const interpreters = ctx.interpreters;
  const lineOf = (rec: ProcessRecord, key: "exe file" | "script file") =>
    formatExplainProcess(rec, rec.comm, accounts, interpreters).text.split("\n").filter((l) => l.startsWith(`${key} `));
  const sleep = (exeFile: NonNullable<ProcessRecord["exeFile"]>, deleted: boolean) =>
    proc({ pid: 20, comm: "sleep", exe: { path: "/usr/bin/sleep", deleted }, exeFile, readMask: ALL });
  const perl = (scriptFile: NonNullable<ProcessRecord["scriptFile"]>) =>
    proc({ pid: 21, comm: "perl", exe: { path: "/usr/bin/perl", deleted: false }, argv: ["perl", "/usr/local/sbin/x.pl"], exeFile: { running: { dev: 1, ino: 2 }, atPath: { dev: 1, ino: 2 } }, scriptFile, readMask: ALL });
  const cases: [string, ProcessRecord, "exe file" | "script file", string[]][] = [
    ["same dev:inode", sleep({ running: { dev: 65024, ino: 7 }, atPath: { dev: 65024, ino: 7 } }, false), "exe file",
      ["exe file dev:inode 65024:7, the file at /usr/bin/sleep here (same dev:inode)"]],
    ["pending restart: the mount, not the file", sleep({ running: { dev: 65024, ino: 7 }, atPath: { dev: 65024, ino: 8 }, mounts: { running: 26, atPath: 26 } }, true), "exe file",
      ["exe file dev:inode 65024:7, replaced or deleted since it started (pending restart): on mount 26, the mount /usr/bin/sleep resolves to here"]],
    ["case (a): a deleted bind-mount source on our device", sleep({ running: { dev: 65024, ino: 7 }, atPath: { dev: 65024, ino: 8 }, mounts: { running: 65, atPath: 26 }, mountNs: "mnt:[2]", ownMountNs: "mnt:[1]" }, true), "exe file",
      ["exe file dev:inode 65024:7, exe /usr/bin/sleep (deleted): replaced or deleted, and not proven to be the file that was at /usr/bin/sleep here (it is on mount 65, /usr/bin/sleep here on mount 26); mount namespace mnt:[2], procwatch's mnt:[1]"]],
    ["a script held open, same file", perl({ held: [{ path: "/usr/local/sbin/x.pl", deleted: false, fd: 3, file: { dev: 1, ino: 9 }, atPath: { dev: 1, ino: 9 } }], root: "other" }), "script file",
      ["script file /usr/local/sbin/x.pl: held open as fd 3, the file at /usr/local/sbin/x.pl here (same dev:inode 1:9)"]],
    ["a closed script in procwatch's root: not compared, and says so", perl({ held: [], root: "same" }), "script file",
      ["script file /usr/local/sbin/x.pl: not held open; the process resolves paths from procwatch's root (same mount and directory), so argv names the path procwatch sees (not compared by dev:inode)"]],
    ["case (b): a closed script in another root", perl({ held: [], root: "other", mountNs: "mnt:[2]", ownMountNs: "mnt:[1]" }), "script file",
      ["script file /usr/local/sbin/x.pl: script /usr/local/sbin/x.pl not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at /usr/local/sbin/x.pl here; mount namespace mnt:[2], procwatch's mnt:[1]"]],
    ["no script line for a process that is no interpreter", sleep({ running: { dev: 1, ino: 2 }, atPath: { dev: 1, ino: 2 } }, false), "script file", []],
  ];
  for (const [what, rec, key, want] of cases) test(what, () => assert.deepEqual(lineOf(rec, key), want));
});

describe("formatExplainRules", () => {
  test("a line per rule with its state, then its matches and near misses", () => {
    const procs = [proc({ pid: 10, comm: "crond" }), proc({ pid: 11, comm: "crond", uids: ids(65534) })];
    const rule = parseOneLiner("crond:1-1,user=root", { accounts, source: { file: "argv", line: 1, column: 1 } });
    const lines = formatExplainRules(evaluateRules([rule], snap(procs), ctx), accounts).text.trimEnd().split("\n");
    assert.equal(lines[0], "rule crond:1-1,user=root: ok, 1 matching (range 1-1)");
    assert.match(lines[1] as string, /^  match: pid 10 /);
    assert.match(lines[2] as string, /^  near miss: pid 11 .*: user=root: /);
    assert.equal(lines.length, 3);
  });

  test("each section stops at 200 lines and says how many more", () => {
    const procs = Array.from({ length: 250 }, (_, i) => proc({ pid: 1000 + i, comm: "crond" }));
    const rule = parseOneLiner("crond:1-", { accounts, source: { file: "argv", line: 1, column: 1 } });
    const lines = formatExplainRules(evaluateRules([rule], snap(procs), ctx), accounts).text.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("  match: ")).length, 200);
    assert.equal(lines.at(-1), "  ... and 50 more");
  });
});
