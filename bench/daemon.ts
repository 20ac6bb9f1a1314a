// npm run bench, daemon part (issue 5 item 7): the real `procwatch run` against Debian's
// prometheus-process-exporter over one process table with 1,000 and 5,000 extra processes. CPU per
// scan vs CPU per exporter scrape, RSS with the exporters loaded (with and without the CLI's
// --max-semi-space-size=1), RSS over 1,000 back-to-back scans (daemon-harness.ts) and /metrics
// latency while a scan runs. Prints the exact commands and a table. Spawns and kills only its own
// processes, by PID; every listener is on 127.0.0.1; root or not. Run alone: node dist/bench/daemon.js
// (BENCH_DAEMON_ROUNDS, BENCH_LATENCY_SECONDS, BENCH_SOAK_SCANS shorten it; BENCH_NODE_FLAGS tries
// other node flags than cli.js's shell lines start the daemon with, for it and the harness).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Agent } from "node:http";
import { availableParallelism as availableCpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { HarnessReport, Sample } from "./daemon-harness.js";
import { countNamed, type Herd, makeHerd, SLEEP_SECONDS } from "./herd.js";
import { type Fetched, fetchTimed, freePort, keepAliveAgent, LOOPBACK, type OtlpSink, startOtlpSink } from "./loopback.js";
import { countProcesses, readClockTicks, readCpuTicks, readMemory } from "./proc-usage.js";
import { median } from "./timing.js";
import { RULES, UNSET } from "./workload.js";

const LOADS = [1000, 5000] as const;
/** Daemon scans and exporter scrapes measured per load. One tick is 10 ms: fewer would quantise. */
const ROUNDS = Math.max(10, Number(process.env.BENCH_DAEMON_ROUNDS ?? 20));
/** Scans the daemon runs before its CPU counts: the first has no CPU window, JIT warms up. */
const WARMUP_SCANS = 3;
const EXPORTER_WARMUP_SCRAPES = 2;
/** While the daemon's CPU is measured, /metrics is scraped this often (Prometheus's default is 1 min). */
const SCRAPE_EVERY_S = 5;
const LATENCY_SECONDS = Math.max(5, Number(process.env.BENCH_LATENCY_SECONDS ?? 12));
const SOAK_SAMPLE_EVERY = 100;
/** Growth is measured from this scan on: the first scans warm the JIT and grow the heap to its steady size. */
const SOAK_WARM_SCAN = 200;
/** At least two samples in each half after warm-up. */
const SOAK_SCANS = Math.max(SOAK_WARM_SCAN + 4 * SOAK_SAMPLE_EVERY, Number(process.env.BENCH_SOAK_SCANS ?? 1000));
/** In-process CPU per scan at the small load (the big load's comes from the soak). */
const HARNESS_SCANS = 60;

/** Rounds of exporter scrapes then daemon scans at each load (issue 18: at least 5), ROUNDS of
 * each per round: both see the same host, and a burst of other work shows as one odd round. */
const INTERLEAVED_ROUNDS = Math.max(5, Number(process.env.BENCH_DAEMON_INTERLEAVED ?? 5));
const TARGET_CPU_RATIO = 0.15;
const TARGET_RSS_MB = 80;
/**
 * RSS growth after warm-up: the peak VmRSS of the later half of the scans over the peak of the
 * earlier half. Peaks, not single samples: RSS saws by ±20 MB between full GCs, and a leak lifts
 * every peak. The least-squares trend is printed beside it.
 */
const TARGET_GROWTH_MB = 3;
/** Live heap (after a forced full GC) from the warm-up sample to the last: what a leak grows. */
const TARGET_LIVE_HEAP_GROWTH_MB = 1;
const TARGET_LATENCY_MS = 100;
/** A process count that moves more than this during a measurement is flagged as not comparable. */
const TABLE_DRIFT = 0.1;

const EXPORTER = "/usr/bin/prometheus-process-exporter";

const distRoot = fileURLToPath(new URL("../", import.meta.url));
const cli = join(distRoot, "bin/cli.js");
const harness = join(distRoot, "bench/daemon-harness.js");

/** Everything spawned, so the exit handler can kill what is still alive by PID. */
const children = new Set<ChildProcess>();

// ---------- spawning ----------

interface Launch {
  readonly file: string;
  readonly args: readonly string[];
  /** Variables set on top of the bench's environment (minus UNSET). */
  readonly env: Readonly<Record<string, string>>;
}

function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of UNSET) delete env[name];
  return env;
}

function shellLine(launch: Launch): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const env = [...UNSET.flatMap((v) => ["-u", v]), ...Object.entries(launch.env).map(([k, v]) => `${k}=${v}`)];
  return ["env", ...env, launch.file, ...launch.args].map(quote).join(" ");
}

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  /** The last 4 KB of its stderr. */
  readonly stderr: () => string;
}

