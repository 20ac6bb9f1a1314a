// procwatch run as a command (dist/bin/cli.js executed, or a symlink to it, as the package
// installs /usr/bin/procwatch): its shell header (src/bin/launch.sh) starts the CLI and the
// scanner side by side. The answers must be the ones `node cli.js` gives, and "never hang" must
// hold as it does there: a stuck scanner ends in a clean timeout and holds none of our pipes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, type CliResult, runCli, runCommand } from "../helpers/cli.js";
import { listProcesses, type ProcInfo, ProcessPool, uniqueName, waitFor } from "../helpers/procs.js";

const pool = new ProcessPool();
const scratch = mkdtempSync(join(tmpdir(), "procwatch-launched-"));
after(async () => {
  await pool.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function environ(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  } catch {
    return [];
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
  } catch {
    return [];
  }
}

/** Every live process under `root`, `root` included. */
function tree(root: number): ProcInfo[] {
  const all = listProcesses().filter((p) => p.state !== "Z");
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (!inTree.has(p.pid) && inTree.has(p.ppid)) (inTree.add(p.pid), grew = true);
  }
  return all.filter((p) => inTree.has(p.pid));
}

/** The scanner under `root`: the process running bin/child.js. */
function scannerUnder(root: number): ProcInfo | undefined {
  return tree(root).find((p) => cmdline(p.pid).some((a) => a.endsWith("/child.js")));
}

const { NODE_EXTRA_CA_CERTS: _unset, ...ENV } = process.env;

/** The scan's time and the host's process count (the header's shells are two more) differ. */
function comparable(r: CliResult): object {
  const stdout = r.stdout.replace(/"at":"[^"]*","processes":\d+/g, '"at":"T","processes":"N"');
  return { code: r.code, signal: r.signal, stdout, stderr: r.stderr };
}

function same(a: CliResult, b: CliResult): void {
  assert.deepEqual(comparable(a), comparable(b));
}

describe("run as a command", () => {
  test("answers exactly as `node cli.js` does: holding, failing, three formats, usage errors", async () => {
    const name = uniqueName("l");
    const p = await pool.start(name);
    const cases: string[][] = [
      ["check", `${name}:1-1`],
      ["check", `${name}:2-`, `${uniqueName("n")}:1-`],
      ["check", "--format", "nagios", `${name}:2-`],
      ["check", "--format", "json", `${name}:1-1`],
      ["check", "--bogus", `${name}:1-`],
      ["check", `${name}:x`],
      ["check"],
      ["explain", "--pid", String(p.pid)],
      ["check", "--help"],
      ["--version"],
    ];
    for (const args of cases) {
      const launched = await runCommand(CLI, args, { env: ENV });
      const plain = await runCli(args, { env: ENV });
      // explain shows the CPU figure of a moment; everything else must be equal to the byte.
      if (args[0] === "explain") {
        assert.equal(launched.code, plain.code);
        assert.match(launched.stdout, new RegExp(`pid ${p.pid}\\b`));
      } else {
        same(launched, plain);
      }
    }
  });

  test("a shell whose here-documents are not pipes (bash) takes the plain path, with the same answers", async () => {
    const name = uniqueName("b");
    await pool.start(name);
    for (const args of [["check", `${name}:1-1`], ["check", "--format", "nagios", `${name}:2-`]]) {
      same(await runCommand("/bin/bash", [CLI, ...args], { env: ENV }), await runCli(args, { env: ENV }));
    }
  });

  test("the scanner starts beside the CLI, not from it, both without NODE_EXTRA_CA_CERTS; the CLI is the process the caller started", async () => {
    const name = uniqueName("l");
    await pool.start(name);
    // Through a symlink, as the package installs /usr/bin/procwatch.
    const link = join(scratch, uniqueName("pw"));
    symlinkSync(CLI, link);
    const env = { ...ENV, NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt" };
    const top = spawn(link, ["check", "--recheck", "1500ms", `${name}:1-1`], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    top.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const scanner = await waitFor(() => scannerUnder(top.pid as number), 10_000);
    assert.equal(scanner.ppid, top.pid, "the shell forked the scanner, then became the CLI");
    assert.ok(cmdline(top.pid as number).some((a) => a.endsWith("/cli.js")), "the CLI runs in the process the caller started");
    const marker = environ(top.pid as number).find((e) => e.startsWith("PROCWATCH_SCANNER="));
    assert.equal(marker, `PROCWATCH_SCANNER=${scanner.pid}:${top.pid}`, "the CLI was told the scanner's PID and its own");
    // Set to nothing, Node still loads its certificates: the variable must be gone.
    assert.ok(!environ(scanner.pid).some((e) => e.startsWith("NODE_EXTRA_CA_CERTS")), "the scanner starts without the extra certificates");
    assert.ok(!environ(top.pid as number).some((e) => e.startsWith("NODE_EXTRA_CA_CERTS")), "nor the CLI: a check opens no TLS connection");
    const code = await new Promise((resolve) => top.on("close", resolve));
    assert.deepEqual([code, out], [0, ""]);
  });

  test("--timeout holds when the scanner is stuck: a clean answer, and no pipe of ours kept open", async () => {
    const missing = uniqueName("t");
    for (const [format, expected, exit] of [
      ["mon", "procwatch: check timed out after 1500ms", 1],
      ["nagios", "PROCS UNKNOWN: check timed out after 1500ms: a /proc read did not finish in time (a process stuck in D state?)", 3],
    ] as const) {
      const started = Date.now();
      const top = spawn(CLI, ["check", "--format", format, "--timeout", "1500ms", "--recheck", "1400ms", `${missing}:1-`], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
      const scanner = await waitFor(() => scannerUnder(top.pid as number), 10_000);
      // A stopped scanner stands in for one blocked in a /proc read (D state): it cannot finish.
      process.kill(scanner.pid, "SIGSTOP");
      let out = "";
      top.stdout.on("data", (c: Buffer) => (out += c.toString()));
      // 'close' waits for end of file on stdout and stderr: the stuck scanner must not hold them.
      const code = await new Promise((resolve) => top.on("close", resolve));
      assert.deepEqual([code, out.split("\n")[0]], [exit, expected]);
      assert.ok(Date.now() - started < 10_000);
      await waitFor(() => (listProcesses().some((p) => p.pid === scanner.pid && p.state !== "Z") ? undefined : true), 5000);
    }
  });

  test("a SIGTERM to the command is answered by the CLI, as when it runs alone: a clean failure, never death by the signal", async () => {
    const name = uniqueName("s");
    await pool.start(name);
    const top = spawn(CLI, ["check", "--recheck", "3s", `${name}:2-`], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    await waitFor(() => scannerUnder(top.pid as number), 10_000);
    // Once the CLI runs (during Node's own start-up, a signal ends any Node process): the recheck
    // keeps the check going for 3 s.
    await sleep(1000);
    process.kill(top.pid as number, "SIGTERM");
    let out = "";
    top.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => top.on("close", (c, s) => resolve([c, s])));
    assert.deepEqual([code, signal], [1, null], "mon counts a monitor killed by a signal as a success");
    assert.equal(out.split("\n")[0], "procwatch: interrupted by SIGTERM");
  });
});
