// CPU watch end to end: lifetime figures on crafted /proc trees (exact numbers), PID reuse inside
// a window on a tree rewritten mid-check, and real burners and sleepers measured over a window.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "../helpers/cli.js";
import { haveRoot } from "../helpers/e2e.js";
import { ProcessPool, uniqueName, waitForComm } from "../helpers/procs.js";
import { statLine, statusText, TreePool } from "../helpers/proctree.js";

const pool = new ProcessPool();
const trees = new TreePool();
after(async () => {
  await pool.cleanup();
  trees.cleanup();
});
const tree = (spec: Parameters<TreePool["make"]>[0]): string => trees.make(spec);

function proc(pid: number, comm: string, f: { utime: number; stime?: number; starttime: number; uid?: number; threads?: number }) {
  return {
    stat: statLine({ pid, comm, utime: f.utime, stime: f.stime ?? 0, starttime: f.starttime, threads: f.threads ?? 1 }),
    status: statusText({ pid, name: comm, uid: f.uid ?? 0, gid: f.uid ?? 0 }),
    cmdline: [comm, "--serve"],
  };
}

describe("lifetime figures on a crafted /proc tree", () => {
  // uptime 1000 s; at 100 Hz start 50000 = started at 500 s, so 500 s old
  const spec = {
    uptime: "1000.00 1900.00\n",
    101: proc(101, "spinner", { utime: 40_000, stime: 5_000, starttime: 50_000 }), // 450 s / 500 s = 90%
    102: proc(102, "busy2", { utime: 90_000, stime: 10_000, starttime: 50_000, threads: 4 }), // 200%
    103: proc(103, "calm", { utime: 500, starttime: 50_000 }), // 1%
    104: proc(104, "gzip", { utime: 45_000, starttime: 50_000 }), // exempt by default
    105: proc(105, "userjob", { utime: 45_000, starttime: 50_000, uid: 54321 }), // ordinary user, no passwd entry
  };

  test("offenders above the limit, highest first, with scale, elapsed time and escaped args", async () => {
    const root = tree(spec);
    const r = await runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "--cpu-max", "80"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, [
      "cpu:busy2@root cpu:spinner@root",
      "cpu: 2 processes above 80% of one CPU, lifetime average (2 more exempt)",
      "  pid 102 name busy2 user root 200.0% of one CPU, lifetime average elapsed 8m20s exe - args busy2 --serve",
      "  pid 101 name spinner user root 90.0% of one CPU, lifetime average elapsed 8m20s exe - args spinner --serve",
      "",
    ].join("\n"));
  });

  test("exemptions: --cpu-exempt, --cpu-exempt-user, --cpu-include-normal-users, --cpu-no-default-exempt", async () => {
    const root = tree(spec);
    const run = (...flags: string[]) => runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "--cpu-max", "80", ...flags]);
    assert.equal((await run("--cpu-exempt", "busy2", "--cpu-exempt", "spinner")).code, 0);
    assert.equal((await run("--cpu-exempt-user", "root")).code, 0);
    assert.equal((await run("--cpu-exempt-user", "root", "--cpu-include-normal-users")).stdout.split("\n")[0], "cpu:userjob@54321");
    assert.equal((await run("--cpu-exempt-user", "root", "--cpu-no-default-exempt")).code, 0); // gzip runs as root
    assert.equal((await run("--cpu-exempt-user", "nosuchuser")).stdout, "procwatch: --cpu-exempt-user: unknown user \"nosuchuser\"\n");
  });

  test("another CLK_TCK gives other figures from the same ticks", async () => {
    const root = tree(spec);
    // at 250 Hz the same tree reads: started at 200 s, 800 s old, spinner 45000/250 = 180 s → 22.5%
    const r = await runCli(["check", "--proc-root", root, "--clock-ticks", "250", "--cpu-lifetime", "--cpu-max", "20", "--format", "json"]);
    const doc = JSON.parse(r.stdout) as { runaway: { offenders: { pid: number; percent: number }[] } };
    assert.deepEqual(doc.runaway.offenders.map((o) => [o.pid, o.percent]), [[102, 50], [101, 22.5]]);
  });

  test("cpu= on a rule: a busy process that went quiet fails, one that spins fails", async () => {
    const root = tree(spec);
    const r = await runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "calm:1-,cpu=50-", "spinner:1-1,cpu=-80", "busy2:1-,cpu=100-"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, [
      "calm,cpu=50-:1 spinner,cpu=-80:1",
      "calm,cpu=50-:1 cpu 1.0% < 50 (cpu=50-, % of one CPU, lifetime average)",
      "  pid 103 name calm user root exe -",
      "spinner,cpu=-80:1 cpu 90.0% > 80 (cpu=-80, % of one CPU, lifetime average)",
      "  pid 101 name spinner user root exe -",
      "",
    ].join("\n"));
  });

  test("a hostile name in the offender list stays escaped", async () => {
    const root = tree({ uptime: "1000.00 0\n", 7: proc(7, "x\nOK|y", { utime: 50_000, starttime: 50_000 }) });
    const r = await runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "--cpu-max", "50", "--format", "nagios"]);
    assert.equal(r.code, 2);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0]?.split("|").length, 2, "exactly one raw '|' on line 1");
    assert.match(lines[0] ?? "", /cpu:x%0AOK%7Cy@root/);
    assert.ok(lines.slice(1).every((l) => !l.includes("|")));
  });
});