function launch(l: Launch, stdout: "ignore" | "pipe" = "ignore"): Running {
  const child = spawn(l.file, l.args, { cwd: "/", env: childEnv(l.env), stdio: ["ignore", stdout, "pipe"] });
  if (child.pid === undefined) throw new Error(`cannot spawn ${l.file}`);
  children.add(child);
  let err = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (c: string) => (err = (err + c).slice(-4096)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => {
    children.delete(child);
    resolve();
  }));
  // 'error' after a successful spawn is only a failed kill of an already reaped child.
  child.on("error", () => undefined);
  return { child, pid: child.pid, exited, stderr: () => err };
}

/** SIGTERM (the daemon flushes and exits), SIGKILL if it is still there after `graceMs`. */
async function stop(r: Running, graceMs = 8000): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill("SIGTERM");
  const gone = await Promise.race([r.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!gone) {
    r.child.kill("SIGKILL");
    await r.exited;
  }
}

async function waitFor<T>(what: string, r: Running | undefined, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (r !== undefined && (r.child.exitCode !== null || r.child.signalCode !== null)) {
      throw new Error(`${what}: the process exited (${r.child.exitCode ?? r.child.signalCode}): ${r.stderr()}`);
    }
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      // ECONNREFUSED until it listens; anything else shows when the deadline passes.
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

// ---------- the process table ----------

/**
 * Counts /proc's PID directories once a second, per phase of the bench. Others share this host:
 * a herd of theirs appearing mid-measurement changes what every figure means, and this says so.
 */
function watchProcessTable(): { phase(name: string): void; stop(): void; ranges(): Map<string, [number, number]>; drifted(fraction: number): string[] } {
  const seen = new Map<string, [number, number]>();
  let current = "";
  const sample = (): void => {
    if (current === "") return;
    const n = countProcesses();
    const range = seen.get(current);
    if (range === undefined) seen.set(current, [n, n]);
    else seen.set(current, [Math.min(range[0], n), Math.max(range[1], n)]);
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    phase(name) {
      current = name;
      sample();
    },
    stop: () => clearInterval(timer),
    ranges: () => seen,
    drifted: (fraction) => [...seen].filter(([, [lo, hi]]) => hi - lo > fraction * lo).map(([p]) => p),
  };
}

// ---------- the daemon ----------

/** The node flags cli.js's shell lines (src/bin/launch.sh) start the daemon with, in its last
 * line `exec node FLAGS "$0" "$@"`: what an operator runs. */
function launchNodeFlags(): string[] {
  // The shell lines end where the JavaScript's never-run here-document starts.
  const text = readFileSync(cli, "utf8");
  const shell = text.slice(0, text.indexOf("\n: <<'NOT_SHELL'"));
  const m = /^exec node((?: --?[\w-]+(?:=\S+)?)*) "\$0" "\$@"$/m.exec(shell);
  if (m === null) throw new Error(`${cli}: no \`exec node FLAGS "$0" "$@"\` line in its shell lines`);
  return (m[1] ?? "").trim().split(" ").filter((f) => f !== "");
}

interface ScanInfo {
  readonly seq: number;
  readonly atMs: number;
  readonly durationMs: number;
  readonly intervalMs: number;
}

interface Daemon {
  readonly run: Running;
  readonly base: string;
  readonly launch: Launch;
}

async function latestScan(base: string, agent?: Agent): Promise<ScanInfo | undefined> {
  const r = await fetchTimed(`${base}/verdicts?format=mon`, agent);
  if (r.status === 503) return undefined;
  if (r.status !== 200) throw new Error(`/verdicts answered ${r.status}: ${r.body}`);
  return (JSON.parse(r.body) as { scan: ScanInfo }).scan;
}

async function startDaemon(nodeFlags: readonly string[], rules: readonly string[], sink: OtlpSink, options: readonly string[] = []): Promise<Daemon> {
  const port = await freePort();
  const l: Launch = {
    file: process.execPath,
    args: [...nodeFlags, cli, "run", "--interval", "1s", "--prometheus-listen", `${LOOPBACK}:${port}`, ...options, ...rules],
    // OTLP on too ("exporters loaded"): pushed every second to a sink that answers 200.
    env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: sink.url, OTEL_METRIC_EXPORT_INTERVAL: "1000" },
  };
  const run = launch(l);
  const base = `http://${LOOPBACK}:${port}`;
  await waitFor(`the daemon's scan ${WARMUP_SCANS}`, run, async () => {
    const s = await latestScan(base);
    return s !== undefined && s.seq >= WARMUP_SCANS ? s : undefined;
  });
  return { run, base, launch: l };
}

/**
 * Waits for the quiet middle between two scans and returns the last scan's number: CPU read
 * there belongs wholly to the scans before it. The next scan starts ~intervalMs after the last.
 */
async function quietPoint(base: string): Promise<number> {
  for (;;) {
    const s = await latestScan(base);
    if (s === undefined) throw new Error("the daemon has no scan");
    const mid = s.atMs + (s.durationMs + s.intervalMs) / 2;
    const wait = mid - Date.now();
    if (wait >= 0) {
      await sleep(wait);
      return s.seq;
    }
    await sleep(Math.max(50, s.atMs + s.intervalMs + s.durationMs + 50 - Date.now()));
  }
}

interface DaemonCpu {
  readonly scans: number;
  readonly cpuMsPerScan: number;
  /** Mean wall time of a scan over the window, from the daemon's own scan-duration histogram. */
  readonly meanScanWallMs: number;
  /** VmRSS once a second over the window, kB. */
  readonly rssKb: readonly number[];
}

