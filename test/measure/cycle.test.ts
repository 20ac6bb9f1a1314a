// The daemon's scanner driven scan by scan over a fixture /proc tree: counts, the for_cycles
// debounce, CPU windows between scans (none on the first scan), and reprogramming on reload.
import { isProblem } from "../../src/rules/problem.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { prepareSetup } from "../../src/measure/setup.js";
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createScanner, type ScanProgram } from "../../src/measure/cycle.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { parseRuleArgs } from "../../src/rules/list.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const roots: string[] = [];
after(() => roots.forEach(removeProcTree));

/** A tree of `pids`, each a root-owned /usr/sbin/pwdaemon with the given CPU ticks. */
function writeTree(root: string, pids: Record<number, number>): void {
  removeProcTree(root);
  const spec: Record<number, object> = {};
  for (const [pid, ticks] of Object.entries(pids)) {
    spec[Number(pid)] = {
      stat: statLine({ pid: Number(pid), comm: "pwdaemon", utime: ticks, starttime: 500 }),
      status: statusText({ pid: Number(pid), name: "pwdaemon", uid: 0, gid: 0 }),
      cmdline: ["/usr/sbin/pwdaemon"],
      exe: link("/usr/sbin/pwdaemon"),
    };
  }
  makeProcTree(root, { ...spec, uptime: "100000.00 1000.00\n" });
}

function program(root: string, rules: string[], forCycles: number, cpuMax?: number): ScanProgram {
  const parsed = parseRuleArgs(rules, accounts);
  assert.deepEqual(parsed.errors, []);
  const setup = prepareSetup({
    procRoot: root,
    excludeRoots: [],
    cpu: {
      ...(cpuMax === undefined ? {} : { maxPercent: cpuMax }),
      basis: { kind: "window", windowMs: 1000 }, exemptNames: [], exemptUsers: [], includeNormalUsers: true, defaultExempt: false, top: 5, clockTicks: 100,
    },
  }, parsed.rules, makeInterpreterSet(DEFAULT_INTERPRETERS), accounts, { alwaysMeasureCpu: true });
  assert.ok(!isProblem(setup) && setup.cpu !== undefined, String(setup));
  return { rules: parsed.rules, setup: { ...setup, cpu: setup.cpu }, forCycles, intervalMs: 1000 };
}

test("a failure is reported only after for_cycles consecutive failing scans", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4101: 0, 4102: 0 });
  const scanner = createScanner(program(root, ["pwdaemon:2-2"], 2));
  const states: string[] = [];
  const scanAnd = async (pids: Record<number, number>) => {
    writeTree(root, pids);
    const obs = await scanner.scan();
    const v = obs.measurement.verdicts[0];
    states.push(`${obs.seq}:${v?.state}:${v?.count}`);
  };
  await scanAnd({ 4101: 0, 4102: 0 });
  await scanAnd({ 4101: 0 }); // first failing scan: not yet reported
  await scanAnd({ 4101: 0 }); // second: reported, with the second scan's count
  await scanAnd({ 4101: 0, 4102: 0 }); // recovered at once
  await scanAnd({ 4101: 0 });
  assert.deepEqual(states, ["1:ok:2", "2:ok:1", "3:fail:1", "4:ok:2", "5:ok:1"]);
});

test("CPU figures exist from the second scan on, for processes seen in both", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4201: 100 });
  const scanner = createScanner(program(root, ["pwdaemon:1-"], 1, 50));
  const first = await scanner.scan();
  const p1 = first.measurement.snapshot.processes[0];
  assert.ok(p1 !== undefined);
  assert.equal(first.figures(p1), undefined, "a process seen once has no window figure");
  assert.equal(first.windowSec, 0);
  assert.deepEqual(first.measurement.runaway?.offenders, []);
  writeTree(root, { 4201: 100 + 100_000, 4202: 5 });
  const second = await scanner.scan();
  const [a, b] = second.measurement.snapshot.processes;
  assert.ok(a !== undefined && b !== undefined);
  assert.ok(second.windowSec > 0);
  const figure = second.figures(a);
  assert.ok(figure !== undefined && Math.abs(figure - (100_000 / 100 / second.windowSec) * 100) < 1e-6 * figure);
  assert.equal(second.figures(b), undefined, "4202 was not in the first scan");
  assert.deepEqual(second.measurement.runaway?.offenders.map((o) => o.process.pid), [4201]);
});

test("reprogram: later scans use the new rules, and the debounce window restarts", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4301: 0 });
  const scanner = createScanner(program(root, ["pwdaemon:2-"], 2));
  assert.equal((await scanner.scan()).measurement.verdicts[0]?.state, "ok", "one failing scan confirms nothing");
  assert.equal((await scanner.scan()).measurement.verdicts[0]?.state, "fail");
  scanner.reprogram(program(root, ["pwdaemon:3-", "pwother:0-0"], 2));
  const next = await scanner.scan();
  assert.deepEqual(next.measurement.verdicts.map((v) => `${v.rule.label}:${v.state}`), ["pwdaemon:ok", "pwother:ok"]);
  assert.deepEqual((await scanner.scan()).measurement.verdicts.map((v) => `${v.rule.label}:${v.state}`), ["pwdaemon:fail", "pwother:ok"]);
  assert.equal(next.errorTotals.parse, 0);
});
