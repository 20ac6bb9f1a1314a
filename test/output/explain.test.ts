// explain: how procwatch sees one process, and every match and near miss of some rules; every
// field escaped, unknown fields with the reason, and a stated limit per section.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { formatExplainProcess, formatExplainRules } from "../../src/output/explain.js";
import type { ProcessRecord, Snapshot } from "../../src/procfs/types.js";
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
