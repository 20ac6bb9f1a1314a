// The daemon's scan cycle in-process, back to back, for `npm run bench` (daemon.ts runs it as a
// child with exactly the CLI's node flags): run.ts's own cycle (createDaemonCycle: scan, record,
// the collection after a scan when those flags expose gc), then a /metrics scrape of its own listener,
// with the OTLP reader pushing to OTEL_EXPORTER_OTLP_* if set. Measures CPU per scan with
// process.cpuUsage() (µs, all threads), RSS after every scan and, every SAMPLE_EVERY scans, the
// live heap after a full GC; prints JSON. The CLI's --interval cannot go below 1 s, and 1,000
// scans at 1 s would take 17 minutes.
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { readAccounts } from "../src/system/accounts.js";
import { defaultConfig, mergeCliRules } from "../src/config/load.js";
import { createDaemonCycle, loadScanSettings } from "../src/daemon/run.js";
import { createHandler, startServer } from "../src/daemon/server.js";
import { startTelemetry } from "../src/telemetry/exporters.js";
import { publishObservations } from "../src/telemetry/publish.js";
import { VERSION } from "../src/version.js";
import { fetchTimed, keepAliveAgent, LOOPBACK } from "./loopback.js";
import { readMemory } from "./proc-usage.js";

/** What `node [CLI flags] daemon-harness.js SCANS SAMPLE_EVERY RULE...` prints. */
export interface HarnessReport {
  readonly scans: number;
  /** CPU µs (user+system, every thread) of scanner.scan() alone, per scan. */
  readonly scanCpuUs: readonly number[];
  /** CPU µs of the whole cycle: scan, recordScan, run.ts's GC if any, and one /metrics scrape. */
  readonly cycleCpuUs: readonly number[];
  /** Wall ms of scanner.scan(), per scan. */
  readonly scanWallMs: readonly number[];
  /** Processes in each scan's snapshot. */
  readonly processes: readonly number[];
  /** VmRSS after each scan (index 0 = before the first scan), kB. */
  readonly rssKb: readonly number[];
  /** Every SAMPLE_EVERY scans: RSS, heap used as found, and heap used after a forced full GC. */
  readonly samples: readonly Sample[];
  readonly metricsBytes: number;
  /** Whether a full GC followed each scan, as run.ts does when the node flags expose gc. */
  readonly collectsAfterScan: boolean;
}

export interface Sample {
  readonly scan: number;
  readonly rssKb: number;
  readonly heapUsedKb: number;
  /** Heap still in use after gc(): what a leak would grow. */
  readonly liveHeapKb: number;
}

const INTERVAL_MS = 1000;

/** globalThis.gc as the CLI's flags made it (run.ts's after-scan collector needs it). */
const exposedGc = (globalThis as { gc?: () => void }).gc;

/** A gc() for the samples that leaves globalThis.gc as the CLI's flags made it. */
function sampleGc(): () => void {
  if (exposedGc !== undefined) return exposedGc;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

async function main(): Promise<void> {
  const [scansText, everyText, ...rules] = process.argv.slice(2);
  const scans = Number(scansText);
  const every = Number(everyText);
  if (!Number.isInteger(scans) || scans < 1 || !Number.isInteger(every) || every < 1) throw new Error("usage: daemon-harness.js SCANS SAMPLE_EVERY RULE...");
  const accounts = readAccounts();
  const env = process.env;
  // What src/daemon.ts does for `run --interval 1s --prometheus-listen 127.0.0.1:0 RULE...`.
  const loaded = loadScanSettings({
    accounts,
    load: () => {
      const base = defaultConfig({ env });
      if ("problems" in base) return base;
      const prometheus = { ...base.config.export.prometheus, host: LOOPBACK, port: 0 };
      return mergeCliRules({ ...base.config, intervalMs: INTERVAL_MS, export: { ...base.config.export, prometheus } }, rules, { accounts });
    },
  });
  if ("problems" in loaded) throw new Error(`configuration: ${loaded.problems.join("; ")}`);
  const { config, settings } = loaded;
  const cycle = createDaemonCycle(settings, exposedGc);
  const telemetry = startTelemetry({ export: config.export, scanIntervalMs: config.intervalMs, version: VERSION, log: (line) => process.stderr.write(`harness: ${line}\n`), env });
  const publisher = publishObservations(telemetry.meter, { latest: cycle.latest, exportFailures: () => telemetry.exportFailures(), accounts, topProcesses: config.export.topProcesses });
  if (telemetry.metricsHandler === undefined) throw new Error("the Prometheus export is off: nothing to scrape");
  const sources = { metricsHandler: telemetry.metricsHandler, verdicts: () => undefined, verdictsDocument: () => undefined };
  const server = await startServer(LOOPBACK, 0, createHandler(sources, { handlerErrors: 0 }, (line) => process.stderr.write(`harness: ${line}\n`)));
  const url = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}/metrics`;
  const agent = keepAliveAgent();

  const scanCpuUs: number[] = [];
  const cycleCpuUs: number[] = [];
  const scanWallMs: number[] = [];
  const processes: number[] = [];
  const rssKb: number[] = [];
  const samples: Sample[] = [];
  const gc = sampleGc();
  const sample = (scan: number): void => {
    // RSS and heap as the daemon would have them, then the live heap; this extra GC comes once
    // per SAMPLE_EVERY scans, far rarer than V8's own full GCs at thousands of processes.
    const rss = rssKb[rssKb.length - 1] ?? readMemory(process.pid).rssKb;
    const heapUsedKb = Math.round(process.memoryUsage().heapUsed / 1024);
    gc();
    samples.push({ scan, rssKb: rss, heapUsedKb, liveHeapKb: Math.round(process.memoryUsage().heapUsed / 1024) });
  };
  let metricsBytes = 0;
  rssKb.push(readMemory(process.pid).rssKb);
  sample(0);
  for (let i = 1; i <= scans; i++) {
    const cpu0 = process.cpuUsage();
    const { observation, scanCpuUs: cpuScan, scanWallMs: wallScan } = await cycle.run(publisher);
    scanWallMs.push(wallScan);
    const scrape = await fetchTimed(url, agent);
    if (scrape.status !== 200) throw new Error(`/metrics answered ${scrape.status}`);
    metricsBytes = scrape.body.length;
    const cpuCycle = process.cpuUsage(cpu0);
    scanCpuUs.push(cpuScan);
    cycleCpuUs.push(cpuCycle.user + cpuCycle.system);
    processes.push(observation.measurement.snapshot.processes.length);
    rssKb.push(readMemory(process.pid).rssKb);
    if (i % every === 0) sample(i);
  }
  agent.destroy();
  server.closeAllConnections();
  server.close();
  await telemetry.shutdown(2000);
  const report: HarnessReport = { scans, scanCpuUs, cycleCpuUs, scanWallMs, processes, rssKb, samples, metricsBytes, collectsAfterScan: exposedGc !== undefined };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  // The OTLP exporter's agent may keep a socket: the report is out, nothing else is owed.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`harness failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
