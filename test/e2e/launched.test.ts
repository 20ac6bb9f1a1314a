// procwatch run as a command (dist/bin/cli.js executed, or a symlink to it, as the package
// installs /usr/bin/procwatch): its shell lines (src/bin/launch.sh) run a check as one Node
// process (bin/check.js) and supervise it themselves. The answers must be the ones `node cli.js`
// gives, and "never hang" must hold as it does there: a stuck check ends in a clean timeout and
// holds none of our pipes, and nothing the shell started outlives the command.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RAW_OUT_BYTES } from "../../src/check/frames.js";
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

/** The check under `root`: the process running bin/check.js. */
function checkUnder(root: number): ProcInfo | undefined {
  return tree(root).find((p) => cmdline(p.pid).some((a) => a.endsWith("/check.js")));
}

/** Waits until none of `procs` lives on (zombies count as gone; a PID taken again by another
 * process has another name or session). */
async function allGone(procs: readonly ProcInfo[]): Promise<void> {
  const same = (a: ProcInfo, b: ProcInfo): boolean => a.pid === b.pid && a.comm === b.comm && a.sid === b.sid;
  await waitFor(() => (listProcesses().some((p) => p.state !== "Z" && procs.some((q) => same(p, q))) ? undefined : true), 5000);
}

/** An environment whose Node waits 3 s (a --require hook) before it runs the check. */
function slowNodeEnv(): NodeJS.ProcessEnv {
  const hook = join(scratch, `${uniqueName("slow")}.cjs`);
  writeFileSync(hook, "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);\n");
  return { ...ENV, NODE_OPTIONS: `--require ${hook}` };
}

/** Starts the command and collects its stdout; `done` resolves with its exit once stdout and
 * stderr are closed (a stuck check must hold neither). */
function start(file: string, args: readonly string[], env: NodeJS.ProcessEnv = ENV) {
  const top = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  top.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    top.on("close", (code, signal) => resolve({ code, signal, out })));
  return { pid: top.pid as number, done };
}

const { NODE_EXTRA_CA_CERTS: _unset, ...ENV } = process.env;

