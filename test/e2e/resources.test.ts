// Resource conditions and units on real processes: a process whose memory grows past rss=, one
// that opens files up to its RLIMIT_NOFILE, a crash loop caught by age= in a one-shot check, and
// unit=/cgroup= on a real cgroup of this machine. Processes are ours, named uniquely, killed by PID.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { after, describe, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "../helpers/cli.js";
import { haveRoot, skipOrFail } from "../helpers/e2e.js";
import { ProcessPool, uniqueName, waitFor } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

/** /proc/PID/status VmRSS in KiB. */
const rssKib = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] ?? 0);

describe("rss=: a process whose memory grows past the limit", () => {
  test("passes while small, fails once it holds more, naming the process and its size", async () => {
    const name = uniqueName("rss");
    // node under our name: grows by 48 MiB (touched, so resident) on SIGUSR1.
    const p = await pool.start(name, {
      target: process.execPath,
      args: ["-e", "const keep=[];process.on('SIGUSR1',()=>{const b=Buffer.alloc(48*1024*1024,1);keep.push(b)});setInterval(()=>{},1e6)"],
    });
    const rule = `${name}:1-1,rss=-40M`;
    const before = await runCli(["check", rule]);
    assert.equal(before.code, 0, before.stdout);
    p.child.kill("SIGUSR1");
    await waitFor(() => (rssKib(p.pid) > 45 * 1024 ? true : undefined), 10_000);
    const r = await runCli(["check", rule]);
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `${name},rss=-40M:1`);
    assert.equal(lines[1], `${name},rss=-40M:1 1 process outside rss=-40M`);
    assert.match(lines[2] as string, new RegExp(`^  outside limits: pid ${p.pid} name ${name} user root exe ${process.execPath}: rss \\d+(\\.\\d)? MiB > 40 MiB$`));
    const n = await runCli(["check", "--format", "nagios", rule]);
    assert.equal(n.code, 2);
    assert.match(n.stdout, new RegExp(`'${name}_rss_-40M_rss'=\\d+B;;~:41943040;0;`));
  });
});

describe("fds=: a process near its RLIMIT_NOFILE", () => {
  test("about 56 of 64 files open: over -80%, under -91%; the count form too", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("fds");
    const path = pool.link(name);
    // bash keeps explicitly redirected descriptors open across exec: 0-2 and 3..55 reach sleep.
    const sh = pool.spawnCommand("/bin/bash", ["-c", `ulimit -n 64; for i in $(seq 3 55); do eval "exec $i</dev/null"; done; exec ${path} 600`]);
    const pid = sh.pid as number;
    await waitFor(() => (readFileSync(`/proc/${pid}/comm`, "latin1").trim() === name ? true : undefined), 5000);
    // The oracle: the kernel's own count of the process's open files (bash may leave one more).
    const open = readdirSync(`/proc/${pid}/fd`).length;
    assert.ok(open >= 56 && open <= 58, `open files: ${open}`);
    const over = await runCli(["check", `${name}:1-1,fds=-80%`, `${name}:1-1,fds=-91%`, `${name}:1-1,fds=-50`]);
    assert.equal(over.code, 1);
    const lines = over.stdout.split("\n");
    // '%' is escaped in every process- or rule-derived word (%25): it is the escape character.
    assert.equal(lines[0], `${name},fds=-80%25:1 ${name},fds=-50:1`);
    const percent = Number(((open * 100) / 64).toFixed(1));
    assert.ok(lines.includes(`  outside limits: pid ${pid} name ${name} user root exe /usr/bin/sleep: open fds ${open} of 64 = ${percent} percent > 80 percent`), over.stdout);
    assert.ok(lines.includes(`  outside limits: pid ${pid} name ${name} user root exe /usr/bin/sleep: open fds ${open} > 50`), over.stdout);
  });
});

describe("age=: a crash loop in a one-shot check", () => {
  test("a child restarted every 2 s is always younger than 10 minutes; a steady one is not flagged by age=1s-", async () => {
    const name = uniqueName("loop");
    const path = pool.link(name);
    pool.spawnCommand("/bin/sh", ["-c", `while :; do ${path} 2; done`]);
    const steady = await pool.start(uniqueName("stdy"));
    await sleep(1500);
    const r = await runCli(["check", `${name}:0-,age=10m-`, `${steady.name}:1-1,age=1s-`]);
    assert.equal(r.code, 1, r.stdout);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `${name},age=10m-:1`);
    assert.match(lines[2] as string, new RegExp(`^  outside limits: pid \\d+ name ${name} user root exe /usr/bin/sleep: up [0-9]s < 10m$`));
  });
});

/** A fresh cgroup v2 directory named like a unit, or undefined (skipped, or failed under CI). */
function makeCgroup(t: TestContext, name: string): string | undefined {
  if (!haveRoot(t)) return undefined;
  const base = existsSync("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
  const dir = `${base}/${name}`;
  try {
    mkdirSync(dir);
    return dir;
  } catch (err) {
    skipOrFail(t, `cannot make a cgroup under ${base} (${(err as NodeJS.ErrnoException).code}); unit= and cgroup= need a writable cgroup v2 hierarchy`);
    return undefined;
  }
}

describe("unit= and cgroup= on this machine's cgroups", () => {
  test("a process moved into a unit-named cgroup counts for unit= and cgroup=; outside it is a near miss", async (t) => {
    const unit = `pw-${randomBytes(4).toString("hex")}.service`;
    const dir = makeCgroup(t, unit);
    if (dir === undefined) return;
    const inside = await pool.start(uniqueName("cgin"));
    const name = inside.name;
    try {
      writeFileSync(`${dir}/cgroup.procs`, String(inside.pid));
      const cg = readFileSync(`/proc/${inside.pid}/cgroup`, "latin1");
      assert.match(cg, new RegExp(`/${unit.replace(".", "\\.")}\\n`));
      const ok = await runCli(["check", `${name}:1-1,unit=${unit}`, `${name}:1-1,cgroup=/${unit}`, `${name}:0-0,unit!=${unit}`, `${name}:0-0,container=*`]);
      assert.deepEqual([ok.code, ok.stdout], [0, ""]);
      const miss = await runCli(["check", `${name}:1-1,unit=ssh.service`]);
      assert.equal(miss.code, 1);
      assert.ok(miss.stdout.includes(`  near miss: pid ${inside.pid} name ${name} user root exe /usr/bin/sleep: unit=ssh.service: runs in unit ${unit} (cgroup /${unit})`), miss.stdout);
    } finally {
      await pool.kill(inside);
      await waitFor(() => (readFileSync(`${dir}/cgroup.procs`, "latin1").trim() === "" ? true : undefined), 5000);
      rmdirSync(dir);
    }
  });
});
