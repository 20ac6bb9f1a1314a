// `promtool check metrics` on a live scrape of a real `procwatch run` that exports every series
// it can (a rule with cpu= bounds, a CPU runaway, a probe, the OTLP failure counter, every group
// of per-rule resource metrics): the names
// must be lint-clean, except the `_count` gauges the README justifies, and only those.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { startDaemon } from "../helpers/daemon.js";
import { haveTools } from "../helpers/e2e.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";
import { INSTALL, TOOLS } from "../otel-config/shipped.js";

const pool = new ProcessPool();
const dir = mkdtempSync(join(tmpdir(), "procwatch-lint-"));
after(async () => {
  await pool.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const README = fileURLToPath(new URL("../../../README.md", import.meta.url));

/** The accepted findings: gauges named after semconv's counts (…process.count, process.thread.count). */
function acceptedCounts(): string[] {
  return Object.values(INSTRUMENTS).filter((s) => s.kind === "gauge" && s.prometheusName.endsWith("_count")).map((s) => s.prometheusName);
}

test("the README justifies exactly the _count gauges", () => {
  const text = readFileSync(README, "utf8");
  const start = text.indexOf("**Prometheus lint:**");
  assert.ok(start >= 0, "README has no **Prometheus lint:** paragraph");
  const paragraph = text.slice(start, text.indexOf("\n\n", start));
  const named = [...paragraph.matchAll(/`(procwatch_[a-z_]+_count)`/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(named)].sort(), acceptedCounts().sort());
});

test("promtool check metrics on a live scrape: only the documented _count exceptions", async (t) => {
  if (!haveTools(t, [TOOLS.promtool], INSTALL.prometheus)) return;
  const name = uniqueName("li");
  await pool.start(name, { target: "/bin/sh", args: ["-c", "while :; do :; done"] });
  const config = join(dir, "procwatch.yaml");
  writeFileSync(config, "security:\n  checks: [gid0-not-uid0, deleted-exe]\nexport:\n  resource_metrics: [memory, threads, cpu, starts, start_time, faults, context_switches, fds, io]\n");
  const d = await startDaemon(["--config", config, "--interval", "1s", "--cpu-max", "5", `${name}:1-,cpu=1-200,rss=-1G`, "tcp://127.0.0.1:1"]);
  try {
    const text = await d.until("a scrape with the runaway, rule CPU and probe series", async () => {
      const body = (await d.get("/metrics")).body;
      const wanted = ["procwatch_runaway_cpu_usage{", "procwatch_rule_cpu_usage{", "procwatch_rule_cpu_usage_limit{", "procwatch_probe_status{", "procwatch_scan_duration_bucket"];
      return wanted.every((w) => body.includes(w)) ? body : undefined;
    }, 20_000);
    const r = spawnSync(TOOLS.promtool, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20_000 });
    const findings = `${r.stdout}${r.stderr}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const expected = acceptedCounts().map((m) => `${m} non-histogram and non-summary metrics should not have "_count" suffix`);
    assert.deepEqual(findings.sort(), expected.sort(), `promtool check metrics:\n${findings.join("\n")}`);
  } finally {
    await d.stop();
  }
});
