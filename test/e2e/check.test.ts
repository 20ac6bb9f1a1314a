// procwatch check on real processes: exact exit codes and output, as mon would see them.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "../helpers/cli.js";
import { haveRoot } from "../helpers/e2e.js";
import { childrenOf, ProcessPool, uniqueName, waitFor, waitForComm } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

// the exe link of a sleep shows the real binary path (/usr/bin/sleep on merged-/usr Debian)
const SLEEP = realpathSync("/bin/sleep");

async function check(...args: string[]) {
  const r = await runCli(["check", ...args]);
  assert.equal(r.stderr, "", "nothing may reach stderr (mon merges it into the summary)");
  assert.equal(r.signal, null);
  return r;
}

describe("counts", () => {
  let name: string;
  let pid: number;
  before(async () => {
    name = uniqueName("c");
    pid = (await pool.start(name)).pid;
  });

  test("every rule holds: exit 0, no output", async () => {
    const r = await check(`${name}:1-1`, `${uniqueName("n")}:0-0`);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
  });

  test("too few: summary, ps.monitor-style detail, and the matching process", async () => {
    const r = await check(`${name}:2-`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${name}:1\n${name}:1 < 2 (2-)\n  pid ${pid} name ${name} user root exe ${SLEEP}\n`);
  });

  test("must not run (0-0) fails when one runs; ps.monitor ignored 0 bounds", async () => {
    const r = await check(`${name}:0-0`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.split("\n")[1], `${name}:1 > 0 (0-0)`);
  });

  test("summary keeps argument order and names only failing rules", async () => {
    const missing = uniqueName("m");
    const r = await check(`${missing}:1-`, `${name}:1-`, `${name}:3-5,user=root`);
    assert.equal(r.stdout.split("\n")[0], `${missing}:0 ${name},user=root:1`);
  });

  test("--format json gives the same verdicts for scripts", async () => {
    const r = await runCli(["check", "--format", "json", `${name}:2-`, `${name}:1-,user=root`]);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; rules: { label: string; state: string; count: number; matches: { pid: number; user: string }[] }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.rules.map((x) => [x.label, x.state, x.count]), [[name, "fail", 1], [`${name},user=root`, "ok", 1]]);
    assert.deepEqual(doc.rules[1]?.matches.map((m) => [m.pid, m.user]), [[pid, "root"]]);
  });

  test("procwatch never counts itself: its own argv matches this args= rule", async () => {
    const token = uniqueName("self");
    const r = await check(`node:0-0,args=${token}`);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
  });
});

describe("names", () => {
  test("a script run by an interpreter is described by the name it is counted by, not by the interpreter", async () => {
    const name = uniqueName("i");
    const script = join(pool.directory, `${name}.js`);
    writeFileSync(script, "setTimeout(() => undefined, 600_000);\n");
    const child = pool.spawnCommand(process.execPath, [script]);
    const comm = basename(process.execPath).slice(0, 15);
    await waitForComm(child.pid as number, comm);
    const node = realpathSync(process.execPath);
    const r = await check(`${name}.js:2-`);
    assert.equal(r.stdout, `${name}.js:1\n${name}.js:1 < 2 (2-)\n  pid ${child.pid} name ${name}.js user root exe ${node}\n`);
    const j = await runCli(["check", "--format", "json", `${name}.js:2-`]);
    const doc = JSON.parse(j.stdout) as { rules: { matches: { pid: number; comm: string; name: string }[] }[] };
    assert.deepEqual(doc.rules[0]?.matches.map((m) => [m.pid, m.comm, m.name]), [[child.pid, comm, `${name}.js`]]);
    await pool.kill(child);
  });
});

describe("users and ids", () => {
  test("user= needs the real AND effective id; near misses say why", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("u");
    const p = await pool.start(name, { uid: 65534, gid: 65534 });
    assert.deepEqual((await check(`${name}:1-1,user=nobody,group=nogroup`)).code, 0);
    const r = await check(`${name}:1-,user=root`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, [
      `${name},user=root:0`,
      `${name},user=root:0 < 1 (1-)`,
      `  near miss: pid ${p.pid} name ${name} user nobody exe ${SLEEP}: user=root: real uid 65534, effective uid 65534`,
      "",
    ].join("\n"));
  });

  test("a setuid binary run by nobody (euid 0, ruid 65534) is not root", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("s");
    const suid = join(pool.directory, `${name}-bin`);
    copyFileSync(SLEEP, suid);
    chmodSync(suid, 0o4755);
    const p = await pool.start(name, { target: suid, uid: 65534, gid: 65534 });
    const status = readFileSync(`/proc/${p.pid}/status`, "latin1");
    assert.match(status, /\nUid:\t65534\t0\t0\t0\n/);
    const r = await check(`${name}:1-,user=root`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`near miss: pid ${p.pid} name ${name} user nobody \\(effective root\\) exe ${suid}: user=root: real uid 65534, effective uid 0`));
  });
});

describe("names", () => {
  test("names longer than 15 bytes are confirmed through argv[0] or the exe", async () => {
    const long = `${uniqueName("l")}-long-daemon-name`;
    const link = pool.link(long);
    const child = pool.spawnCommand(link, ["600"]);
    await waitForComm(child.pid as number, long.slice(0, 15));
    assert.equal((await check(`${long}:1-1`)).code, 0);
    // the 15-byte prefix still matches comm exactly, as in ps.monitor
    assert.equal((await check(`${long.slice(0, 15)}:1-1`)).code, 0);
  });

  test("an interpreter counts as its script, interpreter options skipped", async () => {
    const script = `${uniqueName("p")}.pl`;
    const path = join(pool.directory, script);
    writeFileSync(path, "sleep 600;\n");
    const child = pool.spawnCommand("perl", ["-w", path]);
    await waitForComm(child.pid as number, "perl");
    assert.equal((await check(`${script}:1-1`)).code, 0);
    // ps.monitor counted this process as "-w"
    assert.equal((await check("--", "-w:0-0")).code, 0);
  });

  test("zombies do not count as running", async () => {
    const name = uniqueName("z");
    const link = pool.link(name, "/bin/true");
    // sh execs into sleep, which never reaps the exited child: it stays a zombie
    const parent = pool.spawnCommand("/bin/sh", ["-c", `${link} & exec sleep 600`]);
    const zombie = await waitFor(() => childrenOf(parent.pid as number).find((c) => c.state === "Z"));
    assert.equal(zombie.comm, name);
    assert.equal((await check(`${name}:0-0`)).code, 0);
    const r = await runCli(["explain", `${name}:1-`]);
    assert.match(r.stdout, new RegExp(`near miss: pid ${zombie.pid} .*: zombie \\(defunct\\), not running`));
  });

  test("a hostile name is escaped: it can never forge a line", async () => {
    const name = `pw\nOK|${uniqueName("h").slice(2, 8)}`;
    const link = pool.link(name);
    const child = pool.spawnCommand(link, ["600"]);
    await waitForComm(child.pid as number, name.slice(0, 15));
    const r = await check(`${name}:0-0`);
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `${name.replace("\n", "%0A").replace("|", "%7C")}:1`);
    assert.equal(lines.length, 4);
    const explained = await runCli(["explain", "--pid", String(child.pid)]);
    assert.match(explained.stdout, /^comm pw%0AOK%7C/m);
  });
});

describe("not root", () => {
  test("kernel threads have no executable: never undecided for a path rule", async (t) => {
    if (!haveRoot(t)) return;
    const r = await runCli(["check", "--format", "json", "/usr/bin/sleep:0-"], { uid: 65534, gid: 65534 });
    const doc = JSON.parse(r.stdout) as { rules: { undecidedProcesses: { pid: number }[] }[] };
    const undecided = doc.rules[0]?.undecidedProcesses.map((p) => p.pid) ?? [];
    const kthreads = undecided.filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
        return (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[6]) & 0x00200000) !== 0;
      } catch {
        return false; // gone since: not a kernel thread we can name
      }
    });
    assert.deepEqual(kthreads, []);
    assert.ok(undecided.length > 0, "other users' processes stay undecided for nobody");
  });
});

describe("bad input", () => {
  test("a malformed rule: exit 1 with Can't parse naming it, nothing else checked", async () => {
    const r = await check("sshd:1-", "foo:5-2");
    assert.deepEqual([r.code, r.stdout], [1, `Can't parse "foo:5-2": empty range: minimum 5 is above maximum 2\n`]);
  });

  test("a host name appended by mon gets the ';;' hint", async () => {
    const r = await check("sshd:1-", "localhost");
    assert.equal(r.stdout, `Can't parse "localhost": no ':MIN-MAX' range (if mon appended this as a hostgroup member, end the monitor line with ';;')\n`);
  });

  test("bad flags name the flag", async () => {
    // Commander's own usage errors go to stderr; a flag combination procwatch refuses is its
    // mon summary (stdout), so mon shows why the monitor fails.
    const cases: [string[], RegExp, "stderr" | "stdout"][] = [
      [["--timeout", "0"], /--timeout: "0" is shorter than 100ms/, "stderr"],
      [["--timeout", "-5"], /--timeout/, "stderr"],
      [["--timeout", "abc"], /--timeout: "abc" is not a duration/, "stderr"],
      [["--timeout", "1e9"], /--timeout: "1e9" is not a duration/, "stderr"],
      [["--bogus"], /unknown option '--bogus'/, "stderr"],
      [["--recheck", "20s", "--timeout", "10s"], /--recheck 20s must be shorter than --timeout 10s/, "stdout"],
    ];
    for (const [args, message, stream] of cases) {
      const r = await runCli(["check", ...args, "sshd:1-"]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r[stream], message);
      if (stream === "stderr") assert.equal(r.stdout, "", args.join(" "));
    }
  });
});

describe("time", () => {
  test("--recheck reports only rules that fail in both scans, counts from the second", async () => {
    const name = uniqueName("r");
    const missing = uniqueName("q");
    await pool.start(name);
    const run = check(`${name}:2-`, `${missing}:1-`, "--recheck", "2s");
    await sleep(700);
    await pool.start(name);
    const r = await run;
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `${missing}:0`);
    assert.equal(lines[1], `${missing}:0 < 1 (1-)`);
    assert.equal(lines[2], "(failed in two scans 2s apart; counts from the second)");
  });

  test("--timeout bounds the run even when the scanner is stuck", async () => {
    const missing = uniqueName("t");
    // A stopped scanner stands in for one blocked in a /proc read (D state): it cannot finish.
    const started = Date.now();
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../helpers/cli.js");
    const { NODE_EXTRA_CA_CERTS: _x, ...env } = process.env;
    const cli = spawn(process.execPath, [CLI, "check", "--timeout", "1500ms", "--recheck", "1400ms", `${missing}:1-`], { env, stdio: ["ignore", "pipe", "pipe"] });
    const scanner = await waitFor(() => childrenOf(cli.pid as number)[0]);
    process.kill(scanner.pid, "SIGSTOP");
    let out = "";
    cli.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => cli.on("close", resolve));
    assert.equal(code, 1);
    assert.equal(out.split("\n")[0], "procwatch: check timed out after 1500ms");
    assert.ok(Date.now() - started < 10_000);
    await waitFor(() => (readdirSync("/proc").includes(String(scanner.pid)) ? undefined : true));
  });
});

