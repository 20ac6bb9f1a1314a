// npm run bench, second part: `procwatch run` against Debian's prometheus-process-exporter over
// one process table, with 1,000 and 5,000 extra processes. CPU time per daemon scan vs per
// exporter scrape (from /proc/PID/stat of each), the daemon's RSS with its exporters loaded,
// scrape latency while a scan runs, and RSS over 1,000 back-to-back scans (daemon-soak.ts).
// Every process it starts is killed by PID; every listener is on 127.0.0.1.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { countNamed, type Herd, makeHerd } from "./herd.js";
import { cpuTicks, rssMb } from "./proc-stat.js";
import { median } from "./timing.js";

const LOADS = [1000, 5000] as const;
const BIG = 5000;
const EXPORTER = "/usr/bin/prometheus-process-exporter";
const RULES = ["sshd:1-", "cron:1-5", "tor:1-1", "master:1-2", "auditd:1-1", "rsyslogd:1-1", "dbus-daemon:1-"];
/** Scans (daemon) and scrapes (exporter) measured per load; CPU ticks are 10 ms, so not fewer. */
const ROUNDS = Math.max(10, Number(process.env.BENCH_DAEMON_ROUNDS ?? 20));
const SOAK_SCANS = 1000;
const TARGET_CPU_RATIO = 0.2;
const TARGET_RSS_MB = 100;
const TARGET_SCRAPE_MS = 100;
/** The node flags of the shipped CLI's shebang (`#!/usr/bin/env -S node FLAGS`): the daemon is
 * measured as an operator runs it. */
const SHEBANG_FLAGS = readFileSync(join(fileURLToPath(new URL("../../", import.meta.url)), "dist/bin/cli.js"), "utf8")
  .split("\n", 1)[0]?.replace(/^#!.*?\bnode\b/, "").trim().split(/\s+/).filter((f) => f !== "") ?? [];

const pkgRoot = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(pkgRoot, "dist/bin/cli.js");
const clkTck = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const children: ChildProcess[] = [];

interface Timed {
  readonly body: string;
  readonly ms: number;
  readonly startMs: number;
}

function fetchTimed(url: string): Promise<Timed> {
  const startMs = Date.now();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ body, ms: performance.now() - t0, startMs }));
    }).on("error", reject);
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"], env });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  child.on("exit", (code, sig) => {
    if (code !== 0 && sig !== "SIGKILL" && sig !== "SIGTERM") process.stderr.write(`bench: ${file} exited ${code ?? sig}: ${err}\n`);
  });
  children.push(child);
  return child;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`bench: gave up waiting for ${what}`);
    await sleep(100);
  }
}

interface Scan {
  readonly seq: number;
  readonly atMs: number;
  readonly durationMs: number;
}

async function latestScan(base: string): Promise<Scan> {
  // format=mon: its text is a few lines; json lists every match, and formatting that each scan
  // would be counted as the daemon's scan cost.
  const v = JSON.parse((await fetchTimed(`${base}/verdicts?format=mon`)).body) as { scan?: Scan };
  if (v.scan === undefined) throw new Error("no scan yet");
  return v.scan;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly base: string;
  readonly args: readonly string[];
}

async function startDaemon(flags: readonly string[], rules: readonly string[], sinkUrl: string): Promise<Daemon> {
  const port = await freePort();
  const args = [...flags, cli, "run", "--interval", "1s", "--prometheus-listen", `127.0.0.1:${port}`, ...rules];
  const env = { ...process.env, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: sinkUrl, OTEL_METRIC_EXPORT_INTERVAL: "1000" };
  const child = start(process.execPath, args, env);
  const base = `http://127.0.0.1:${port}`;
  await waitFor("the daemon's first scan", () => latestScan(base));
  return { child, base, args };
}

