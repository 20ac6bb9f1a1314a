// In-process soak for `npm run bench`: the daemon's scanner, publisher and Prometheus endpoint
// driven back to back for SCANS scans, RSS sampled every 100. Run by daemon-bench.ts as a child
// with the flags the shipped CLI runs with, so the heap behaves as in production. Prints JSON.
import { get } from "node:http";
import type { AddressInfo } from "node:net";
import { readAccounts } from "../src/accounts.js";
import { defaultConfig, mergeCliRules } from "../src/config/load.js";
import { createScanner, type Observation } from "../src/daemon/loop.js";
import { loadProgram } from "../src/daemon/run.js";
import { startServer } from "../src/daemon/server.js";
import { startTelemetry } from "../src/telemetry/exporters.js";
import { publishObservations } from "../src/telemetry/publish.js";
import { VERSION } from "../src/version.js";
import { rssMb } from "./proc-stat.js";

const SCANS = Number(process.argv[2] ?? 1000);
const rules = process.argv.slice(3);

const fetchText = (url: string): Promise<string> => new Promise((resolve, reject) => {
  get(url, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (c: string) => (body += c));
    res.on("end", () => resolve(body));
  }).on("error", reject);
});

async function main(): Promise<void> {
  const accounts = readAccounts();
  const env = {};
  const loaded = loadProgram({
    accounts,
    load: () => {
      const base = defaultConfig({ env });
      return "problems" in base ? base : mergeCliRules(base.config, rules, { accounts });
    },
  });
  if ("problems" in loaded) throw new Error(loaded.problems.join("\n"));
  const scanner = createScanner(loaded.program);
  const telemetry = startTelemetry({ export: loaded.config.export, scanIntervalMs: loaded.config.intervalMs, version: VERSION, log: () => undefined, env });
  let latest: Observation | undefined;
  const publisher = publishObservations(telemetry.meter, { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: 10 });
  const server = await startServer("127.0.0.1", 0, {
    ...(telemetry.metricsHandler === undefined ? {} : { metricsHandler: telemetry.metricsHandler }),
    verdicts: () => undefined,
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const samples: { scan: number; rssMb: number; heapMb: number; externalMb: number }[] = [];
  for (let i = 1; i <= SCANS; i++) {
    latest = await scanner.scan();
    publisher.recordScan(latest);
    // As src/daemon/run.ts does after each scan when --expose-gc is given (the CLI's shebang).
    (globalThis as { gc?: () => void }).gc?.();
    await fetchText(url);
    if (i % 100 === 0) {
      const m = process.memoryUsage();
      samples.push({ scan: i, rssMb: rssMb(process.pid), heapMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20 });
    }
  }
  server.close();
  await telemetry.shutdown(1000);
  process.stdout.write(`${JSON.stringify({ samples })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
