// Per-rule resources in a real `procwatch run`: a crash loop (a shell restarting its child every
// second) fails restarts= and shows in the starts counter, while a steady process of ours has 0
// starts and the fd count and resident memory the kernel reports for it. Processes are ours,
// named uniquely, killed by PID.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { sample, startDaemon } from "../helpers/daemon.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
const dir = mkdtempSync(join(tmpdir(), "procwatch-resources-"));
after(async () => {
  await pool.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a crash loop fails restarts= and counts starts; a steady process is measured and has none", async () => {
  const loop = uniqueName("flap");
  const path = pool.link(loop);
  const shell = pool.spawnCommand("/bin/sh", ["-c", `while :; do ${path} 1; done`]);
  const steady = await pool.start(uniqueName("calm"));
  const config = join(dir, "procwatch.yaml");
  writeFileSync(config, "interval: 1s\nexport:\n  resource_metrics: [memory, threads, cpu, starts, fds]\n");
  const loopRule = `${loop}:0-,restarts=-2/1m`;
  const steadyRule = `${steady.name}:1-1,restarts=-2/1m`;
  const d = await startDaemon(["--config", config, loopRule, steadyRule]);
  try {
    // A rule's label is its text without the count.
    const name = (rule: string) => ({ procwatch_rule_name: rule.replace(/:[\d-]+,/, ",") });
    const m = await d.until("more than 2 starts of the crash loop and its rule failing", async () => {
      const text = (await d.get("/metrics")).body;
      return (sample(text, "procwatch_rule_process_starts_total", name(loopRule)) ?? 0) > 2 && sample(text, "procwatch_rule_status", name(loopRule)) === 2 ? text : undefined;
    }, 20_000);
    assert.equal(sample(m, "procwatch_rule_process_starts_total", name(steadyRule)), 0);
    assert.equal(sample(m, "procwatch_rule_status", name(steadyRule)), 0);
    // The kernel's own figures for the steady sleeper, which neither opens files nor grows.
    assert.equal(sample(m, "procwatch_rule_file_descriptor_count", name(steadyRule)), readdirSync(`/proc/${steady.pid}/fd`).length);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${steady.pid}/status`, "latin1"))?.[1]) * 1024;
    assert.equal(sample(m, "procwatch_rule_memory_usage", name(steadyRule)), rss);
    assert.equal(sample(m, "procwatch_rule_thread_count", name(steadyRule)), 1);
    assert.ok((sample(m, "procwatch_rule_cpu_time_total", { ...name(loopRule), cpu_mode: "user" }) ?? -1) >= 0);
    const verdicts = JSON.parse((await d.get("/verdicts?format=mon")).body) as { text: string; exitCode: number };
    assert.equal(verdicts.exitCode, 1);
    const phrase = new RegExp(`^${loop},restarts=-2/1m:[01] \\d+ starts in 1m > 2 \\(restarts=-2/1m\\)$`, "m");
    assert.match(verdicts.text, phrase, verdicts.text);
    // check --from renders the daemon's structured verdicts itself: restarts= travels with them.
    const from = await runCli(["check", "--from", d.base]);
    assert.equal(from.code, 1, from.stdout);
    assert.match(from.stdout, phrase, from.stdout);
  } finally {
    d.child.kill("SIGKILL");
    await pool.kill(shell);
  }
});
