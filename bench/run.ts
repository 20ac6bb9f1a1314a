// npm run bench: `procwatch check` against mon's ps.monitor and a C floor, with 1,000 and 5,000
// extra processes. Prints medians, ratios, marginal cost per process and the exact commands.
// Spawns and kills only its own processes, by PID; raises no limit. Node builtins only.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToLoop, setTimeout as sleepMs } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { checkCapacity } from "./capacity.js";
import { countNamed, type Herd, makeHerd } from "./herd.js";
import { type Command, formatCommand, median, type Run, timeRun } from "./timing.js";
import { coreCount, RULES, SWAPPED, UNSET } from "./workload.js";

const LOADS = [0, 1000, 5000] as const;
const CONTENDED_LOAD = 1000;
const RUNS = Math.max(11, Number(process.env.BENCH_RUNS ?? 21));
const WARMUP = 2;
const PS_MONITOR = "/usr/lib/mon/mon-local.d/ps.monitor";
const TARGET_RATIO: Record<number, number> = { 1000: 1.0, 5000: 0.5 };
const TARGET_FLOOR_MULTIPLE = 1.5;
/** procwatch check at +0 over a bare `node -e 0`. */
const TARGET_START_RATIO = 1.6;

type Tool = "procwatch" | "node cli.js" | "ps.monitor" | "C floor" | "node -e 0" | "node starts node" | "shell runs node" | "procwatch+cpu" | "procwatch, CA set" | "node -e 0, CA set";
const TOOLS: readonly Tool[] = ["procwatch", "node cli.js", "ps.monitor", "C floor", "node -e 0", "node starts node", "shell runs node", "procwatch+cpu", "procwatch, CA set", "node -e 0, CA set"];
/** NODE_EXTRA_CA_CERTS for the "CA set" rows: the bench's own value, else Debian's bundle. */
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
const CA_SET = { NODE_EXTRA_CA_CERTS: CA_FILE };
/** Rounds under contention: a busy loop on every core, procwatch and ps.monitor alternating. */
const CONTENDED_RUNS = Math.max(11, Number(process.env.BENCH_CONTENDED_RUNS ?? 15));
const TARGET_CONTENDED_RATIO = 1.5;
/** A busy loop ends by itself after this long even if the bench is SIGKILLed. */
const BUSY_LIMIT_MS = 300_000;
/** The CPU window of the runaway check measured beside the plain check (issue 3's cost target). */
const CPU_WINDOW_MS = 1000;

interface LoadResult {
  readonly extra: number;
  readonly total: number;
  readonly times: Record<Tool, number[]>;
  readonly commands: Record<Tool, Command>;
  readonly agreeExit: number;
  readonly agreeSummary: number;
  readonly pairs: number;
  readonly disagreements: string[];
  /** procwatch's exit code and summary words in the last round, to show what failed. */
  readonly lastVerdict: string;
}

const pkgRoot = fileURLToPath(new URL("../../", import.meta.url));

function commandsFor(extra: number, herdName: string, floorBin: string): Record<Tool, Command> {
  const rules = [...RULES, `${herdName}:${extra}-${extra}`];
  return {
    // As mon and Nagios run it: the command itself (the package's /usr/bin/procwatch is a symlink
    // to it), whose shell lines run the check as one Node process they supervise (src/bin/launch.sh).
    procwatch: { label: "procwatch", file: join(pkgRoot, "dist/bin/cli.js"), args: ["check", ...rules] },
    // The same bundle run by node directly: the CLI spawns the scanner once it runs itself.
    "node cli.js": { label: "node cli.js", file: process.execPath, args: [join(pkgRoot, "dist/bin/cli.js"), "check", ...rules] },
    "ps.monitor": { label: "ps.monitor", file: PS_MONITOR, args: rules },
    "C floor": { label: "C floor", file: floorBin, args: [herdName] },
    "node -e 0": { label: "node -e 0", file: process.execPath, args: ["-e", "0"] },
    // The floor of the scanner-child design (check/supervise.ts): a Node that starts a second Node
    // and waits for it, doing nothing else. The child can only be spawned once the first Node runs.
    "node starts node": { label: "node starts node", file: process.execPath, args: ["-e", "require('node:child_process').spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' })"] },
    // The floor of the command's design (src/bin/launch.sh): a shell starts one Node in the
    // background, doing nothing, and waits for it.
    "shell runs node": { label: "shell runs node", file: "/bin/sh", args: ["-c", `'${process.execPath}' -e 0 & wait`] },
    "procwatch+cpu": {
      label: "procwatch+cpu",
      file: join(pkgRoot, "dist/bin/cli.js"),
      args: ["check", "--cpu-max", "90", "--cpu-window", `${CPU_WINDOW_MS}ms`, ...rules],
    },
    "procwatch, CA set": { label: "procwatch, CA set", file: join(pkgRoot, "dist/bin/cli.js"), args: ["check", ...rules], setEnv: CA_SET },
    "node -e 0, CA set": { label: "node -e 0, CA set", file: process.execPath, args: ["-e", "0"], setEnv: CA_SET },
  };
}