/** Sum and count of procwatch's scan-duration histogram in a /metrics body. */
function scanDurationTotals(body: string): { sumSec: number; count: number } | undefined {
  const sum = /^procwatch_scan_duration(?:_seconds)?_sum(?:\{[^}]*\})? (\S+)$/m.exec(body);
  const count = /^procwatch_scan_duration(?:_seconds)?_count(?:\{[^}]*\})? (\S+)$/m.exec(body);
  return sum === null || count === null ? undefined : { sumSec: Number(sum[1]), count: Number(count[1]) };
}

/**
 * CPU time (utime+stime, all threads) of the daemon over ~ROUNDS scans, per scan, with a
 * /metrics scrape every SCRAPE_EVERY_S seconds as a Prometheus would do (its cost is part of
 * running with exporters loaded), and VmRSS once a second.
 */
async function measureDaemonCpu(d: Daemon, ticksPerSec: number): Promise<DaemonCpu> {
  const agent = keepAliveAgent();
  const scrape = async (): Promise<string> => (await fetchTimed(`${d.base}/metrics`, agent)).body;
  const seq0 = await quietPoint(d.base);
  const ticks0 = readCpuTicks(d.run.pid);
  const before = scanDurationTotals(await scrape());
  const rssKb: number[] = [];
  let last = seq0;
  for (let second = 1; ; second++) {
    await sleep(1000);
    rssKb.push(readMemory(d.run.pid).rssKb);
    if (second % SCRAPE_EVERY_S === 0) await scrape();
    // Ask for the scan number only near the end: every /verdicts answer is work inside the window.
    if (second >= ROUNDS) {
      last = (await latestScan(d.base))?.seq ?? last;
      if (last >= seq0 + ROUNDS) break;
    }
  }
  const seq1 = await quietPoint(d.base);
  const ticks1 = readCpuTicks(d.run.pid);
  const after = scanDurationTotals(await scrape());
  agent.destroy();
  const meanScanWallMs = before === undefined || after === undefined || after.count === before.count
    ? NaN
    : ((after.sumSec - before.sumSec) * 1000) / (after.count - before.count);
  return { scans: seq1 - seq0, cpuMsPerScan: ((ticks1 - ticks0) * 1000) / ticksPerSec / (seq1 - seq0), meanScanWallMs, rssKb };
}

/** The herd rule's count in the daemon's latest verdicts: the daemon must see the whole herd. */
async function herdCount(d: Daemon, herdName: string): Promise<number | undefined> {
  const r = await fetchTimed(`${d.base}/verdicts?format=json`);
  const body = JSON.parse(r.body) as { result?: { rules?: { label: string; count: number }[] } };
  return body.result?.rules?.find((v) => v.label === herdName)?.count;
}

interface Latency {
  readonly all: readonly number[];
  /** Scrapes whose time overlapped a scan. */
  readonly duringScan: readonly number[];
  readonly scans: number;
}

/** /metrics back to back for `seconds`, beside a /verdicts poll that records every scan's span. */
async function measureScrapeLatency(d: Daemon, seconds: number): Promise<Latency> {
  const scrapes: Fetched[] = [];
  const scans = new Map<number, ScanInfo>();
  const end = performance.now() + seconds * 1000;
  const scrapeAgent = keepAliveAgent();
  const pollAgent = keepAliveAgent();
  const scraping = (async () => {
    while (performance.now() < end) {
      const r = await fetchTimed(`${d.base}/metrics`, scrapeAgent);
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      scrapes.push(r);
    }
  })();
  const polling = (async () => {
    // Each scan stays the latest for ~1 s: polling 4 times a second sees every one.
    while (performance.now() < end + 1500) {
      const s = await latestScan(d.base, pollAgent);
      if (s !== undefined) scans.set(s.seq, s);
      await sleep(250);
    }
  })();
  await Promise.all([scraping, polling]);
  scrapeAgent.destroy();
  pollAgent.destroy();
  // performance.now() is ms since timeOrigin; the daemon's atMs is Date.now() on this host.
  const spans = [...scans.values()].map((s) => [s.atMs, s.atMs + s.durationMs] as const);
  const overlaps = (f: Fetched): boolean => {
    const a = performance.timeOrigin + f.startedAt;
    const b = a + f.ms;
    return spans.some(([s, e]) => a < e && b > s);
  };
  return { all: scrapes.map((f) => f.ms), duringScan: scrapes.filter(overlaps).map((f) => f.ms), scans: scans.size };
}

// ---------- process-exporter and the harness ----------

interface ExporterCpu {
  readonly cpuMsPerScrape: number;
  readonly medianScrapeWallMs: number;
  /** Its namedprocess_namegroup_num_procs for the herd's group. */
  readonly herdProcs: number | undefined;
}