describe("window figures on a tree that changes during the window", () => {
  test("a reused PID yields no figure; a steady one is measured over the window", async () => {
    const root = tree({
      20: proc(20, "steady", { utime: 1000, starttime: 100 }),
      21: proc(21, "reused", { utime: 5, starttime: 200 }),
    });
    const run = runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-window", "1s", "--cpu-max", "50", "--format", "json"]);
    await sleep(400);
    // during the window: steady burns 200 ticks (2 s of CPU: ~200%); PID 21 now is another process
    writeFileSync(join(root, "20", "stat"), statLine({ pid: 20, comm: "steady", utime: 1200, starttime: 100 }));
    writeFileSync(join(root, "21", "stat"), statLine({ pid: 21, comm: "reused", utime: 900_000, starttime: 99_999 }));
    const r = await run;
    const doc = JSON.parse(r.stdout) as { cpuScale: string; runaway: { measured: number; offenders: { pid: number; percent: number }[] } };
    assert.equal(doc.cpuScale, "percent of one CPU over a 1s window");
    assert.deepEqual(doc.runaway.offenders.map((o) => o.pid), [20]);
    const pct = doc.runaway.offenders[0]?.percent ?? 0;
    assert.ok(pct > 150 && pct <= 200, `steady: ${pct}% (200 ticks over a window of at least 1 s)`);
    assert.equal(doc.runaway.measured, 1, "the reused PID has no figure");
  });
});

