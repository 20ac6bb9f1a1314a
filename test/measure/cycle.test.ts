// The daemon's scanner driven scan by scan over a fixture /proc tree: counts, the for_cycles
// debounce, CPU windows between scans (none on the first scan) measured on a fake monotonic
// clock, so every figure is exact, and new settings on reload.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createScanner, type ScanSettings } from "../../src/measure/cycle.js";
import type { CpuBasis } from "../../src/rules/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const roots: string[] = [];
after(() => roots.forEach(removeProcTree));

/** A tree of `pids`, each a root-owned /usr/sbin/pwdaemon with the given CPU ticks. */
function writeTree(root: string, pids: Record<number, number>, uptime = "100000.00"): void {
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
  makeProcTree(root, { ...spec, uptime: `${uptime} 1000.00\n` });
}

function settings(root: string, rules: string[], forCycles: number, cpuMax?: number, basis: CpuBasis = { kind: "window", windowMs: 1000 }): ScanSettings {
  return scanSettings(root, rules, { forCycles, accounts, cpu: { basis, ...(cpuMax === undefined ? {} : { maxPercent: cpuMax }) } });
}

test("a failure is reported only after for_cycles consecutive failing scans", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4101: 0, 4102: 0 });
  const scanner = createScanner(settings(root, ["pwdaemon:2-2"], 2));
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

/** A monotonic clock the test sets: every reading until the next set is the same instant. */
function fakeClock(): { clock: () => bigint; set(seconds: number): void } {
  let nowNs = 0n;
  return { clock: () => nowNs, set: (seconds) => { nowNs = BigInt(seconds * 1e9); } };
}

test("CPU figures exist from the second scan on, for processes seen in both, exact on the injected clock", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4201: 100 });
  const time = fakeClock();
  const scanner = createScanner(settings(root, ["pwdaemon:1-"], 1, 50), { clock: time.clock });
  time.set(10);
  const first = await scanner.scan();
  const p1 = first.measurement.snapshot.processes[0];
  assert.ok(p1 !== undefined);
  assert.equal(first.measurement.snapshot.atNs, 10_000_000_000n, "the snapshot is stamped by the injected clock");
  assert.equal(first.figures(p1), undefined, "a process seen once has no window figure");
  assert.equal(first.windowSec, 0);
  assert.deepEqual(first.measurement.runaway?.offenders, []);
  // 150 ticks at 100 Hz in 2 s: 1.5 CPU seconds over 2 seconds.
  writeTree(root, { 4201: 100 + 150, 4202: 5 });
  time.set(12);
  const second = await scanner.scan();
  const [a, b] = second.measurement.snapshot.processes;
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(second.windowSec, 2);
  assert.equal(second.figures(a), 75);
  assert.equal(second.figures(b), undefined, "4202 was not in the first scan");
  assert.deepEqual(second.measurement.runaway?.offenders.map((o) => [o.process.pid, o.percent]), [[4201, 75]]);
  // The next window starts where this one ended: 25 ticks in half a second is half a CPU.
  writeTree(root, { 4201: 250 + 25, 4202: 5 });
  time.set(12.5);
  const third = await scanner.scan();
  assert.equal(third.windowSec, 0.5);
  assert.deepEqual(third.measurement.snapshot.processes.map((p) => [p.pid, third.figures(p)]), [[4201, 50], [4202, 0]]);
  assert.deepEqual(third.measurement.runaway?.offenders, [], "50 is not over a limit of 50");
  assert.equal(third.durationMs, 0, "the scan's duration is read from the same clock");
});

test("a scan whose root failed is no base for the next window: the scan after it has no figure", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4251: 100 });
  const time = fakeClock();
  const scanner = createScanner(settings(root, ["pwdaemon:1-"], 1, 50), { clock: time.clock });
  time.set(1);
  await scanner.scan();
  removeProcTree(root);
  time.set(2);
  const failed = await scanner.scan();
  assert.equal(failed.failure, `cannot read ${root}: ENOENT`);
  assert.deepEqual(failed.measurement.snapshot.processes, []);
  writeTree(root, { 4251: 200 });
  time.set(3);
  const after = await scanner.scan();
  const [p] = after.measurement.snapshot.processes;
  assert.ok(p !== undefined);
  assert.equal(after.failure, undefined);
  assert.equal(after.windowSec, 0);
  assert.equal(after.figures(p), undefined);
  writeTree(root, { 4251: 300 });
  time.set(4);
  const next = await scanner.scan();
  assert.equal(next.windowSec, 1);
  assert.deepEqual(next.measurement.snapshot.processes.map((q) => next.figures(q)), [100]);
});

test("lifetime basis: figures from the first scan, CPU seconds over the age from the tree's uptime", async () => {
  const root = tempProcRoot();
  roots.push(root);
  // Started at tick 500 (5 s after boot), uptime 1005 s: 1000 s old; 50000 ticks = 500 CPU seconds.
  writeTree(root, { 4261: 50_000 }, "1005.00");
  const scanner = createScanner(settings(root, ["pwdaemon:1-"], 1, 40, { kind: "lifetime" }), { clock: fakeClock().clock });
  const first = await scanner.scan();
  assert.equal(first.windowSec, 0);
  assert.deepEqual(first.measurement.snapshot.processes.map((p) => first.figures(p)), [50]);
  assert.deepEqual(first.measurement.runaway?.offenders.map((o) => [o.process.pid, o.percent]), [[4261, 50]]);
});

test("useSettings: later scans use the new rules, and the debounce window restarts", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, { 4301: 0 });
  const scanner = createScanner(settings(root, ["pwdaemon:2-"], 2));
  assert.equal((await scanner.scan()).measurement.verdicts[0]?.state, "ok", "one failing scan confirms nothing");
  assert.equal((await scanner.scan()).measurement.verdicts[0]?.state, "fail");
  scanner.useSettings(settings(root, ["pwdaemon:3-", "pwother:0-0"], 2));
  const next = await scanner.scan();
  assert.deepEqual(next.measurement.verdicts.map((v) => `${v.rule.label}:${v.state}`), ["pwdaemon:ok", "pwother:ok"]);
  assert.deepEqual((await scanner.scan()).measurement.verdicts.map((v) => `${v.rule.label}:${v.state}`), ["pwdaemon:fail", "pwother:ok"]);
  assert.equal(next.errorTotals.parse, 0);
});