/** The set of `name:count` words on the summary (first) line, order-free (ps.monitor's is random). */
function summaryWords(run: Run): string {
  const first = run.stdout.split("\n")[0] ?? "";
  return first.trim().split(/\s+/).filter((w) => w !== "").sort().join(" ");
}

function countPids(): number {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
}

async function measureLoad(herd: Herd, extra: number, floorBin: string, env: NodeJS.ProcessEnv): Promise<LoadResult> {
  process.stderr.write(`bench: growing the herd to ${extra} ...`);
  const t0 = Date.now();
  await herd.growTo(extra);
  process.stderr.write(` done in ${((Date.now() - t0) / 1000).toFixed(1)} s; measuring ${RUNS} rounds ...`);
  const commands = commandsFor(extra, herd.name, floorBin);
  for (let i = 0; i < WARMUP; i++) {
    for (const t of TOOLS) timeRun(commands[t], env);
    await yieldToLoop();
  }
  const times = Object.fromEntries(TOOLS.map((t) => [t, [] as number[]])) as Record<Tool, number[]>;
  const disagreements: string[] = [];
  let agreeExit = 0;
  let agreeSummary = 0;
  let lastVerdict = "";
  const t1 = Date.now();
  for (let round = 0; round < RUNS; round++) {
    // spawnSync blocks the event loop; yield once a round so SIGINT/SIGTERM handlers can run.
    await yieldToLoop();
    // Alternate the order so neither tool always runs right after the other (cache, frequency).
    const order = round % 2 === 0 ? TOOLS : [...TOOLS].reverse();
    const runs = {} as Record<Tool, Run>;
    for (const t of order) {
      runs[t] = timeRun(commands[t], env);
      times[t].push(runs[t].ms);
    }
    const pw = runs.procwatch;
    const ps = runs["ps.monitor"];
    const floorOut = runs["C floor"].stdout.trim().split(" ");
    if (runs["C floor"].exitCode !== 0 || floorOut[1] !== String(extra)) {
      throw new Error(`C floor saw ${floorOut[1] ?? "?"} processes named ${herd.name}, expected ${extra} (exit ${runs["C floor"].exitCode})`);
    }
    lastVerdict = `exit ${pw.exitCode}, summary "${summaryWords(pw)}"`;
    if (pw.exitCode === ps.exitCode) agreeExit++;
    if (summaryWords(pw) === summaryWords(ps)) agreeSummary++;
    if (pw.exitCode !== ps.exitCode || summaryWords(pw) !== summaryWords(ps) || pw.stderr !== "" || ps.stderr !== "") {
      disagreements.push(
        `round ${round + 1}: procwatch exit ${pw.exitCode} [${summaryWords(pw)}]${pw.stderr === "" ? "" : ` stderr: ${pw.stderr.trim()}`}` +
          ` | ps.monitor exit ${ps.exitCode} [${summaryWords(ps)}]${ps.stderr === "" ? "" : ` stderr: ${ps.stderr.trim()}`}`,
      );
    }
  }
  const total = countPids();
  const still = countNamed(herd.name);
  if (still !== extra) throw new Error(`the herd shrank to ${still} of ${extra} while measuring`);
  process.stderr.write(` done in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
  return { extra, total, times, commands, agreeExit, agreeSummary, pairs: RUNS, disagreements, lastVerdict };
}

interface ContendedResult {
  readonly extra: number;
  readonly cores: number;
  readonly procwatch: number[];
  readonly psMonitor: number[];
  readonly busy: Command;
}

/**
 * procwatch and ps.monitor at the herd's current size while a CPU-bound loop runs on every core
 * (started here, killed by PID here, and bounded in time by itself): the start-up of a Node
 * process competes for the CPU then, as on a busy host.
 */
async function measureContended(herd: Herd, extra: number, floorBin: string, env: NodeJS.ProcessEnv): Promise<ContendedResult> {
  const commands = commandsFor(extra, herd.name, floorBin);
  const cores = coreCount();
  const busy: Command = { label: "busy loop", file: process.execPath, args: ["-e", `const end = Date.now() + ${BUSY_LIMIT_MS}; while (Date.now() < end);`] };
  process.stderr.write(`bench: ${CONTENDED_RUNS} rounds at ${extra} extra with a busy loop on each of ${cores} cores ...`);
  const loops: ChildProcess[] = [];
  const procwatch: number[] = [];
  const psMonitor: number[] = [];
  try {
    for (let i = 0; i < cores; i++) {
      const child = spawn(busy.file, busy.args, { stdio: "ignore", cwd: "/", env });
      child.on("error", () => undefined);
      loops.push(child);
    }
    await sleepMs(500); // let the loops get going
    for (let round = 0; round < CONTENDED_RUNS; round++) {
      await yieldToLoop();
      const order = round % 2 === 0 ? (["procwatch", "ps.monitor"] as const) : (["ps.monitor", "procwatch"] as const);
      for (const t of order) (t === "procwatch" ? procwatch : psMonitor).push(timeRun(commands[t], env).ms);
    }
  } finally {
    for (const child of loops) child.kill("SIGKILL");
  }
  process.stderr.write(" done\n");
  return { extra, cores, procwatch, psMonitor, busy };
}

const fmtMs = (ms: number): string => ms.toFixed(1);
const quartiles = (v: readonly number[]): string => {
  const s = [...v].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] as number;
  return `${fmtMs(q(0.25))}-${fmtMs(q(0.75))}`;
};
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

/** 1-minute load average: how busy the shared machine was (the bench cannot make it quiet). */
function loadAverage(): string {
  return readFileSync("/proc/loadavg", "latin1").split(" ")[0] ?? "?";
}

function report(results: readonly LoadResult[], contended: ContendedResult, before: number, loadBefore: string, capacityNote: string, gccLine: string): void {
  const out: string[] = [];
  const say = (s = ""): number => out.push(s);
  say(`procwatch bench: ${coreCount()} cores, node ${process.version}, ${before} processes on the host before the bench (shared machine)`);
  say(`limits: ${capacityNote}`);
  say(`1-minute load average: ${loadBefore} before the bench, ${loadAverage()} after (${coreCount()} cores; other work shares the machine)`);
  say(`Every measured command ran with ${UNSET.join(", ")} removed from its environment (it is not in mon's`);
  say(`environment under systemd), stdin /dev/null, cwd /, except the "CA set" rows (NODE_EXTRA_CA_CERTS=${CA_FILE}).`);
  say(`${RUNS} interleaved rounds per load (order alternating), after ${WARMUP} warm-up rounds; wall time per run`);
  say(`via process.hrtime.bigint() around spawnSync. Figures: median ms (interquartile range).`);
  say();
  const w = [16, 22, 22, 8, 13, 20, 20];
  say(["extra processes", "procwatch", "ps.monitor", "pw/ps", "target", "C floor", "node -e 0"].map((h, i) => pad(h, w[i] as number)).join(""));
  for (const r of results) {
    const pw = median(r.times.procwatch);
    const ps = median(r.times["ps.monitor"]);
    const ratio = pw / ps;
    const target = TARGET_RATIO[r.extra];
    const cells = [
      `${r.extra.toLocaleString("en")} (${r.total})`,
      `${fmtMs(pw)} (${quartiles(r.times.procwatch)})`,
      `${fmtMs(ps)} (${quartiles(r.times["ps.monitor"])})`,
      ratio.toFixed(2),
      target === undefined ? "-" : `≤${target.toFixed(1)} ${ratio <= target ? "met" : "MISSED"}`,
      `${fmtMs(median(r.times["C floor"]))} (${quartiles(r.times["C floor"])})`,
      `${fmtMs(median(r.times["node -e 0"]))} (${quartiles(r.times["node -e 0"])})`,
    ];
    say(cells.map((c, i) => pad(c, w[i] as number)).join("").trimEnd());
  }
  say(`(the number in brackets after the load is the count of PIDs in /proc at the end of that load)`);
  say();
  say(`Start-up: procwatch over a bare \`node -e 0\` (target at +0: ≤ 1.6x), and both with NODE_EXTRA_CA_CERTS set:`);
  for (const r of results) {
    const m = (t: Tool): number => median(r.times[t]);
    const startRatio = m("procwatch") / m("node -e 0");
    const startTarget = r.extra === 0 ? ` (target ≤ ${TARGET_START_RATIO}: ${startRatio <= TARGET_START_RATIO ? "met" : "MISSED"})` : "";
    say(`  ${lpad(r.extra.toLocaleString("en"), 5)} extra: procwatch ${fmtMs(m("procwatch"))} ms = ${startRatio.toFixed(2)} x node -e 0 (${fmtMs(m("node -e 0"))})${startTarget};` +
      ` CA set: procwatch ${fmtMs(m("procwatch, CA set"))} (${quartiles(r.times["procwatch, CA set"])}) = ${(m("procwatch, CA set") / m("ps.monitor")).toFixed(2)} x ps.monitor,` +
      ` node -e 0 ${fmtMs(m("node -e 0, CA set"))}`);
  }
  for (const r of results) {
    const m = (t: Tool): number => median(r.times[t]);
    say(`  ${lpad(r.extra.toLocaleString("en"), 5)} extra: \`node cli.js check\` (the CLI spawns the scanner once it runs) ${fmtMs(m("node cli.js"))} ms (${quartiles(r.times["node cli.js"])})` +
      ` = ${(m("node cli.js") / m("node -e 0")).toFixed(2)} x node -e 0; a Node that starts a Node and waits for it, doing nothing else: ${fmtMs(m("node starts node"))} ms` +
      ` = ${(m("node starts node") / m("node -e 0")).toFixed(2)} x node -e 0; a shell that runs a Node in the background and waits for it, both doing nothing else: ${fmtMs(m("shell runs node"))} ms` +
      ` = ${(m("shell runs node") / m("node -e 0")).toFixed(2)} x node -e 0`);
  }
  say();
  const cpw = median(contended.procwatch);
  const cps = median(contended.psMonitor);
  say(`Under contention (a busy loop on each of ${contended.cores} cores, ${contended.procwatch.length} interleaved rounds at ${contended.extra.toLocaleString("en")} extra):`);
  say(`  procwatch ${fmtMs(cpw)} (${quartiles(contended.procwatch)}), ps.monitor ${fmtMs(cps)} (${quartiles(contended.psMonitor)}): ` +
    `${(cpw / cps).toFixed(2)} (target ≤ ${TARGET_CONTENDED_RATIO}: ${cpw / cps <= TARGET_CONTENDED_RATIO ? "met" : "MISSED"})`);
  say(`  busy loop: ${formatCommand(contended.busy, [])}`);
  say();
  const lo = results.find((r) => r.extra === 1000) as LoadResult;
  const hi = results.find((r) => r.extra === 5000) as LoadResult;
  const span = hi.extra - lo.extra;
  const marginal = (t: Tool): number => ((median(hi.times[t]) - median(lo.times[t])) / span) * 1000;
  const floorUs = marginal("C floor");
  say(`Marginal cost per added process = (median at ${hi.extra.toLocaleString("en")} - median at ${lo.extra.toLocaleString("en")}) / ${span.toLocaleString("en")}:`);
  for (const t of ["procwatch", "ps.monitor", "C floor"] as const) {
    const us = marginal(t);
    const extra = t === "C floor" ? "" : `  = ${(us / floorUs).toFixed(2)} x C floor${t === "procwatch" ? `  (target ≤ ${TARGET_FLOOR_MULTIPLE}x: ${us / floorUs <= TARGET_FLOOR_MULTIPLE ? "met" : "MISSED"})` : ""}`;
    say(`  ${pad(t, 11)}${lpad(us.toFixed(2), 7)} µs/process${extra}`);
  }
  say();
  say(`CPU runaway check (--cpu-max 90 --cpu-window ${CPU_WINDOW_MS}ms, same rules): cost beyond the window itself,`);
  say(`compared with a whole plain check (target: no more than the window plus one scan):`);
  const beyond = (r: LoadResult): number => median(r.times["procwatch+cpu"]) - CPU_WINDOW_MS - median(r.times.procwatch);
  for (const r of results) {
    const extraMs = median(r.times["procwatch+cpu"]) - CPU_WINDOW_MS;
    say(`  ${lpad(r.extra.toLocaleString("en"), 5)} extra: ${fmtMs(median(r.times["procwatch+cpu"]))} ms in all = window + ${fmtMs(extraMs)} ms; a plain check takes ` +
      `${fmtMs(median(r.times.procwatch))} ms, so the window check costs ${fmtMs(beyond(r))} ms beyond window + one plain check`);
  }
  const cpuPerProc = ((median(hi.times["procwatch+cpu"]) - median(lo.times["procwatch+cpu"])) / span) * 1000;
  say(`  per added process: ${cpuPerProc.toFixed(2)} µs with the window check vs ${marginal("procwatch").toFixed(2)} µs without` +
    ` (extra ${(cpuPerProc - marginal("procwatch")).toFixed(2)} µs: the second scan's stat read)`);
  say();
  for (const r of results) {
    say(`Verdicts at ${r.extra.toLocaleString("en")} extra: same exit code in ${r.agreeExit}/${r.pairs} runs, same summary words in ${r.agreeSummary}/${r.pairs}` +
      `${r.disagreements.length === 0 ? "; no disagreement, nothing on stderr." : ":"}`);
    for (const d of r.disagreements.slice(0, 5)) say(`  ${d}`);
    if (r.disagreements.length > 5) say(`  ... ${r.disagreements.length - 5} more`);
  }
  say(`Last procwatch verdict at ${hi.extra.toLocaleString("en")}: ${hi.lastVerdict}. The herd rule ${hi.commands["C floor"].args[0]}:N-N`);
  say(`passes (stays out of the summary) only if a tool counts exactly N; the C floor's count is checked too.`);
  say();
  say(`Commands (N = ${results.map((r) => r.extra).join(" / ")}; ${SWAPPED} swapped for the herd rule; the herd is N`);
  say(`symlinks-to-sleep processes named ${hi.commands["C floor"].args[0]}, killed by PID afterwards):`);
  say(`  ${gccLine}`);
  for (const t of TOOLS) say(`  ${formatCommand(hi.commands[t], UNSET).replace(`:${hi.extra}-${hi.extra}`, ":N-N")}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

async function main(): Promise<void> {
  const cli = join(pkgRoot, "dist/bin/cli.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm run bench does)`);
  if (!existsSync(PS_MONITOR)) throw new Error(`${PS_MONITOR} is missing: apt-get install mon libproc-processtable-perl`);
  const capacityNote = checkCapacity(Math.max(...LOADS), 100);
  const before = countPids();
  const loadBefore = loadAverage();

  const tmp = mkdtempSync(join(tmpdir(), "pwbench-"));
  let herd: Herd | undefined;
  const cleanup = (): void => {
    herd?.killAll();
    rmSync(tmp, { recursive: true, force: true });
  };
  // 'exit' covers errors and normal ends; signals need their own handlers to get there.
  process.on("exit", cleanup);
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: killing ${herd?.pids.length ?? 0} herd processes by PID\n`);
      process.exit(code);
    });
  }

  const floorBin = join(tmp, "floor");
  const gccArgs = ["-O2", "-o", floorBin, join(pkgRoot, "bench/floor.c")];
  const gcc = spawnSync("gcc", gccArgs, { stdio: ["ignore", "inherit", "inherit"] });
  if (gcc.error !== undefined || gcc.status !== 0) throw new Error(`gcc ${gccArgs.join(" ")} failed: ${gcc.error?.message ?? `exit ${gcc.status}`}`);

  const name = `pwb${randomBytes(4).toString("hex")}`;
  if (countNamed(name) !== 0) throw new Error(`processes named ${name} already exist; run again`);
  herd = makeHerd(tmp, name);
  const env = { ...process.env };
  for (const v of UNSET) delete env[v];

  const results: LoadResult[] = [];
  let contended: ContendedResult | undefined;
  try {
    for (const extra of LOADS) {
      results.push(await measureLoad(herd, extra, floorBin, env));
      if (extra === CONTENDED_LOAD) contended = await measureContended(herd, extra, floorBin, env);
    }
  } finally {
    // Also on errors: live children keep the event loop (and so 'exit') from ever coming.
    herd.killAll();
  }
  if (contended === undefined) throw new Error(`bug: no contended rounds at ${CONTENDED_LOAD}`);
  report(results, contended, before, loadBefore, capacityNote, `gcc ${gccArgs.join(" ")}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  // Exit now: the 'exit' handler kills what the bench started, by PID. Waiting for the event loop
  // to drain would wait for the herd's and the servers' timers (up to the herd's 45 minutes).
  process.exit(1);
});