describe("real processes", () => {
  const spin = "while :; do :; done";

  test("a single-threaded burner is a runaway, an idle sleeper is not; --cpu-exempt hides it", async (t) => {
    if (!haveRoot(t)) return;
    const burner = uniqueName("b");
    const idle = uniqueName("i");
    const b = pool.spawnCommand(pool.link(burner, "/bin/sh"), ["-c", spin]);
    await waitForComm(b.pid as number, burner);
    await pool.start(idle);
    const r = await runCli(["check", "--cpu-max", "50", "--cpu-window", "1s", `${idle}:1-1`]);
    const tokens = (r.stdout.split("\n")[0] ?? "").split(" ");
    assert.ok(tokens.includes(`cpu:${burner}@root`), r.stdout);
    assert.ok(!tokens.some((x) => x.includes(idle)), r.stdout);
    const line = r.stdout.split("\n").find((l) => l.includes(`pid ${b.pid} `)) ?? "";
    const pct = Number(/ ([\d.]+)% of one CPU over a 1s window/.exec(line)?.[1]);
    assert.ok(pct > 50 && pct < 110, `burner at ${pct}%`);
    const exempt = await runCli(["check", "--cpu-max", "50", "--cpu-window", "1s", "--cpu-exempt", burner]);
    await pool.kill(b);
    assert.ok(!exempt.stdout.includes(burner));
  });

  test("a two-threaded burner counts the CPU of both threads (ps/top scale, can exceed 100%)", async (t) => {
    if (!haveRoot(t)) return;
    // Measured side by side with a one-threaded burner in the same window: on a busy shared
    // machine neither may get a full core, but the scheduler shares per thread, so two threads
    // get about twice what one gets, which a per-process figure must show.
    const two = uniqueName("m");
    const one = uniqueName("o");
    const code = "const { Worker } = require('node:worker_threads'); new Worker('for(;;){}', { eval: true }); for(;;){}";
    const multi = pool.spawnCommand(pool.link(two, process.execPath), ["-e", code]);
    const single = pool.spawnCommand(pool.link(one, "/bin/sh"), ["-c", spin]);
    await waitForComm(multi.pid as number, two);
    await waitForComm(single.pid as number, one);
    await sleep(300);
    const r = await runCli(["check", "--cpu-max", "1", "--cpu-window", "2s", "--cpu-top", "999", "--format", "json"], { timeoutMs: 30_000 });
    await pool.kill(multi);
    await pool.kill(single);
    const doc = JSON.parse(r.stdout) as { runaway: { offenders: { pid: number; percent: number }[] } };
    const pct = (pid: number | undefined) => doc.runaway.offenders.find((o) => o.pid === pid)?.percent ?? 0;
    const [m, s1] = [pct(multi.pid), pct(single.pid)];
    assert.ok(m > 1.4 * s1 && m <= 205, `two threads ${m}%, one thread ${s1}%`);
  });

  test("ordinary users are exempt by default, reported with --cpu-include-normal-users", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("n");
    // 54321: inside UID_MIN..UID_MAX, and (on Debian) without a passwd entry, so shown as a number
    const b = pool.spawnCommand(pool.link(name, "/bin/sh"), ["-c", spin], { uid: 54321, gid: 54321 });
    await waitForComm(b.pid as number, name);
    const plain = await runCli(["check", "--cpu-max", "50", "--cpu-window", "1s"]);
    const all = await runCli(["check", "--cpu-max", "50", "--cpu-window", "1s", "--cpu-include-normal-users"]);
    await pool.kill(b);
    assert.ok(!plain.stdout.includes(name), plain.stdout);
    assert.ok((all.stdout.split("\n")[0] ?? "").split(" ").includes(`cpu:${name}@54321`), all.stdout);
  });

  test("cpu= fails when a process that must be busy sleeps, passes while it works", async (t) => {
    if (!haveRoot(t)) return;
    const worker = uniqueName("w");
    const lazy = uniqueName("z");
    const b = pool.spawnCommand(pool.link(worker, "/bin/sh"), ["-c", spin]);
    await waitForComm(b.pid as number, worker);
    await pool.start(lazy);
    // 5%: a spinning shell gets at least that even on a busy 2-core machine; a sleeper gets 0
    const r = await runCli(["check", "--cpu-window", "1s", `${worker}:1-,cpu=5-`, `${lazy}:1-,cpu=5-`]);
    await pool.kill(b);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.split("\n")[0], `${lazy},cpu=5-:1`);
    assert.match(r.stdout.split("\n")[1] ?? "", new RegExp(`^${lazy},cpu=5-:1 cpu 0\\.0% < 5 \\(cpu=5-, % of one CPU over a 1s window\\)$`));
  });

  test("--recheck: a runaway must be over the limit in both windows", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("k");
    const b = pool.spawnCommand(pool.link(name, "/bin/sh"), ["-c", spin]);
    await waitForComm(b.pid as number, name);
    const run = runCli(["check", "--cpu-max", "50", "--cpu-window", "1s", "--recheck", "500ms", `${name}:0-`]);
    // stop the burner after the first window: a short spike, not a runaway
    await sleep(1300);
    process.kill(b.pid as number, "SIGSTOP");
    const r = await run;
    await pool.kill(b);
    assert.ok(!r.stdout.includes(`cpu:${name}@`), r.stdout);
  });
});