async function measureExporterCpu(pid: number, url: string, herdName: string, ticksPerSec: number): Promise<ExporterCpu> {
  const agent = keepAliveAgent();
  let last: Fetched | undefined;
  for (let i = 0; i < EXPORTER_WARMUP_SCRAPES; i++) last = await fetchTimed(url, agent);
  const ticks0 = readCpuTicks(pid);
  const walls: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    last = await fetchTimed(url, agent);
    if (last.status !== 200) throw new Error(`process-exporter answered ${last.status}`);
    walls.push(last.ms);
  }
  const ticks1 = readCpuTicks(pid);
  agent.destroy();
  const m = new RegExp(`^namedprocess_namegroup_num_procs\\{groupname="${herdName}"\\} (\\d+)$`, "m").exec(last?.body ?? "");
  return { cpuMsPerScrape: ((ticks1 - ticks0) * 1000) / ticksPerSec / ROUNDS, medianScrapeWallMs: median(walls), herdProcs: m === null ? undefined : Number(m[1]) };
}

interface Interleaved {
  readonly exporter: ExporterCpu;
  readonly daemon: DaemonCpu;
  /** Daemon CPU per scan over exporter CPU per scrape, round by round. */
  readonly ratios: readonly number[];
}

/**
 * INTERLEAVED_ROUNDS rounds: ROUNDS exporter scrapes with the daemon stopped (SIGSTOP, so its
 * scans do not share the cores with the scrapes), then ROUNDS daemon scans. The pooled figures
 * are means over every round.
 */
async function interleavedCpu(d: Daemon, exporterPid: number, url: string, herdName: string, ticksPerSec: number): Promise<Interleaved> {
  const exporter: ExporterCpu[] = [];
  const daemon: DaemonCpu[] = [];
  for (let round = 0; round < INTERLEAVED_ROUNDS; round++) {
    process.kill(d.run.pid, "SIGSTOP");
    try {
      exporter.push(await measureExporterCpu(exporterPid, url, herdName, ticksPerSec));
    } finally {
      process.kill(d.run.pid, "SIGCONT");
    }
    daemon.push(await measureDaemonCpu(d, ticksPerSec));
  }
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const scans = daemon.reduce((n, c) => n + c.scans, 0);
  return {
    exporter: {
      cpuMsPerScrape: mean(exporter.map((e) => e.cpuMsPerScrape)),
      medianScrapeWallMs: median(exporter.map((e) => e.medianScrapeWallMs)),
      herdProcs: exporter.at(-1)?.herdProcs,
    },
    daemon: {
      scans,
      cpuMsPerScan: daemon.reduce((t, c) => t + c.cpuMsPerScan * c.scans, 0) / scans,
      meanScanWallMs: mean(daemon.map((c) => c.meanScanWallMs)),
      rssKb: daemon.flatMap((c) => c.rssKb),
    },
    ratios: daemon.map((c, i) => c.cpuMsPerScan / (exporter[i] as ExporterCpu).cpuMsPerScrape),
  };
}

async function runHarness(l: Launch): Promise<HarnessReport> {
  const run = launch(l, "pipe");
  let out = "";
  run.child.stdout?.setEncoding("utf8");
  run.child.stdout?.on("data", (c: string) => (out += c));
  await run.exited;
  if (run.child.exitCode !== 0) throw new Error(`daemon-harness exited ${run.child.exitCode ?? run.child.signalCode}: ${run.stderr()}`);
  return JSON.parse(out) as HarnessReport;
}

// ---------- figures ----------

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

