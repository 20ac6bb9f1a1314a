// npm run bench, rules part (issue 18): 1,000 rules against a generated fixture tree of 10,000
// processes. Times, in this process, the scan alone (the same files read, no rule logic) and the
// whole check the scanner child runs (parse, plan, scan, evaluate, details, format): the
// difference is what the rules cost. Also the shipped CLI on the same tree, end to end.
// Writes the tree under the OS temp dir and removes it; spawns only the CLI. Run alone:
// node dist/bench/rules.js (BENCH_RULES_RUNS sets the rounds).
import { isProblem } from "../src/rules/problem.js";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { runCheck } from "../src/check/run-check.js";
import { makeInterpreterSet } from "../src/evaluate/names.js";
import { measure } from "../src/measure/measure.js";
import { prepareSetup } from "../src/measure/setup.js";
import { takeSnapshot } from "../src/procfs/snapshot.js";
import { DEFAULT_INTERPRETERS } from "../src/rules/interpreters.js";
import { parseRuleArgs } from "../src/rules/list.js";
import { readAccounts } from "../src/system/accounts.js";
import { link, makeProcTree, type ProcTreeSpec, removeProcTree, statLine, statusText, tempProcRoot } from "../test/helpers/proctree.js";
import { median } from "./timing.js";
import { coreCount, UNSET } from "./workload.js";

const PROCESSES = 10_000;
const RUNS = Math.max(5, Number(process.env.BENCH_RULES_RUNS ?? 9));
const CLI_RUNS = Math.max(3, Math.ceil(RUNS / 2));
const TARGET_BEYOND_MS = 50;
const cli = fileURLToPath(new URL("../bin/cli.js", import.meta.url));

const svc = (n: number): string => `svc${String(n).padStart(4, "0")}`;

/** 9,000 services (every other one root), 500 kernel threads, 300 Python jobs, 200 shells. */
function fixtureSpec(): ProcTreeSpec {
  const spec: Record<number, unknown> = {};
  let pid = 100;
  const add = (comm: string, exe: string | null, argv: string[], uid: number, kthread = false): void => {
    pid++;
    spec[pid] = {
      stat: statLine({ pid, comm, flags: kthread ? 0x00208040 : 0x400100, ppid: kthread ? 2 : 1 }),
      status: statusText({ pid, name: comm, uid, gid: uid, kthread }),
      cmdline: argv,
      exe: exe === null ? null : link(exe),
    };
  };
  for (let i = 0; i < 9000; i++) add(svc(i), `/usr/sbin/${svc(i)}`, [`/usr/sbin/${svc(i)}`, "-f"], i % 2 === 0 ? 0 : 1000);
  for (let i = 0; i < 500; i++) add(`kworker/${i % 2}:${i}`, null, [], 0, true);
  for (let i = 0; i < 300; i++) add("python3", "/usr/bin/python3.11", ["python3", "-u", `/opt/app/job${i}.py`], 1000);
  for (let i = 0; i < 200; i++) add("bash", "/usr/bin/bash", ["-bash"], 1000);
  return spec as ProcTreeSpec;
}

const SETS: readonly { readonly label: string; readonly rules: readonly string[] }[] = [
  { label: "10 name rules", rules: Array.from({ length: 10 }, (_, i) => `${svc(i)}:1-`) },
  { label: "1,000 name rules", rules: Array.from({ length: 1000 }, (_, i) => `${svc(i)}:1-`) },
  { label: "1,000 user=root rules", rules: Array.from({ length: 1000 }, (_, i) => `${svc(i)}:0-,user=root`) },
  { label: "1,000 path rules", rules: Array.from({ length: 1000 }, (_, i) => `/usr/sbin/${svc(i)}:0-`) },
  {
    label: "1,000 mixed rules",
    rules: Array.from({ length: 1000 }, (_, i) => [`${svc(i)}:1-`, `${svc(i)}:0-,user=root`, `/usr/sbin/${svc(i)}:0-`, `job${i}.py:0-`][i % 4] as string),
  },
];

interface Row {
  readonly label: string;
  readonly rules: number;
  readonly scanMs: number[];
  readonly checkMs: number[];
  readonly cliMs: number[];
  readonly exitCode: number | null;
}