/** The scan's time, the host's process count and processes that vanished mid-scan differ. */
function comparable(r: CliResult): object {
  const stdout = r.stdout.replace(/"at":"[^"]*","processes":\d+/g, '"at":"T","processes":"N"').replace(/"skipped":\{[^}]*\}/g, '"skipped":{}');
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

  test("a long answer, copied raw rather than read line by line by the shell, is the CLI's to the byte", async () => {
    const name = uniqueName("r");
    for (let i = 0; i < 40; i++) await pool.start(name);
    for (const args of [["check", "--detail-limit", "1000", `${name}:0-0`], ["check", "--format", "json", "--detail-limit", "1000", `${name}:0-0`]]) {
      const launched = await runCommand(CLI, args, { env: ENV });
      assert.ok(Buffer.byteLength(launched.stdout) > RAW_OUT_BYTES, "long enough to go raw");
      same(launched, await runCli(args, { env: ENV }));
    }
  });

  test("the whole command parses as a shell script (sh -n, as lintian checks it), the JavaScript included", async () => {
    const r = await runCommand("/bin/sh", ["-n", CLI]);
    assert.deepEqual([r.code, r.stderr], [0, ""]);
  });

  test("a shell whose here-documents are not pipes (bash) takes the plain path, with the same answers", async () => {
    const name = uniqueName("b");
    await pool.start(name);
    for (const args of [["check", `${name}:1-1`], ["check", "--format", "nagios", `${name}:2-`]]) {
      same(await runCommand("/bin/bash", [CLI, ...args], { env: ENV }), await runCli(args, { env: ENV }));
    }
  });

  test("one Node process, under the shell the caller started, which alone holds the caller's pipes; no NODE_EXTRA_CA_CERTS", async () => {
    const name = uniqueName("l");
    await pool.start(name);
    // Through a symlink, as the package installs /usr/bin/procwatch.
    const link = join(scratch, uniqueName("pw"));
    symlinkSync(CLI, link);
    const env = { ...ENV, NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt" };
    // A failing rule, so the recheck keeps the check running for 1.5 s.
    const top = start(link, ["check", "--recheck", "1500ms", `${name}:2-`], env);
    const check = await waitFor(() => checkUnder(top.pid), 10_000);
    assert.equal(check.ppid, top.pid, "the shell started the check");
    assert.deepEqual(tree(top.pid).filter((p) => p.comm === "node").map((p) => p.pid), [check.pid], "one Node process in the command's tree");
    assert.ok(environ(check.pid).includes(`PROCWATCH_SUPERVISOR=${top.pid}`), "the check was told its supervisor, the root of the tree left out of counts");
    // Set to nothing, Node still loads its certificates: the variable must be gone.
    assert.ok(!environ(check.pid).some((e) => e.startsWith("NODE_EXTRA_CA_CERTS")), "the check starts without the extra certificates");
    const callerPipes = (pid: number): string[] => [1, 2].map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    const mine = callerPipes(top.pid);
    // Node's spawn gives socket pairs for "pipe".
    assert.ok(mine.every((t) => /^(pipe|socket):/.test(t)), "the caller's stdout and stderr are pipes");
    assert.ok(!callerPipes(check.pid).some((t) => mine.includes(t)), "the check holds neither");
    const watchers = tree(top.pid).filter((p) => p.pid !== top.pid && p.pid !== check.pid);
    for (const w of watchers) assert.ok(!callerPipes(w.pid).some((t) => mine.includes(t)), `the watchdog (${w.comm}) holds neither`);
    const { code, signal, out } = await top.done;
    assert.deepEqual([code, signal, out.split("\n")[0]], [1, null, `${name}:1`]);
    await allGone([check, ...watchers]);
  });

  test("installed as the package lays it out (bin/procwatch -> ../lib/procwatch/cli.js), the bundle is found without starting readlink", async () => {
    const name = uniqueName("i");
    await pool.start(name);
    const root = join(scratch, uniqueName("usr"));
    cpSync(dirname(CLI), join(root, "lib", "procwatch"), { recursive: true });
    mkdirSync(join(root, "bin"));
    symlinkSync("../lib/procwatch/cli.js", join(root, "bin", "procwatch"));
    const top = start(join(root, "bin", "procwatch"), ["check", "--recheck", "1500ms", `${name}:2-`]);
    const check = await waitFor(() => checkUnder(top.pid), 10_000);
    // readlink -f would have given the canonical path; the shell's own guess keeps "bin/..".
    assert.equal(cmdline(check.pid).find((a) => a.endsWith("/check.js")), `${root}/bin/../lib/procwatch/check.js`);
    assert.equal((await top.done).code, 1);
  });

  test("--timeout holds when the check is stuck: a clean answer, and no pipe of ours kept open", async () => {
    const missing = uniqueName("t");
    for (const [format, expected, exit] of [
      ["mon", "procwatch: check timed out after 1500ms", 1],
      ["nagios", "PROCS UNKNOWN: check timed out after 1500ms: a /proc read did not finish in time (a process stuck in D state?)", 3],
    ] as const) {
      const started = Date.now();
      const top = start(CLI, ["check", "--format", format, "--timeout", "1500ms", "--recheck", "1400ms", `${missing}:1-`]);
      const check = await waitFor(() => checkUnder(top.pid), 10_000);
      // Once it has handed over its texts (its Node started, its rules parsed; the recheck keeps it
      // going): a stopped check stands in for one blocked in a /proc read (D state).
      await sleep(700);
      process.kill(check.pid, "SIGSTOP");
      const { code, out } = await top.done;
      assert.deepEqual([code, out.split("\n")[0]], [exit, expected]);
      assert.ok(Date.now() - started < 10_000);
      await allGone([check]);
    }
  });

  test("a stop signal is answered by the shell with the check's own text: a clean failure, never death by the signal", async () => {
    const name = uniqueName("s");
    await pool.start(name);
    for (const [signal, format, expected, exit] of [
      ["SIGTERM", "mon", "procwatch: interrupted by SIGTERM", 1],
      ["SIGHUP", "nagios", "PROCS UNKNOWN: interrupted by SIGHUP", 3],
    ] as const) {
      const top = start(CLI, ["check", "--format", format, "--recheck", "3s", `${name}:2-`]);
      const check = await waitFor(() => checkUnder(top.pid), 10_000);
      // Once the check has handed over its texts (its rules parsed): the recheck keeps it going for 3 s.
      await sleep(1000);
      const watchers = tree(top.pid).filter((p) => p.pid !== top.pid);
      process.kill(top.pid, signal);
      const { code, signal: died, out } = await top.done;
      assert.deepEqual([code, died], [exit, null], "mon counts a monitor killed by a signal as a success");
      assert.equal(out.split("\n")[0], expected);
      await allGone([check, ...watchers]);
    }
  });

  test("a stop signal while Node is still starting is a failure too (mon exit 1, Nagios UNKNOWN), never death by the signal", async () => {
    const name = uniqueName("e");
    await pool.start(name);
    // The signal comes before the check's texts.
    const env = slowNodeEnv();
    for (const [format, exit] of [["mon", 1], ["nagios", 3]] as const) {
      const started = Date.now();
      const top = start(CLI, ["check", "--format", format, `${name}:1-1`], env);
      // The shell has set its traps before it starts the check.
      const check = await waitFor(() => checkUnder(top.pid), 10_000);
      process.kill(top.pid, "SIGTERM");
      const { code, signal, out } = await top.done;
      assert.deepEqual([code, signal, out], [exit, null, ""]);
      assert.ok(Date.now() - started < 3000, "the shell did not wait for the check");
      await allGone([check]);
    }
  });

  test("the deadline holds from the start: a check that has said nothing by then ends the command (mon 1, Nagios 3)", async () => {
    const name = uniqueName("d");
    await pool.start(name);
    // Past a 1 s --timeout.
    const env = slowNodeEnv();
    for (const [format, exit] of [["mon", 1], ["nagios", 3]] as const) {
      const started = Date.now();
      const top = start(CLI, ["check", "--format", format, "--timeout", "1000ms", `${name}:1-1`], env);
      const check = await waitFor(() => checkUnder(top.pid), 10_000);
      const { code, signal, out } = await top.done;
      assert.deepEqual([code, signal, out], [exit, null, ""]);
      assert.ok(Date.now() - started < 2800, "ended at the deadline, not when the check would have");
      await allGone([check]);
    }
  });

  test("a check that ends without an answer is a failure in its format, never a silent pass", async () => {
    const name = uniqueName("k");
    await pool.start(name);
    for (const [format, expected, exit] of [
      ["mon", "procwatch: internal error", 1],
      ["nagios", "PROCS UNKNOWN: internal error: the check ended without an answer", 3],
    ] as const) {
      const top = start(CLI, ["check", "--format", format, "--recheck", "3s", `${name}:2-`]);
      const check = await waitFor(() => checkUnder(top.pid), 10_000);
      await sleep(1000);
      // Killed by the kernel's OOM killer, say: no answer ever comes.
      process.kill(check.pid, "SIGKILL");
      const { code, out } = await top.done;
      assert.deepEqual([code, out.split("\n")[0]], [exit, expected]);
    }
  });

  test("a check that cannot start is run again by the CLI alone, which answers as `node cli.js` does", async () => {
    const name = uniqueName("f");
    await pool.start(name);
    const bin = join(scratch, uniqueName("bin"));
    cpSync(dirname(CLI), bin, { recursive: true });
    writeFileSync(join(bin, "check.js"), "throw new Error('cannot start');\n");
    for (const args of [["check", `${name}:1-1`], ["check", "--format", "nagios", `${name}:2-`]]) {
      same(await runCommand(join(bin, "cli.js"), args, { env: ENV }), await runCli(args, { env: ENV }));
    }
  });

  test("the check's code cache made by the build is taken; a damaged one is refused and changes nothing", async () => {
    const name = uniqueName("c");
    await pool.start(name);
    const args = ["check", `${name}:1-1`, `${name}:2-`];
    const report = async (bin: string): Promise<string> => {
      // With the V8 flags the shell lines give it (src/bin/launch.sh).
      const r = await runCommand(process.execPath, ["--enable-experimental-regexp-engine", "--verify-snapshot-checksum", join(bin, "check.js"), ...args], { env: { ...ENV, PROCWATCH_CODE_CACHE: "report" } });
      return r.stderr;
    };
    assert.equal(await report(dirname(CLI)), "code cache: taken\n");
    const bin = join(scratch, uniqueName("bin"));
    cpSync(dirname(CLI), bin, { recursive: true });
    const cache = readFileSync(join(bin, "check-code.cache"));
    // One bit, deep in the payload: V8 would run it and crash, were it not checked.
    const at = cache.length >> 1;
    cache.writeUInt8((cache.readUInt8(at) ^ 1) & 0xff, at);
    writeFileSync(join(bin, "check-code.cache"), cache);
    assert.equal(await report(bin), "code cache: refused\n");
    same(await runCommand(join(bin, "cli.js"), args, { env: ENV }), await runCli(args, { env: ENV }));
  });

  test("a check run as a command loads no module it does not use (no child_process, net, streams or perf_hooks)", async () => {
    const name = uniqueName("m");
    await pool.start(name);
    const report = join(scratch, uniqueName("mods"));
    const hook = join(scratch, uniqueName("hook") + ".cjs");
    writeFileSync(hook, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, process.moduleLoadList.join("\\n")));\n`);
    const r = await runCommand(CLI, ["check", `${name}:1-1`], { env: { ...ENV, NODE_OPTIONS: `--require ${hook}` } });
    assert.deepEqual([r.code, r.stdout], [0, ""]);
    // The check exits after the shell has answered: its report comes a little later.
    const loaded = await waitFor(() => {
      try {
        // Written in one write: once it names fs, it is all there.
        const lines = readFileSync(report, "utf8").split("\n");
        return lines.includes("NativeModule fs") ? lines : undefined;
      } catch {
        return undefined;
      }
    });
    for (const m of ["child_process", "net", "stream", "perf_hooks", "http", "tls"]) {
      assert.ok(!loaded.includes(`NativeModule ${m}`), `${m} is not loaded`);
    }
  });
});
