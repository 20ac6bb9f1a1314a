// The confirmation the daemon's for_cycles and check --recheck share: a failure, runaway or
// security finding stands only when every scan of the window had it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { confirmWindow, slideWindow } from "../../src/measure/confirm.js";
import type { Measurement } from "../../src/measure/measure.js";
import type { ProcessRecord, Snapshot } from "../../src/procfs/types.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const rules = ["crond:1-1", "sshd:1-"].map((arg, i) => parseOneLiner(arg, { accounts, source: { file: "argv", line: i + 1, column: 1 } }));

/** One scan's measurement of `rules` over processes named by `comms`. */
function scan(...comms: string[]): Measurement {
  const processes: ProcessRecord[] = comms.map((comm, i) => proc({ pid: 100 + i, comm }));
  const snapshot: Snapshot = { atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0 };
  return { snapshot, verdicts: evaluateRules(rules, snapshot, ctx) };
}

const states = (m: Measurement) => m.verdicts.map((v) => `${v.rule.label}:${v.state}`);
const OK = scan("crond", "sshd");
const NO_SSHD = scan("crond");
const TWO_CROND = scan("crond", "crond", "sshd");

describe("confirmWindow", () => {
  const cases: [string, Measurement[], number, string[]][] = [
    ["one scan, for_cycles 1: as measured", [NO_SSHD], 1, ["crond:ok", "sshd:fail"]],
    ["a failure in every scan of the window stands", [NO_SSHD, NO_SSHD, NO_SSHD], 3, ["crond:ok", "sshd:fail"]],
    ["a failure missing from one scan is not confirmed", [NO_SSHD, OK, NO_SSHD], 3, ["crond:ok", "sshd:ok"]],
    ["different failures in different scans confirm neither", [NO_SSHD, TWO_CROND], 2, ["crond:ok", "sshd:ok"]],
    ["a window shorter than for_cycles confirms nothing yet", [NO_SSHD, NO_SSHD], 3, ["crond:ok", "sshd:ok"]],
    ["check --recheck: two scans, both failing", [TWO_CROND, TWO_CROND], 2, ["crond:fail", "sshd:ok"]],
  ];
  for (const [name, window, forCycles, want] of cases) {
    test(name, () => assert.deepEqual(states(confirmWindow(window, forCycles)), want));
  }

  test("the counts and processes are the newest scan's", () => {
    const newest = scan("crond", "crond", "crond");
    const confirmed = confirmWindow([TWO_CROND, newest], 2);
    assert.deepEqual(confirmed.verdicts.map((v) => v.count), [3, 0]);
    assert.equal(confirmed.snapshot, newest.snapshot);
  });

  test("an empty window is a bug, said so", () => {
    assert.throws(() => confirmWindow([], 1), /empty window/);
  });
});

describe("slideWindow", () => {
  test("keeps the newest for_cycles measurements, oldest first", () => {
    let window: Measurement[] = [];
    for (const m of [OK, NO_SSHD, TWO_CROND, OK]) window = slideWindow(window, m, 3);
    assert.deepEqual(window, [NO_SSHD, TWO_CROND, OK]);
  });

  test("for_cycles 0 or 1 keeps the newest alone", () => {
    assert.deepEqual(slideWindow([OK, NO_SSHD], TWO_CROND, 1), [TWO_CROND]);
    assert.deepEqual(slideWindow([OK], TWO_CROND, 0), [TWO_CROND]);
  });
});