describe("explain", () => {
  test("--pid shows how procwatch sees one process", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("e");
    const p = await pool.start(name, { uid: 65534, gid: 65534, args: ["600", "5"] });
    const r = await runCli(["explain", "--pid", String(p.pid)]);
    assert.equal(r.code, 0, r.stdout);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", new RegExp(`^pid ${p.pid} ppid ${process.pid} state S threads 1$`));
    assert.equal(lines[1], `comm ${name}`);
    assert.equal(lines[2], `counted as ${name}`);
    assert.equal(lines[3], `exe ${SLEEP}`);
    assert.equal(lines[4], "uid real 65534 (nobody) effective 65534 (nobody) saved 65534 (nobody) fs 65534 (nobody)");
    assert.equal(lines[7], `argv ${join(pool.directory, name)} 600 5`);
  });

  test("rules: every match and near miss with the reason", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("x");
    const a = await pool.start(name);
    const b = await pool.start(`${name}`.slice(0, 15).replace(/.$/, "Z"));
    void b;
    const c = await pool.start(name.replace(/^pw/, "pW"), {});
    void c;
    const r = await runCli(["explain", `${name}:1-,user=root`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^rule ${name}:1-,user=root: ok, 1 matching \\(range 1-\\)\n  match: pid ${a.pid} name ${name} user root exe ${SLEEP}\n`));
  });

  test("an unknown pid says so", async () => {
    const r = await runCli(["explain", "--pid", "4194304"]);
    assert.deepEqual([r.code, r.stdout], [1, "procwatch: no process 4194304 under /proc\n"]);
  });
});



