// What the SDK would export, read through an in-process MetricReader: every rule from the first
// scan on (0 included), limits, debounced status, CPU from the second scan, runaway series that
// disappear with the runaway (the cumulative-gauge trap), security checks and self metrics.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { createScanner, type Observation, type ScanSettings } from "../../src/measure/cycle.js";
import { INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { publishObservations } from "../../src/telemetry/publish.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { collect, TestReader } from "../helpers/metric-reader.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const root = tempProcRoot();
after(() => removeProcTree(root));

/** The fixture host booted at this second (stat's btime); its processes started 7 s later. */
const BTIME = 1_700_000_000;
const STARTED_AT = new Date((BTIME + 700 / 100) * 1000).toISOString();

function writeTree(procs: Record<number, { comm: string; uid: number; gid?: number; ticks: number }>, uptime = "5000.00 100.00\n"): void {
  removeProcTree(root);
  const spec: Record<number, object> = {};
  for (const [pid, p] of Object.entries(procs)) {
    spec[Number(pid)] = {
      stat: statLine({ pid: Number(pid), comm: p.comm, utime: p.ticks, starttime: 700 }),
      status: statusText({ pid: Number(pid), name: p.comm, uid: [p.uid, p.uid, p.uid, p.uid], gid: p.gid ?? p.uid }),
      cmdline: [`/usr/sbin/${p.comm}`],
      exe: link(`/usr/sbin/${p.comm}`),
    };
  }
  makeProcTree(root, { ...spec, uptime, stat: `cpu  10 0 10 1000 0 0 0 0 0 0\nbtime ${BTIME}\nprocesses 9000\n` });
}

function settings(): ScanSettings {
  return scanSettings(root, ["pwpub:1-2", "pwgone:1-", "pwbusy:0-,cpu=-50,warn=0-0"], {
    accounts,
    cpu: { maxPercent: 80 },
    security: { checks: ["gid0-not-uid0", "selinux-init-t"], exemptNames: [], exemptUsers: [], deletedExeIgnore: [], selinuxfs: `${root}/no-selinuxfs` },
  });
}

test("per-rule, runaway, security and self metrics follow the latest scan", async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let latest: Observation | undefined;
  const publisher = publishObservations(provider.getMeter("procwatch-test"), { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: 5 });
  const rule = (name: string, extra: object = {}) => JSON.stringify({ "procwatch.rule.name": name, ...extra });

  const before = await collect(reader);
  assert.equal(before.get(INSTRUMENTS.ruleCount.name), undefined, "nothing is said before the first scan");

  writeTree({ 5101: { comm: "pwpub", uid: 0, ticks: 0 }, 5102: { comm: "pwbusy", uid: 0, ticks: 0 }, 5103: { comm: "pwsetgid", uid: 107, gid: 0, ticks: 0 } });
  const scanner = createScanner(settings());
  latest = await scanner.scan();
  publisher.recordScan(latest);
  const first = await collect(reader);
  const counts = first.get(INSTRUMENTS.ruleCount.name);
  assert.deepEqual([...(counts ?? [])], [[rule("pwpub"), 1], [rule("pwgone"), 0], [rule("pwbusy,cpu=-50"), 1]]);
  assert.deepEqual([...(first.get(INSTRUMENTS.ruleStatus.name) ?? [])], [[rule("pwpub"), 0], [rule("pwgone"), 2], [rule("pwbusy,cpu=-50"), 3]],
    "pwbusy's CPU is unknown on the first scan; pwgone fails at 0");
  assert.deepEqual([...(first.get(INSTRUMENTS.ruleLimit.name) ?? [])], [
    [rule("pwpub", { "procwatch.limit.type": "min" }), 1], [rule("pwpub", { "procwatch.limit.type": "max" }), 2],
    [rule("pwgone", { "procwatch.limit.type": "min" }), 1], [rule("pwbusy,cpu=-50", { "procwatch.limit.type": "min" }), 0],
  ]);
  assert.deepEqual([...(first.get(INSTRUMENTS.ruleCpu.name) ?? [])], [[rule("pwgone"), 0]], "no CPU figure before a second scan; 0 processes use 0");
  assert.deepEqual([...(first.get(INSTRUMENTS.ruleCpuLimit.name) ?? [])], [[rule("pwbusy,cpu=-50", { "procwatch.limit.type": "max" }), 0.5]],
    "cpu=-50 (ps/top's % of one CPU) is 0.5 in the {cpu} unit");
  assert.deepEqual([...(first.get(INSTRUMENTS.securityCount.name) ?? [])], [[JSON.stringify({ "procwatch.security.check": "gid0-not-uid0" }), 1]],
    "selinux-init-t does not apply without SELinux: no series");
  assert.equal(first.get(INSTRUMENTS.runawayCount.name)?.get("{}"), 0);
  assert.equal(first.get(INSTRUMENTS.scanProcesses.name)?.get("{}"), 3);
  assert.equal(first.get(INSTRUMENTS.scans.name)?.get("{}"), 1);
  assert.equal(first.get(INSTRUMENTS.scanDuration.name)?.get("{}"), 1, "one scan recorded in the histogram");

  // 5102 burns 3 CPUs' worth of ticks; the window is real time between the scans.
  writeTree({ 5101: { comm: "pwpub", uid: 0, ticks: 0 }, 5102: { comm: "pwbusy", uid: 0, ticks: 30_000 }, 5103: { comm: "pwsetgid", uid: 107, gid: 0, ticks: 0 } });
  latest = await scanner.scan();
  const second = await collect(reader);
  const busy = second.get(INSTRUMENTS.ruleCpu.name)?.get(rule("pwbusy,cpu=-50"));
  assert.ok(busy !== undefined && busy > 0.8, `pwbusy CPU ${busy} CPUs`);
  assert.equal(second.get(INSTRUMENTS.ruleStatus.name)?.get(rule("pwbusy,cpu=-50")), 2);
  const perProcess = [...(second.get(INSTRUMENTS.processCpu.name) ?? [])];
  assert.equal(perProcess.length, 1);
  const attrs = JSON.parse(perProcess[0]?.[0] ?? "{}") as Record<string, unknown>;
  assert.deepEqual(attrs, { "procwatch.process.pid": 5102, "procwatch.process.executable.name": "pwbusy", "procwatch.process.owner": "root", "procwatch.process.creation.time": STARTED_AT });
  // One scale for the runaway, its rule and its limit: the runaway's figure is the rule's total here.
  assert.equal(perProcess[0]?.[1], busy);
  assert.equal(second.get(INSTRUMENTS.runawayLimit.name)?.get("{}"), 0.8);

  // The runaway stops: its per-process series must go, not linger at its last value.
  latest = await scanner.scan();
  const third = await collect(reader);
  assert.equal(third.get(INSTRUMENTS.processCpu.name)?.size ?? 0, 0);
  assert.equal(third.get(INSTRUMENTS.runawayCount.name)?.get("{}"), 0);
  assert.equal(third.get(INSTRUMENTS.scans.name)?.get("{}"), 3);
  await provider.shutdown();
});

test("procwatch.process.creation.time is one value for the life of a process while the uptime advances scan after scan", async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let latest: Observation | undefined;
  const publisher = publishObservations(provider.getMeter("procwatch-test"), { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: 5 });
  const scanner = createScanner(settings());
  const seen = new Set<unknown>();
  let ticks = 0;
  // The uptime moves by odd fractions, as a real clock read at a slightly different moment does.
  for (let scan = 0; scan < 8; scan++) {
    ticks += 30_000;
    writeTree({ 5102: { comm: "pwbusy", uid: 0, ticks } }, `${(5000 + scan * 1.0037).toFixed(2)} 100.00\n`);
    latest = await scanner.scan();
    publisher.recordScan(latest);
    const series = [...((await collect(reader)).get(INSTRUMENTS.processCpu.name) ?? [])];
    for (const [attrs] of series) seen.add((JSON.parse(attrs) as Record<string, unknown>)["procwatch.process.creation.time"]);
    if (scan > 0) assert.equal(series.length, 1, `scan ${scan + 1}: one series for the one runaway`);
  }
  assert.deepEqual([...seen], [STARTED_AT]);
  await provider.shutdown();
});
