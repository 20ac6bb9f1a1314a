// The pieces of text mon, Nagios and explain share: ranges, summary tokens, verdict lines, and the
// capped detail lines of a rule, always escaped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules, type RuleVerdict } from "../../src/evaluate/verdict.js";
import { detailLines, formatRange, summaryToken, verdictLine } from "../../src/output/format.js";
import type { ProcessRecord, Snapshot } from "../../src/procfs/types.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };

function verdict(arg: string, processes: ProcessRecord[], extra: Partial<Snapshot> = {}): RuleVerdict {
  const rule = parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
  const snapshot: Snapshot = { atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0, ...extra };
  const [v] = evaluateRules([rule], snapshot, ctx);
  assert.ok(v !== undefined);
  return v;
}

const crond = (n: number) => Array.from({ length: n }, (_, i) => proc({ pid: 200 + i, comm: "crond" }));

describe("formatRange", () => {
  const cases: [{ min?: number; max?: number }, string][] = [[{ min: 1, max: 5 }, "1-5"], [{ min: 1 }, "1-"], [{ max: 3 }, "-3"], [{ min: 0, max: 0 }, "0-0"]];
  for (const [range, want] of cases) test(want, () => assert.equal(formatRange(range), want));
});

describe("summaryToken and verdictLine", () => {
  const cases: [string, number, string, string][] = [
    ["crond:1-5", 6, "crond:6", "crond:6 > 5 (1-5)"],
    ["crond:1-", 0, "crond:0", "crond:0 < 1 (1-)"],
    ["crond:2-2,user=root", 1, "crond,user=root:1", "crond,user=root:1 < 2 (2-2)"],
    ["crond:0-0", 2, "crond:2", "crond:2 > 0 (0-0)"],
  ];
  for (const [arg, n, token, line] of cases) {
    test(`${arg} with ${n}`, () => {
      const v = verdict(arg, crond(n));
      assert.equal(summaryToken(v), token);
      assert.equal(verdictLine(v), line);
    });
  }

  test("an undecided count says how many could not be checked", () => {
    const unreadable = proc({ pid: 300, comm: "crond", uids: undefined, unknownWhy: { status: "EACCES" } });
    const v = verdict("crond:1-,user=root", [unreadable]);
    assert.equal(summaryToken(v), "crond,user=root:unknown");
    assert.match(verdictLine(v), /^crond,user=root:0 unknown: 1 more processes could not be checked \(1-\)$/);
  });

  test("a label with a space stays one token; control bytes are escaped", () => {
    const v = verdict("/opt/my app/bin/x:1-", []);
    assert.equal(summaryToken(v).includes(" "), false);
    assert.equal(summaryToken(v), "/opt/my%20app/bin/x:0");
  });
});

describe("detailLines", () => {
  test("every match up to the limit, then '... and N more'", () => {
    const v = verdict("crond:1-5", crond(8));
    const lines = detailLines(v, accounts, 3);
    assert.equal(lines.length, 4);
    assert.ok(lines.slice(0, 3).every((l) => l.startsWith("  ") && l.includes("pid 20")), lines.join("\n"));
    assert.equal(lines[3], "  ... and 5 more");
  });

  test("near misses say why, after the matches", () => {
    const setuid = proc({ pid: 400, comm: "crond", uids: ids(65534, 0) });
    const v = verdict("crond:2-,user=root", [...crond(1), setuid]);
    const lines = detailLines(v, accounts, 10);
    assert.equal(lines.length, 2);
    assert.match(lines[0] as string, /^  pid 200 /);
    assert.match(lines[1] as string, /^  near miss: pid 400 .*nobody \(effective root\).*: user=root: /);
  });

  test("a hostile process name or exe cannot start a line of its own", () => {
    const hostile = proc({ pid: 500, comm: "crond", exe: { path: "/tmp/x\ncrond:1 OK\r|", deleted: false } });
    const lines = detailLines(verdict("crond:2-", [hostile]), accounts, 10);
    assert.equal(lines.length, 1);
    assert.equal(/[\r\n|]/.test(lines.join("")), false);
  });
});