async function measureSet(root: string, label: string, rules: readonly string[]): Promise<Row> {
  const accounts = readAccounts();
  const interpreters = makeInterpreterSet(DEFAULT_INTERPRETERS);
  const parsed = parseRuleArgs(rules, accounts);
  if (parsed.errors.length > 0) throw new Error(`bad rule ${parsed.errors[0]?.token}`);
  const setup = prepareSetup({ procRoot: root, excludeRoots: [] }, parsed.rules, interpreters, accounts);
  if (isProblem(setup)) throw new Error(setup.reason);
  // The files the rules' plan read for each process: the scan-alone rounds read exactly those.
  const read = new Map((await measure(parsed.rules, setup)).snapshot.processes.map((p) => [p.pid, p.readMask]));
  const replay = { plan: (rec: { pid: number }) => read.get(rec.pid) ?? 0 };
  const scanMs: number[] = [];
  const checkMs: number[] = [];
  const request = { mode: "check" as const, rules, procRoot: root, format: "mon" as const, excludeRoots: [] };
  let exitCode: number | null = null;
  for (let round = 0; round <= RUNS; round++) {
    // Alternating order; round 0 warms both up and is not counted.
    const timeScan = (): number => {
      const t = performance.now();
      takeSnapshot(root, replay);
      return performance.now() - t;
    };
    const timeCheck = async (): Promise<number> => {
      const t = performance.now();
      exitCode = (await runCheck(request, { accounts })).exitCode;
      return performance.now() - t;
    };
    let s: number;
    let c: number;
    if (round % 2 === 0) {
      s = timeScan();
      c = await timeCheck();
    } else {
      c = await timeCheck();
      s = timeScan();
    }
    if (round > 0) {
      scanMs.push(s);
      checkMs.push(c);
    }
  }
  const env = { ...process.env };
  for (const v of UNSET) delete env[v];
  const cliMs: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, "check", "--proc-root", root, ...rules], { cwd: "/", env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    cliMs.push(performance.now() - t);
    if (r.status !== exitCode) throw new Error(`${label}: the CLI exited ${r.status}, the in-process check ${exitCode}: ${String(r.stderr).slice(0, 300)}`);
  }
  return { label, rules: rules.length, scanMs, checkMs, cliMs, exitCode };
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]?.toFixed(2);
  const root = tempProcRoot("pwbench-rules-");
  try {
    process.stderr.write(`bench: writing a fixture tree of ${PROCESSES} processes ...`);
    makeProcTree(root, fixtureSpec());
    process.stderr.write(" done\n");
    const rows: Row[] = [];
    for (const set of SETS) {
      process.stderr.write(`bench: ${set.label} ...`);
      rows.push(await measureSet(root, set.label, set.rules));
      process.stderr.write(" done\n");
    }
    const out: string[] = [];
    out.push(`procwatch rules bench: ${PROCESSES} processes in a generated fixture tree (${root}), ${coreCount()} cores, node ${process.version}`);
    out.push(`1-minute load average ${load0} before, ${loadavg()[0]?.toFixed(2)} after. In-process medians of ${RUNS} rounds (order alternating, one warm-up):`);
    out.push(`"scan" reads the same files the rules made the check read, with no rule logic; "check" is runCheck, the`);
    out.push(`scanner child's whole work (parse, plan, scan, evaluate, details, format); "beyond" = the median over the rounds`);
    out.push(`of check - scan within a round (the two run back to back, so a slow spell of the host moves both; the`);
    out.push(`difference of the two medians is printed beside it)`);
    out.push(`(target ≤ ${TARGET_BEYOND_MS} ms at 1,000 rules). "CLI" is the shipped check end to end, median of ${CLI_RUNS}.`);
    out.push("");
    const widths = [24, 10, 10, 11, 9, 14, 8];
    out.push(["rules", "scan ms", "check ms", "beyond ms", "target", "of medians", "CLI ms"].map((h, i) => h.padEnd(widths[i] as number)).join(""));
    for (const r of rows) {
      const beyond = median(r.checkMs.map((c, i) => c - (r.scanMs[i] as number)));
      const ofMedians = median(r.checkMs) - median(r.scanMs);
      const target = r.rules >= 1000 ? (beyond <= TARGET_BEYOND_MS ? "met" : "MISSED") : "-";
      out.push([r.label, median(r.scanMs).toFixed(1), median(r.checkMs).toFixed(1), beyond.toFixed(1), target, ofMedians.toFixed(1), median(r.cliMs).toFixed(0)]
        .map((c, i) => c.padEnd(widths[i] as number)).join("").trimEnd());
    }
    out.push("");
    out.push(`CLI command: env ${UNSET.map((v) => `-u ${v}`).join(" ")} node ${cli} check --proc-root TREE RULE... (rules as listed in bench/rules.ts)`);
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    removeProcTree(root);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