/** CPU ms per scan over ROUNDS scans, the median wall time of those scans, and RSS sampled along. */
async function daemonCpuPerScan(d: Daemon): Promise<{ cpuMs: number; wallMs: number; rss: number[] }> {
  const first = await waitFor("a new scan", async () => latestScan(d.base));
  const ticks0 = cpuTicks(d.child.pid as number);
  const walls: number[] = [];
  const rss: number[] = [];
  let last = first;
  while (last.seq < first.seq + ROUNDS) {
    await sleep(200);
    const s = await latestScan(d.base);
    if (s.seq !== last.seq) walls.push(s.durationMs);
    rss.push(rssMb(d.child.pid as number));
    last = s;
  }
  const ticks1 = cpuTicks(d.child.pid as number);
  return { cpuMs: ((ticks1 - ticks0) * 1000) / clkTck / (last.seq - first.seq), wallMs: median(walls), rss };
}

async function exporterCpuPerScrape(pid: number, url: string): Promise<number> {
  for (let i = 0; i < 2; i++) await fetchTimed(url); // its first scrape builds its tables
  const ticks0 = cpuTicks(pid);
  for (let i = 0; i < ROUNDS; i++) await fetchTimed(url);
  return ((cpuTicks(pid) - ticks0) * 1000) / clkTck / ROUNDS;
}

/** Back-to-back scrapes for a while; the ones whose time overlaps a scan are the ones that count. */
async function scrapeLatency(d: Daemon, seconds: number): Promise<{ all: number[]; during: number[] }> {
  const scrapes: Timed[] = [];
  const scans = new Map<number, Scan>();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    scrapes.push(await fetchTimed(`${d.base}/metrics`));
    const s = await latestScan(d.base);
    scans.set(s.seq, s);
  }
  const overlaps = (t: Timed): boolean =>
    [...scans.values()].some((s) => t.startMs < s.atMs + s.durationMs && t.startMs + t.ms > s.atMs);
  return { all: scrapes.map((t) => t.ms), during: scrapes.filter(overlaps).map((t) => t.ms) };
}

