// The daemon's inputs that must never block it or fill its memory: a configuration that is a FIFO
// (validate, run, and swapped in before a SIGHUP), /dev/zero, a file over the size limit. A
// process stuck in open(2) on a FIFO would answer nothing, so every wait here is bounded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { startDaemon } from "../helpers/daemon.js";
import { uniqueName } from "../helpers/procs.js";

const dir = mkdtempSync(join(tmpdir(), "procwatch-inputs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, "fifo.yaml");
execFileSync("mkfifo", [fifo]);
const FIFO_PROBLEM = `${fifo}:1:1: "${fifo}": the configuration file is a FIFO, not a regular file; refusing to read it`;

test("validate --config FIFO answers at once", async () => {
  const r = await runCli(["validate", "--config", fifo], { timeoutMs: 10_000 });
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, "", `${FIFO_PROBLEM}\n`]);
});

for (const [what, path, problem] of [
  ["a FIFO", fifo, FIFO_PROBLEM],
  ["/dev/zero", "/dev/zero", '/dev/zero:1:1: "/dev/zero": the configuration file is a character device, not a regular file; refusing to read it'],
] as const) {
  test(`run --config ${what} exits 1 with the problem, before any scan`, async () => {
    const d = await startDaemon(["--config", path], { waitStarted: false });
    const { code } = await d.exited(10_000);
    assert.equal(code, 1);
    assert.deepEqual(d.log.filter((l) => l !== ""), [`procwatch: ${problem}`]);
  });
}

test("run --config with a file over 1 MiB exits 1 naming its size", async () => {
  const path = join(dir, "big.yaml");
  writeFileSync(path, `rules:\n${'  - "big:0-"\n'.repeat(100_000)}`);
  const d = await startDaemon(["--config", path], { waitStarted: false });
  assert.equal((await d.exited(10_000)).code, 1);
  assert.deepEqual(d.log.filter((l) => l !== ""), [`procwatch: ${path}:1:1: "${path}": the configuration file is larger than 1 MiB (1300007 bytes), the most procwatch reads`]);
});

test("a FIFO swapped in for the config and SIGHUP: refused, scans and signals go on", async () => {
  const name = uniqueName("hf");
  const path = join(dir, "reload.yaml");
  writeFileSync(path, `interval: 1s\nrules:\n  - "${name}:0-"\n`);
  const d = await startDaemon(["--config", path]);
  try {
    await d.until("a first scan", async () => ((await d.get("/verdicts")).status === 200 ? true : undefined));
    unlinkSync(path);
    execFileSync("mkfifo", [path]);
    d.child.kill("SIGHUP");
    await d.until("the reload refused", () => (d.log.some((l) => l.includes("reload failed, keeping the running configuration: 1 problem(s)")) ? true : undefined));
    assert.ok(d.log.includes(`procwatch: ${path}:1:1: "${path}": the configuration file is a FIFO, not a regular file; refusing to read it`), d.log.join("\n"));
    const seq = JSON.parse((await d.get("/verdicts")).body).scan.seq as number;
    await d.until("two more scans", async () => (JSON.parse((await d.get("/verdicts")).body).scan.seq >= seq + 2 ? true : undefined));
    assert.equal((await d.get("/metrics")).status, 200);
    const stopped = await d.stop("SIGTERM", 10_000);
    assert.equal(stopped.code, 0);
  } finally {
    d.child.kill("SIGKILL");
  }
});
