// The check's measure() over a fixture /proc tree with an injected monotonic clock: a CPU window is
// a stat-only baseline, the window's sleep, then one scan step, and its figures are exact.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { measure } from "../../src/measure/measure.js";
import { prepareSetup } from "../../src/measure/setup.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseRuleArgs } from "../../src/rules/list.js";
import { isProblem } from "../../src/rules/problem.js";
import type { CpuBasis } from "../../src/rules/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { link, statLine, statusText, TreePool } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const trees = new TreePool();
after(() => trees.cleanup());

function pwcheck(pid: number, utime: number) {
  return { stat: statLine({ pid, comm: "pwcheck", utime, starttime: 500 }), status: statusText({ pid, name: "pwcheck", uid: 0, gid: 0 }), cmdline: ["/usr/sbin/pwcheck"], exe: link("/usr/sbin/pwcheck") };
}

function setupFor(root: string, basis: CpuBasis) {
  const parsed = parseRuleArgs(["pwcheck:1-"], accounts);
  assert.deepEqual(parsed.errors, []);
  const setup = prepareSetup({
    procRoot: root,
    excludeRoots: [],
    cpu: { maxPercent: 60, basis, exemptNames: [], exemptUsers: [], includeNormalUsers: true, defaultExempt: false, top: 5, clockTicks: 100 },
  }, parsed.rules, makeInterpreterSet(DEFAULT_INTERPRETERS), accounts);
  assert.ok(!isProblem(setup), String(setup));
  return { rules: parsed.rules, setup };
}

test("a window: the baseline and the step are stamped by the injected clock, and the figures are exact", async () => {
  const root = trees.make({ 4401: pwcheck(4401, 100), 4402: pwcheck(4402, 40), uptime: "100000.00 1000.00\n" });
  const { rules, setup } = setupFor(root, { kind: "window", windowMs: 1 });
  // The first reading stamps the baseline; the second starts the step, after the window's sleep
  // and before its scan: that is when the window's CPU use lands in the tree (150 and 20 ticks).
  const readingsSec = [40, 42];
  let calls = 0;
  const clock = (): bigint => {
    calls++;
    if (calls === 2) {
      writeFileSync(join(root, "4401", "stat"), statLine({ pid: 4401, comm: "pwcheck", utime: 250, starttime: 500 }));
      writeFileSync(join(root, "4402", "stat"), statLine({ pid: 4402, comm: "pwcheck", utime: 60, starttime: 500 }));
    }
    return BigInt((readingsSec[Math.min(calls, readingsSec.length) - 1] as number) * 1e9);
  };
  const m = await measure(rules, setup, { clock });
  assert.equal(m.snapshot.atNs, 42_000_000_000n);
  const figures = m.scale?.figures;
  assert.ok(figures !== undefined);
  // 1.5 and 0.2 CPU seconds over 2 seconds.
  assert.deepEqual(m.snapshot.processes.map((p) => [p.pid, figures(p)]), [[4401, 75], [4402, 10]]);
  assert.deepEqual(m.runaway?.offenders.map((o) => [o.process.pid, o.percent]), [[4401, 75]]);
  assert.deepEqual(m.verdicts.map((v) => `${v.rule.label}:${v.state}:${v.count}`), ["pwcheck:ok:2"]);
});

test("lifetime: one step, no baseline, CPU seconds over the age from the tree's uptime", async () => {
  // Started 5 s after boot, uptime 1005 s: 1000 s old; 70000 ticks = 700 CPU seconds.
  const root = trees.make({ 4411: pwcheck(4411, 70_000), uptime: "1005.00 1000.00\n" });
  const { rules, setup } = setupFor(root, { kind: "lifetime" });
  let calls = 0;
  const m = await measure(rules, setup, { clock: () => BigInt(++calls) });
  assert.equal(m.snapshot.atNs, 1n, "the step's start is the first reading: no baseline was taken");
  assert.deepEqual(m.runaway?.offenders.map((o) => [o.process.pid, o.percent]), [[4411, 70]]);
});