function soak(rules: readonly string[]): { scan: number; rssMb: number }[] {
  const args = [...SHEBANG_FLAGS, join(pkgRoot, "dist/bench/daemon-soak.js"), String(SOAK_SCANS), ...rules];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`daemon-soak failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { samples: { scan: number; rssMb: number }[] }).samples;
}

function startSink(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}

const fmt = (ms: number): string => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");
const quantile = (values: readonly number[], q: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? NaN;
};

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm run bench does)`);
  if (!existsSync(EXPORTER)) throw new Error(`${EXPORTER} is missing: apt-get install prometheus-process-exporter`);
  const tmp = mkdtempSync(join(tmpdir(), "pwbench-daemon-"));
  let herd: Herd | undefined;
  const sink = await startSink();
  process.on("exit", () => {
    herd?.killAll();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) process.on(sig, () => process.exit(code));

  const name = `pwd${randomBytes(4).toString("hex")}`;
  if (countNamed(name) !== 0) throw new Error(`processes named ${name} already exist; run again`);
  herd = makeHerd(tmp, name);
  const exporterConfig = join(tmp, "process-exporter.yml");
  // One group per comm: every process is reported under its own name, like procwatch sees them.
  writeFileSync(exporterConfig, 'process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n      - ".+"\n');
  const exporterPort = await freePort();
  const exporterArgs = ["-gather-smaps=false", "-threads=false", "-config.path", exporterConfig, "-web.listen-address", `127.0.0.1:${exporterPort}`];
  const exporter = start(EXPORTER, exporterArgs);
  const exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
  await waitFor("process-exporter", async () => ((await fetchTimed(exporterUrl)).body.length > 0 ? true : undefined));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/metrics`;

  const rows: string[] = [];
  let daemonArgs: readonly string[] = [];
  let rss5000: number[] = [];
  let latency: { all: number[]; during: number[] } = { all: [], during: [] };
  const rules = (extra: number): string[] => [...RULES, `${name}:${extra}-${extra}`];
  for (const extra of LOADS) {
    process.stderr.write(`bench: daemon vs process-exporter at ${extra} extra processes ...\n`);
    await herd.growTo(extra);
    const daemon = await startDaemon(SHEBANG_FLAGS, rules(extra), sinkUrl);
    daemonArgs = daemon.args;
    const d = await daemonCpuPerScan(daemon);
    if (extra === BIG) {
      rss5000 = d.rss;
      latency = await scrapeLatency(daemon, 8);
    }
    // Gone before the exporter is measured: two cores, and each must have one to itself.
    daemon.child.kill("SIGKILL");
    const e = await exporterCpuPerScrape(exporter.pid as number, exporterUrl);
    const ratio = d.cpuMs / e;
    rows.push(`${String(extra).padEnd(7)}${fmt(d.cpuMs).padEnd(12)}${fmt(d.wallMs).padEnd(12)}${fmt(e).padEnd(14)}${ratio.toFixed(3).padEnd(8)}≤ ${TARGET_CPU_RATIO} ${verdict(ratio <= TARGET_CPU_RATIO)}`);
  }
  process.stderr.write("bench: the daemon's RSS without the shebang's flags ...\n");
  const uncapped = await startDaemon([], rules(BIG), sinkUrl);
  const rssUncapped = (await daemonCpuPerScan(uncapped)).rss;
  uncapped.child.kill("SIGKILL");
  process.stderr.write(`bench: ${SOAK_SCANS} scans back to back for RSS growth ...\n`);
  const samples = soak(rules(BIG));
  herd.killAll();
  exporter.kill("SIGKILL");
  sink.close();

  const warm = samples.find((s) => s.scan === 200) ?? samples[0];
  const lastSample = samples[samples.length - 1];
  const growth = (lastSample?.rssMb ?? NaN) - (warm?.rssMb ?? NaN);
  const out = [
    "",
    `procwatch run vs prometheus-process-exporter ${spawnSync(EXPORTER, ["-version"], { encoding: "utf8" }).stderr.split("\n")[0]?.trim() ?? ""}`,
    `CPU time per daemon scan (utime+stime over ${ROUNDS} scans, 1 s apart, OTLP and Prometheus exporters on) vs per exporter scrape (${ROUNDS} scrapes):`,
    `${"extra".padEnd(7)}${"daemon CPU".padEnd(12)}${"scan wall".padEnd(12)}${"exporter CPU".padEnd(14)}${"ratio".padEnd(8)}target`,
    ...rows,
    "",
    `RSS at ${BIG} extra with exporters loaded, sampled every 200 ms over ${ROUNDS} scans: median ${median(rss5000).toFixed(1)} MB, `
      + `max ${Math.max(...rss5000).toFixed(1)} MB with ${SHEBANG_FLAGS.join(" ")} (the shipped CLI's shebang flags); without them median ${median(rssUncapped).toFixed(1)}, `
      + `max ${Math.max(...rssUncapped).toFixed(1)} MB; target < ${TARGET_RSS_MB} MB: ${verdict(Math.max(...rss5000) < TARGET_RSS_MB)}`,
    `Scrape latency at ${BIG} extra, /metrics back to back for 8 s: ${latency.all.length} scrapes, max ${fmt(Math.max(...latency.all))}; `
      + `${latency.during.length} overlapped a scan: p50 ${fmt(quantile(latency.during, 0.5))}, p99 ${fmt(quantile(latency.during, 0.99))}, `
      + `max ${fmt(Math.max(...latency.during))}; target < ${TARGET_SCRAPE_MS} ms: ${verdict(latency.during.length > 0 && Math.max(...latency.during) < TARGET_SCRAPE_MS)}`,
    `RSS over ${SOAK_SCANS} back-to-back scans at ${BIG} extra (scanner, publisher and /metrics in one process, ${SHEBANG_FLAGS.join(" ")}): `
      + samples.map((s) => `${s.scan}: ${s.rssMb.toFixed(1)}`).join(", ") + " MB",
    `  growth after warm-up (scan ${warm?.scan ?? "?"} → ${lastSample?.scan ?? "?"}): ${growth.toFixed(1)} MB; target: none (< 5 MB): ${verdict(growth < 5)}`,
    "",
    "Commands:",
    `  ${process.execPath} ${daemonArgs.join(" ").replace(/:\d+-\d+$/, ":N-N")}   (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=<local sink> OTEL_METRIC_EXPORT_INTERVAL=1000)`,
    `  ${EXPORTER} ${exporterArgs.join(" ")}   (config: one group per comm, name "{{.Comm}}", cmdline [".+"])`,
    `  ${process.execPath} ${SHEBANG_FLAGS.join(" ")} ${join(pkgRoot, "dist/bench/daemon-soak.js")} ${SOAK_SCANS} <same rules>`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
