// The daemon's per-rule resource history driven scan by scan over a fixture /proc tree: counters
// that stay monotonic when members exit, starts (new pid + start time, pid reuse included),
// restarts= failing a crash loop through the debounce, and the metrics published from it.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { ResourceGroup } from "../../src/config/types.js";
import { createScanner, type Observation, type ScanSettings } from "../../src/measure/cycle.js";
import { limitsPhrase } from "../../src/output/limits.js";
import { Field } from "../../src/procfs/types.js";
import { INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { publishObservations } from "../../src/telemetry/publish.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { collect, TestReader } from "../helpers/metric-reader.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const roots: string[] = [];
after(() => roots.forEach(removeProcTree));

/** Uptime 100000 s; USER_HZ 100. */
const UPTIME_TICKS = 100_000 * 100;

interface Proc { utime: number; stime?: number; start: number; rssKib?: number; threads?: number }

function writeTree(root: string, procs: Record<number, Proc>): void {
  removeProcTree(root);
  const spec: Record<number, object> = {};
  for (const [pid, p] of Object.entries(procs)) {
    spec[Number(pid)] = {
      stat: statLine({ pid: Number(pid), comm: "pwflap", utime: p.utime, stime: p.stime ?? 0, starttime: p.start, threads: p.threads ?? 1 }),
      status: statusText({ pid: Number(pid), name: "pwflap", uid: 0, gid: 0, rssKib: p.rssKib ?? 1000, threads: p.threads ?? 1 }),
      cmdline: ["/usr/sbin/pwflap"],
      exe: link("/usr/sbin/pwflap"),
    };
  }
  makeProcTree(root, { ...spec, uptime: "100000.00 1000.00\n" });
}

function settings(root: string, rules: string[], forCycles: number, groups: readonly ResourceGroup[]): ScanSettings {
  return scanSettings(root, rules, { forCycles, accounts, resourceGroups: groups });
}

function fresh(): string {
  const root = tempProcRoot();
  roots.push(root);
  return root;
}

test("CPU, starts and memory per rule: counters keep what exited members used, a new member adds its lifetime", async () => {
  const root = fresh();
  writeTree(root, { 5101: { utime: 100, stime: 50, start: 500, rssKib: 2000 }, 5102: { utime: 10, start: 600, rssKib: 500, threads: 4 } });
  const scanner = createScanner(settings(root, ["pwflap:0-"], 1, ["memory", "cpu", "starts", "threads", "start_time"]));
  const first = (await scanner.scan()).resources.get("pwflap");
  assert.deepEqual({ user: first?.cpuUserSec, system: first?.cpuSystemSec, starts: first?.starts, mem: first?.memoryBytes, max: first?.memoryMaxBytes, threads: first?.threads },
    { user: 1.1, system: 0.5, starts: 0, mem: 2500 * 1024, max: 2000 * 1024, threads: 5 }, "the first scan learns who is there: no starts");
  // 5102 exits; 5103 starts (10 s ago) with 20 ticks of its own.
  writeTree(root, { 5101: { utime: 300, stime: 50, start: 500 }, 5103: { utime: 20, start: UPTIME_TICKS - 1000 } });
  const second = (await scanner.scan()).resources.get("pwflap");
  assert.equal(second?.cpuUserSec, (110 + 200 + 20) / 100, "5101's 2 s since, 5103's lifetime, 5102's earlier share kept");
  assert.equal(second?.starts, 1);
  // pid 5103 reused by a new process: a start too (identity is pid and start time).
  writeTree(root, { 5101: { utime: 300, stime: 50, start: 500 }, 5103: { utime: 1, start: UPTIME_TICKS - 100 } });
  const third = (await scanner.scan()).resources.get("pwflap");
  assert.equal(third?.starts, 2);
  assert.ok(third !== undefined && third.cpuUserSec >= (second?.cpuUserSec ?? Infinity), "never goes down");
  assert.equal(third?.newestStartSec !== undefined && third.oldestStartSec < third.newestStartSec, true);
});

test("restarts= fails a rule that started more processes than allowed in its window, debounced", async () => {
  const root = fresh();
  writeTree(root, { 5201: { utime: 0, start: UPTIME_TICKS - 5000 } });
  const scanner = createScanner(settings(root, ["pwflap:1-1,restarts=-1/10m"], 2, []));
  const states: string[] = [];
  let last: Observation | undefined;
  const crash = async (pid: number): Promise<void> => {
    writeTree(root, { [pid]: { utime: 0, start: UPTIME_TICKS - 50 } });
    last = await scanner.scan();
    const v = last.measurement.verdicts[0];
    states.push(`${v?.state}:${v?.restarts?.starts ?? "-"}`);
  };
  await crash(5201); // the first scan: 5201 was there before the daemon
  await crash(5202); // one start: allowed
  await crash(5203); // two starts in 10m: failing, first scan of two
  await crash(5204); // three: confirmed
  assert.deepEqual(states, ["ok:0", "ok:1", "ok:2", "fail:3"]);
  const v = last?.measurement.verdicts[0];
  assert.ok(v !== undefined);
  assert.equal(limitsPhrase(v), "3 starts in 10m > 1 (restarts=-1/10m)");
});

test("resource metrics are published per rule, 0 for a rule matching nothing, and only the groups asked for", async () => {
  const root = fresh();
  writeTree(root, { 5301: { utime: 100, stime: 20, start: 500, rssKib: 3000 } });
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let latest: Observation | undefined;
  publishObservations(provider.getMeter("procwatch-test"), { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: 5 });
  const scanner = createScanner(settings(root, ["pwflap:1-,rss=-1G", "pwnothing:0-"], 1, ["memory", "cpu", "starts", "faults"]));
  latest = await scanner.scan();
  const got = await collect(reader);
  const rule = (name: string, extra: object = {}) => JSON.stringify({ "procwatch.rule.name": name, ...extra });
  assert.deepEqual([...(got.get(INSTRUMENTS.ruleMemory.name) ?? [])], [[rule("pwflap,rss=-1G"), 3000 * 1024], [rule("pwnothing"), 0]]);
  assert.deepEqual([...(got.get(INSTRUMENTS.ruleMemoryLimit.name) ?? [])], [[rule("pwflap,rss=-1G", { "procwatch.limit.type": "max" }), 1024 ** 3]]);
  assert.deepEqual([...(got.get(INSTRUMENTS.ruleCpuTime.name) ?? [])], [
    [rule("pwflap,rss=-1G", { "cpu.mode": "user" }), 1], [rule("pwflap,rss=-1G", { "cpu.mode": "system" }), 0.2],
    [rule("pwnothing", { "cpu.mode": "user" }), 0], [rule("pwnothing", { "cpu.mode": "system" }), 0],
  ]);
  assert.equal(got.get(INSTRUMENTS.ruleStarts.name)?.get(rule("pwnothing")), 0);
  assert.equal(got.get(INSTRUMENTS.ruleFaults.name)?.get(rule("pwflap,rss=-1G", { "system.paging.fault.type": "major" })), 0);
  for (const off of [INSTRUMENTS.ruleFds, INSTRUMENTS.ruleDiskIo, INSTRUMENTS.ruleThreads, INSTRUMENTS.ruleContextSwitches]) {
    assert.equal(got.get(off.name)?.size ?? 0, 0, `${off.name} not asked for`);
  }
  await provider.shutdown();
});

test("fds and io are read, and summed, only for the processes a rule matches", async () => {
  const root = fresh();
  const limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            64                   4096                 files     \n";
  const proc = (pid: number, comm: string, fds: number) => ({
    stat: statLine({ pid, comm, utime: 0, starttime: 500 }),
    status: statusText({ pid, name: comm, uid: 0, gid: 0 }),
    cmdline: [`/usr/sbin/${comm}`],
    exe: link(`/usr/sbin/${comm}`),
    limits,
    io: "read_bytes: 4096\nwrite_bytes: 512\n",
    fd: Object.fromEntries(Array.from({ length: fds }, (_, i) => [i, "x"])),
  });
  makeProcTree(root, { 5401: proc(5401, "pwflap", 48), 5402: proc(5402, "pwflap", 8), 5403: proc(5403, "pwother", 60), uptime: "100000.00 1000.00\n" });
  const scanner = createScanner(settings(root, ["pwflap:0-"], 1, ["fds", "io"]));
  const obs = await scanner.scan();
  const read = new Map(obs.measurement.snapshot.processes.map((p) => [p.pid, (p.readMask & (Field.fds | Field.io)) !== 0]));
  assert.deepEqual([read.get(5401), read.get(5402), read.get(5403)], [true, true, false]);
  const r = obs.resources.get("pwflap");
  assert.deepEqual({ fds: r?.fds, worst: r?.fdUtilizationMax, read: r?.readBytes, written: r?.writeBytes }, { fds: 56, worst: 48 / 64, read: 8192, written: 1024 });
});