const ms = (v: number): string => (Number.isNaN(v) ? "n/a" : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
const passFail = (ok: boolean): string => (ok ? "PASS" : "FAIL");

interface LoadFigures {
  readonly extra: number;
  /** PID directories in /proc when the load's measurements began. */
  readonly processes: number;
  /** 1-minute load average when the load's measurements began. */
  readonly loadAvg: number;
  readonly exporter: ExporterCpu;
  readonly daemon: DaemonCpu;
  /** Round by round (interleavedCpu). */
  readonly ratios: readonly number[];
  readonly herdSeen: number | undefined;
  /** In-process CPU per scan (median after warm-up), µs: scan alone, and the whole cycle. */
  readonly inProcess: { readonly scanUs: number; readonly cycleUs: number; readonly scans: number };
  readonly latency: Latency;
  readonly rssKb: number;
  readonly hwmKb: number;
}

interface SoakFigures {
  readonly report: HarnessReport;
  readonly warm: Sample;
  readonly first: Sample;
  readonly last: Sample;
  /** Least-squares RSS trend over every scan from SOAK_WARM_SCAN on, MB per 1,000 scans. */
  readonly rssSlopeMbPer1000: number;
  /** Peak VmRSS of the earlier and the later half of the scans after SOAK_WARM_SCAN, kB. */
  readonly earlyPeakKb: number;
  readonly latePeakKb: number;
  /** Scan where the later half starts. */
  readonly halfScan: number;
  readonly liveHeapGrowthMb: number;
}

function soakFigures(report: HarnessReport): SoakFigures {
  const at = (scan: number): Sample | undefined => report.samples.find((x) => x.scan === scan);
  const last = report.samples[report.samples.length - 1];
  const warm = at(SOAK_WARM_SCAN);
  const first = at(SOAK_SAMPLE_EVERY);
  if (last === undefined || warm === undefined || first === undefined) throw new Error(`bug: the soak has no samples at ${SOAK_SAMPLE_EVERY} and ${SOAK_WARM_SCAN}`);
  const trend = report.rssKb.map((kb, scan) => [scan, kb / 1024] as const).filter(([scan]) => scan >= SOAK_WARM_SCAN);
  const halfScan = Math.round((SOAK_WARM_SCAN + report.scans) / 2);
  return {
    report, warm, first, last,
    rssSlopeMbPer1000: slope(trend) * 1000,
    earlyPeakKb: Math.max(...report.rssKb.slice(SOAK_WARM_SCAN, halfScan)),
    latePeakKb: Math.max(...report.rssKb.slice(halfScan)),
    halfScan,
    liveHeapGrowthMb: (last.liveHeapKb - warm.liveHeapKb) / 1024,
  };
}

// ---------- main ----------

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run bench does)`);
  if (!existsSync(harness)) throw new Error(`${harness} is missing: build first`);
  if (!existsSync(EXPORTER)) throw new Error(`${EXPORTER} is missing: apt-get install prometheus-process-exporter`);
  const ticksPerSec = readClockTicks();
  const launchFlags = launchNodeFlags();
  // BENCH_NODE_FLAGS tries other flags for the daemon and the harness without rebuilding cli.js.
  const override = process.env.BENCH_NODE_FLAGS;
  const nodeFlags = override === undefined ? launchFlags : override.split(" ").filter((f) => f !== "");
  const flagsOrigin = override === undefined ? "cli.js's shell lines" : `BENCH_NODE_FLAGS; the shell lines have ${launchFlags.join(" ")}`;
  const tmp = mkdtempSync(join(tmpdir(), "pwbench-daemon-"));
  let herd: Herd | undefined;
  process.on("exit", () => {
    herd?.killAll();
    for (const c of children) c.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(sig, () => {
      process.stderr.write(`bench daemon: ${sig}: killing what it started and exiting\n`);
      process.exit(code);
    });
  }
  const log = (line: string): void => {
    process.stderr.write(`bench daemon: ${line}\n`);
  };

  const name = `pwd${randomBytes(5).toString("hex")}`;
  if (countNamed(name) !== 0) throw new Error(`processes named ${name} already exist: run again`);
  herd = makeHerd(tmp, name);
  const sink = await startOtlpSink();

  // One group per comm: the exporter names and reads every process, as procwatch's scan does.
  const exporterConfig = join(tmp, "process-exporter.yml");
  const exporterConfigText = 'process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n      - ".+"\n';
  writeFileSync(exporterConfig, exporterConfigText);
  const exporterPort = await freePort();
  const exporterLaunch: Launch = {
    file: EXPORTER,
    args: ["-gather-smaps=false", "-threads=false", "-web.listen-address", `${LOOPBACK}:${exporterPort}`, "-config.path", exporterConfig],
    env: {},
  };
  const exporter = launch(exporterLaunch);
  const exporterUrl = `http://${LOOPBACK}:${exporterPort}/metrics`;
  await waitFor("process-exporter's /metrics", exporter, async () => ((await fetchTimed(exporterUrl)).status === 200 ? true : undefined));
  const versionRun = spawnSync(EXPORTER, ["-version"], { encoding: "utf8" });
  const exporterVersion = /revision: ([^)\s]+)/.exec(`${versionRun.stdout}${versionRun.stderr}`)?.[1] ?? "(version unknown)";

  const table = watchProcessTable();
  const rulesFor = (extra: number): string[] => [...RULES, `${name}:${extra}-${extra}`];
  const otlpEnv = { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: sink.url, OTEL_METRIC_EXPORT_INTERVAL: "1000" };
  const figures: LoadFigures[] = [];
  let daemonLaunch: Launch | undefined;
  let soakLaunch: Launch | undefined;
  let soak: SoakFigures | undefined;
  let uncapped: { cpu: DaemonCpu; rssKb: number; hwmKb: number; launch: Launch } | undefined;
  /** At +5000, the daemon with every resource metric group (fds and io read for each herd process) and with none. */
  const resourceRuns: { what: string; config: string; cpu: DaemonCpu; launch: Launch }[] = [];
  const flags = nodeFlags.join(" ") || "no node flags";

  for (const extra of LOADS) {
    log(`growing the herd to ${extra} ...`);
    table.phase(""); // our own herd growing is not a change under a measurement
    await herd.growTo(extra);
    const processes = countProcesses();
    const loadAvg = loadavg()[0] ?? NaN;

    log(`${INTERLEAVED_ROUNDS} interleaved rounds at ${processes} processes: process-exporter ${EXPORTER_WARMUP_SCRAPES} + ${ROUNDS} scrapes (procwatch stopped), procwatch run (${flags}) ${ROUNDS} scans; then ${LATENCY_SECONDS} s of scrapes ...`);
    table.phase(`+${extra} exporter and daemon`);
    const d = await startDaemon(nodeFlags, rulesFor(extra), sink);
    daemonLaunch = d.launch;
    const rounds = await interleavedCpu(d, exporter.pid, exporterUrl, name, ticksPerSec);
    const exporterCpu = rounds.exporter;
    const cpu = rounds.daemon;
    const herdSeen = await herdCount(d, name);
    const latency = await measureScrapeLatency(d, LATENCY_SECONDS);
    const mem = readMemory(d.run.pid);
    await stop(d.run);

    const scans = extra === 5000 ? SOAK_SCANS : HARNESS_SCANS;
    log(`in-process harness: ${scans} scans back to back ...`);
    table.phase(`+${extra} harness`);
    const h: Launch = { file: process.execPath, args: [...nodeFlags, harness, String(scans), String(SOAK_SAMPLE_EVERY), ...rulesFor(extra)], env: otlpEnv };
    const report = await runHarness(h);
    const warm = Math.min(WARMUP_SCANS + 5, report.scans - 1);
    const inProcess = { scanUs: median(report.scanCpuUs.slice(warm)), cycleUs: median(report.cycleCpuUs.slice(warm)), scans: report.scans - warm };
    if (extra === 5000) {
      soak = soakFigures(report);
      soakLaunch = h;
      log("procwatch run without node flags, for its RSS ...");
      table.phase(`+${extra} no flags`);
      const u = await startDaemon([], rulesFor(extra), sink);
      const ucpu = await measureDaemonCpu(u, ticksPerSec);
      await measureScrapeLatency(u, LATENCY_SECONDS);
      const umem = readMemory(u.run.pid);
      await stop(u.run);
      uncapped = { cpu: ucpu, rssKb: umem.rssKb, hwmKb: umem.hwmKb, launch: u.launch };
      // The herd rule matches all 5000: per-rule resource metrics read status, fd/ and io of each.
      for (const [what, groups] of [["all resource metrics", "[memory, threads, cpu, starts, start_time, faults, context_switches, fds, io]"], ["no resource metrics", "false"]] as const) {
        log(`procwatch run with ${what} ...`);
        table.phase(`+${extra} ${what}`);
        const config = join(tmp, `resources-${groups === "false" ? "none" : "all"}.yaml`);
        // A file turns off what it leaves out: these lines keep the checks the default runs (every
        // security check, the runaway check at 90 %), so only the resource metrics differ.
        writeFileSync(config, `security:\n  checks: all\ncpu:\n  max_percent: 90\nexport:\n  resource_metrics: ${groups}\n`);
        const rd = await startDaemon(nodeFlags, rulesFor(extra), sink, ["--config", config]);
        const rcpu = await measureDaemonCpu(rd, ticksPerSec);
        await stop(rd.run);
        resourceRuns.push({ what, config: `security: all, cpu: max_percent: 90, export: resource_metrics: ${groups}`, cpu: rcpu, launch: rd.launch });
      }
    }
    figures.push({ extra, processes, loadAvg, exporter: exporterCpu, daemon: cpu, ratios: rounds.ratios, herdSeen, inProcess, latency, rssKb: mem.rssKb, hwmKb: mem.hwmKb });
  }
  table.stop();
  herd.killAll();
  await stop(exporter);
  const otlp = sink.received();
  await sink.close();
  if (soak === undefined || uncapped === undefined || daemonLaunch === undefined || soakLaunch === undefined) throw new Error("bug: a measurement is missing");
  const big = figures.find((f) => f.extra === 5000);
  if (big === undefined) throw new Error("bug: no figures at 5000");

  // ---------- report ----------
  const out: string[] = [];
  const line = (text = ""): void => {
    out.push(text);
  };
  const ratio = (f: LoadFigures): number => f.daemon.cpuMsPerScan / f.exporter.cpuMsPerScrape;
  const maxOf = (values: readonly number[]): number => (values.length === 0 ? NaN : Math.max(...values));

  line();
  line(`procwatch run vs prometheus-process-exporter ${exporterVersion}; node ${process.version}, USER_HZ ${ticksPerSec}, uid ${process.getuid?.() ?? "?"}, ${availableCpus()} CPUs`);
  for (const f of figures) {
    line(`  +${f.extra}: ${f.processes} processes in /proc at the start; load average ${f.loadAvg.toFixed(2)}`);
  }
  line(`  processes in /proc, min-max sampled once a second: ${[...table.ranges()].map(([p, [lo, hi]]) => `${p} ${lo}-${hi}`).join(", ")}`);
  const soakProcs = [Math.min(...soak.report.processes), Math.max(...soak.report.processes)] as const;
  const shifted = table.drifted(TABLE_DRIFT);
  for (const where of shifted) line(`  WARNING: the process table changed by more than ${TABLE_DRIFT * 100}% during ${where}: other work on this host`);
  line();
  const r0 = soak.report;
  line("1. CPU time per scan vs per process-exporter scrape");
  line(`   ${INTERLEAVED_ROUNDS} interleaved rounds per load; in each, the exporter's scrapes (procwatch stopped by SIGSTOP), then procwatch's scans; figures pooled over the rounds;`);
  line(`   daemon: utime+stime of /proc/PID/stat between two quiet points ${ROUNDS}+ scans apart (seq from /verdicts), 1 s interval, default configuration, Prometheus and OTLP exports on;`);
  line(`   in-process: process.cpuUsage() around scanner.scan() (scan), and scan + recordScan${r0.collectsAfterScan ? " + run.ts's after-scan collector" : ""} + one /metrics scrape (cycle); medians after warm-up;`);
  line(`   exporter: utime+stime of /proc/PID/stat over ${ROUNDS} sequential /metrics scrapes after ${EXPORTER_WARMUP_SCRAPES} warm-up scrapes.`);
  const head = ["extra", "procs", "daemon/scan", "µs/proc", "scan wall", "in-proc scan", "in-proc cycle", "exporter/scrape", "µs/proc", "ratio", `≤ ${TARGET_CPU_RATIO}×`];
  const widths = [7, 7, 19, 9, 11, 14, 15, 17, 9, 8, 6];
  const row = (cells: readonly string[]): string => `   ${cells.map((c, i) => c.padEnd(widths[i] ?? 8)).join("")}`.trimEnd();
  line(row(head));
  for (const f of figures) {
    line(row([
      `+${f.extra}`, String(f.processes), `${ms(f.daemon.cpuMsPerScan)} (${f.daemon.scans} scans)`, (f.daemon.cpuMsPerScan * 1000 / f.processes).toFixed(1),
      ms(f.daemon.meanScanWallMs), ms(f.inProcess.scanUs / 1000), ms(f.inProcess.cycleUs / 1000), ms(f.exporter.cpuMsPerScrape),
      (f.exporter.cpuMsPerScrape * 1000 / f.processes).toFixed(1), ratio(f).toFixed(3), passFail(ratio(f) <= TARGET_CPU_RATIO),
    ]));
  }
  for (const f of figures) {
    line(`   +${f.extra}, round by round: ${f.ratios.map((x) => x.toFixed(3)).join(", ")} (median ${median(f.ratios).toFixed(3)})`);
  }
  for (const f of figures) {
    if (f.herdSeen !== f.extra || f.exporter.herdProcs !== f.extra) {
      line(`   WARNING at +${f.extra}: the daemon counted ${f.herdSeen ?? "none"} and the exporter ${f.exporter.herdProcs ?? "none"} of the ${f.extra} herd processes`);
    }
  }
  for (const rr of resourceRuns) {
    line(`   +5000, ${rr.what} (${rr.config}; the table's daemon runs the default groups): ${ms(rr.cpu.cpuMsPerScan)} per scan over ${rr.cpu.scans} scans, `
      + `scan wall ${ms(rr.cpu.meanScanWallMs)}, ratio to the exporter ${(rr.cpu.cpuMsPerScan / big.exporter.cpuMsPerScrape).toFixed(3)}`);
  }
  line();
  const win = big.daemon.rssKb;
  const winMax = maxOf(win);
  const uwin = uncapped.cpu.rssKb;
  line(`2. RSS of the daemon at +5000, exporters loaded (Prometheus; OTLP every 1 s to a local sink that answers 200: ${otlp.requests} exports received in the run)`);
  line(`   VmRSS once a second over the ${win.length} s CPU window after ${WARMUP_SCANS} warm-up scans, /metrics scraped every ${SCRAPE_EVERY_S} s; then after ${LATENCY_SECONDS} s of back-to-back scrapes:`);
  line(`   ${flags} (${flagsOrigin}): median ${mb(median(win))}, max ${mb(winMax)}; after the scrape storm ${mb(big.rssKb)}, peak VmHWM ${mb(big.hwmKb)}; target < ${TARGET_RSS_MB} MB: ${passFail(winMax / 1024 < TARGET_RSS_MB)}`);
  line(`   no node flags: median ${mb(median(uwin))}, max ${mb(maxOf(uwin))}; after the scrape storm ${mb(uncapped.rssKb)}, peak VmHWM ${mb(uncapped.hwmKb)} (CPU ${ms(uncapped.cpu.cpuMsPerScan)} per scan over ${uncapped.cpu.scans} scans)`);
  line();
  const r = soak.report;
  line(`3. RSS over ${r.scans} back-to-back scans at +5000 (in-process harness, ${flags}; scan + recordScan${r.collectsAfterScan ? " + run.ts's after-scan collector" : ""} + /metrics scrape per cycle, OTLP every 1 s)`);
  line(`   VmRSS every ${SOAK_SAMPLE_EVERY} scans (MB): ${r.samples.map((x) => `${x.scan}: ${(x.rssKb / 1024).toFixed(1)}`).join(", ")}`);
  line(`   live heap after a full GC (MB):  ${r.samples.map((x) => `${x.scan}: ${(x.liveHeapKb / 1024).toFixed(1)}`).join(", ")}`);
  const peakGrowthMb = (soak.latePeakKb - soak.earlyPeakKb) / 1024;
  line(`   first (scan ${soak.first.scan}) ${mb(soak.first.rssKb)}, last (scan ${soak.last.scan}) ${mb(soak.last.rssKb)}; median in-process scan ${ms(median(r.scanWallMs))} wall; ${soakProcs[0]}-${soakProcs[1]} processes per scan`);
  line(`   peak VmRSS scans ${SOAK_WARM_SCAN}-${soak.halfScan - 1}: ${mb(soak.earlyPeakKb)}, scans ${soak.halfScan}-${r.scans}: ${mb(soak.latePeakKb)} (${peakGrowthMb >= 0 ? "+" : ""}${peakGrowthMb.toFixed(1)} MB; target < ${TARGET_GROWTH_MB} MB: ${passFail(peakGrowthMb < TARGET_GROWTH_MB)}); `
    + `least-squares trend after scan ${SOAK_WARM_SCAN}: ${soak.rssSlopeMbPer1000 >= 0 ? "+" : ""}${soak.rssSlopeMbPer1000.toFixed(1)} MB per 1,000 scans`);
  line(`   live heap scan ${soak.warm.scan} → ${soak.last.scan}: ${soak.liveHeapGrowthMb >= 0 ? "+" : ""}${soak.liveHeapGrowthMb.toFixed(2)} MB; target < ${TARGET_LIVE_HEAP_GROWTH_MB} MB: ${passFail(soak.liveHeapGrowthMb < TARGET_LIVE_HEAP_GROWTH_MB)}`);
  line();
  line(`4. /metrics latency while the daemon scans: back to back for ${LATENCY_SECONDS} s on one keep-alive connection; "during a scan" = overlapping a scan's span from /verdicts`);
  for (const f of figures) {
    const d = f.latency.duringScan;
    line(`   +${f.extra}: ${f.latency.all.length} scrapes, p99 ${ms(quantile(f.latency.all, 0.99))}, max ${ms(maxOf(f.latency.all))}; ${d.length} during ${f.latency.scans} scans: `
      + `p50 ${ms(quantile(d, 0.5))}, p99 ${ms(quantile(d, 0.99))}, max ${ms(maxOf(d))}; target < ${TARGET_LATENCY_MS} ms: ${passFail(maxOf(d) < TARGET_LATENCY_MS)}`);
  }
  line();
  line(`Commands (N = the herd size; the herd is /bin/sleep ${SLEEP_SECONDS} symlinked to a unique name, so comm = that name):`);
  line(`   daemon:   ${shellLine(daemonLaunch).replace(/:\d+-\d+$/, ":N-N")}`);
  line(`   no flags: ${shellLine(uncapped.launch).replace(/:\d+-\d+$/, ":N-N")}`);
  for (const rr of resourceRuns) line(`   ${rr.what}: ${shellLine(rr.launch).replace(/:\d+-\d+$/, ":N-N")}`);
  line(`   exporter: ${shellLine(exporterLaunch)}`);
  line(`             with ${exporterConfig}: ${JSON.stringify(exporterConfigText)}`);
  line(`   harness:  ${shellLine(soakLaunch).replace(/:\d+-\d+$/, ":N-N")}`);
  line("   probes:   GET /metrics, /verdicts?format=mon; CPU = /proc/PID/stat fields 14+15; RSS = /proc/PID/status VmRSS");
  line();
  const cpuOk = figures.every((f) => ratio(f) <= TARGET_CPU_RATIO);
  const latOk = figures.every((f) => maxOf(f.latency.duringScan) < TARGET_LATENCY_MS);
  const growthOk = peakGrowthMb < TARGET_GROWTH_MB && soak.liveHeapGrowthMb < TARGET_LIVE_HEAP_GROWTH_MB;
  const summary: [string, string, string, boolean][] = [
    ["daemon CPU/scan ÷ exporter CPU/scrape", figures.map((f) => `+${f.extra}: ${ratio(f).toFixed(3)}`).join(", "), `≤ ${TARGET_CPU_RATIO}`, cpuOk],
    ["RSS at +5000, exporters loaded: max", `${mb(winMax)} (no flags: ${mb(maxOf(uwin))})`, `< ${TARGET_RSS_MB} MB`, winMax / 1024 < TARGET_RSS_MB],
    [`growth over ${r.scans} scans: RSS peak, live heap`, `${peakGrowthMb.toFixed(1)} MB, ${soak.liveHeapGrowthMb.toFixed(2)} MB`, `< ${TARGET_GROWTH_MB} / ${TARGET_LIVE_HEAP_GROWTH_MB} MB`, growthOk],
    ["/metrics during a scan: max (p99)", figures.map((f) => `+${f.extra}: ${ms(maxOf(f.latency.duringScan))} (${ms(quantile(f.latency.duringScan, 0.99))})`).join(", "), `< ${TARGET_LATENCY_MS} ms`, latOk],
  ];
  const width = Math.max(...summary.map(([, value]) => value.length)) + 2;
  line("Summary");
  const whatWidth = Math.max(...summary.map(([what]) => what.length)) + 2;
  for (const [what, value, target, ok] of summary) line(`   ${what.padEnd(whatWidth)}${value.padEnd(width)}${target.padEnd(12)}${passFail(ok)}`);
  if (shifted.length > 0) line(`   (the process table changed under the bench during ${shifted.join(", ")}: figures there are not comparable; run again when the host is quiet)`);
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench daemon failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  // Exit now: the 'exit' handler kills what the bench started, by PID. Waiting for the event loop
  // to drain would wait for the herd's and the servers' timers (up to the herd's 45 minutes).
  process.exit(1);
});
