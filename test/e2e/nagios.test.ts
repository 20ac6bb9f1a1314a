// procwatch check --format nagios on real processes: exact output and exit codes as a plugin,
// hostile names that try to inject perfdata, usage errors and timeouts as UNKNOWN, and a real
// Nagios 4 core running procwatch (and check_procs, as an oracle) as service checks.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { CLI, runCli } from "../helpers/cli.js";
import { haveRoot, haveTools } from "../helpers/e2e.js";
import { CHECK_PROCS, NAGIOS, NAGIOS_INSTALL, NagiosScratch, nagiosIds, runNagios, runPlugin } from "../helpers/nagios.js";
import { childrenOf, ProcessPool, type SpawnedProcess, uniqueName, waitFor, waitForComm } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

const NOBODY = { uid: 65534, gid: 65534 };

async function nagios(...args: string[]) {
  const r = await runCli(["check", "--format", "nagios", ...args]);
  assert.equal(r.stderr, "", "Nagios ignores stderr when there is stdout; nothing may go there");
  assert.equal(r.signal, null);
  return r;
}

/** Raw '|' per line: Nagios takes the first one on line 1, and any later one, as perfdata. */
function rawBars(text: string): number[] {
  return text.split("\n").map((l) => l.split("|").length - 1);
}

/** A copy of sleep under a hostile file name: comm and the exe link carry the name. */
async function startHostile(name: string, user?: { uid: number; gid: number }): Promise<{ pid: number; exe: string }> {
  const exe = join(pool.directory, name);
  copyFileSync("/bin/sleep", exe);
  chmodSync(exe, 0o755);
  const child = pool.spawnCommand(exe, ["600"], user === undefined ? {} : user);
  await waitForComm(child.pid as number, name.slice(0, 15));
  return { pid: child.pid as number, exe: readlinkSync(`/proc/${child.pid}/exe`) };
}

describe("states on real processes, exact output", () => {
  let one: SpawnedProcess;
  let two: SpawnedProcess[];
  let sleepExe: string;
  before(async () => {
    one = await pool.start(uniqueName("o"));
    const b = uniqueName("w");
    two = [await pool.start(b), await pool.start(b)].sort((x, y) => x.pid - y.pid);
    sleepExe = readlinkSync(`/proc/${one.pid}/exe`);
  });

  test("OK: exit 0, every rule with its count, perfdata with plugin ranges", async () => {
    const missing = uniqueName("m");
    const r = await nagios(`${one.name}:1-1`, `${two[0]?.name}:1-`, `${missing}:0-0`);
    assert.deepEqual([r.code, r.stdout], [0,
      `PROCS OK: ${one.name}:1 (1-1), ${two[0]?.name}:2 (1-), ${missing}:0 (0-0) | '${one.name}'=1;;1:1;0; '${two[0]?.name}'=2;;1:;0; '${missing}'=0;;0:0;0;\n`]);
  });

  test("WARNING: outside warn= inside the rule's range; the processes as long output", async () => {
    const name = two[0]?.name as string;
    const r = await nagios(`${name}:1-3,warn=1-1`, `${one.name}:1-`);
    assert.deepEqual([r.code, r.stdout], [1, [
      `PROCS WARNING: ${name}:2 > 1 (warn 1-1, crit 1-3) | '${name}'=2;1:1;1:3;0; '${one.name}'=1;;1:;0;`,
      `${name}:2 > 1 (warn 1-1, crit 1-3)`,
      ...two.map((p) => `  pid ${p.pid} name ${p.name} user root exe ${sleepExe}`),
      "",
    ].join("\n")]);
  });

  test("CRITICAL: outside the rule's own range wins over a warning", async () => {
    const missing = uniqueName("c");
    const name = two[0]?.name as string;
    const r = await nagios(`${missing}:1-`, `${name}:1-3,warn=1-1`, `${one.name}:0-0`);
    assert.deepEqual([r.code, r.stdout], [2, [
      `PROCS CRITICAL: ${missing}:0 < 1 (1-), ${name}:2 > 1 (warn 1-1, crit 1-3), ${one.name}:1 > 0 (0-0) | '${missing}'=0;;1:;0; '${name}'=2;1:1;1:3;0; '${one.name}'=1;;0:0;0;`,
      `${missing}:0 < 1 (1-)`,
      `${name}:2 > 1 (warn 1-1, crit 1-3)`,
      ...two.map((p) => `  pid ${p.pid} name ${p.name} user root exe ${sleepExe}`),
      `${one.name}:1 > 0 (0-0)`,
      `  pid ${one.pid} name ${one.name} user root exe ${sleepExe}`,
      "",
    ].join("\n")]);
  });

  test("UNKNOWN: an undecidable rule (another user's exe), run like Nagios as an unprivileged user", async (t) => {
    if (!haveRoot(t)) return;
    const scratch = new NagiosScratch(NOBODY);
    try {
      const r = await runPlugin(scratch, [`${one.name}:1-1,exe=${sleepExe}`, `${two[0]?.name}:2-2`], NOBODY);
      const label = `${one.name}_exe_${sleepExe.replace(/\//g, "_")}`;
      assert.deepEqual([r.code, r.stdout], [3, [
        `PROCS UNKNOWN: ${one.name},exe=${sleepExe}:0 unknown: 1 more processes could not be checked (1-1) | '${label}'=U;;1:1;0; '${two[0]?.name}'=2;;2:2;0;`,
        `${one.name},exe=${sleepExe}:0 unknown: 1 more processes could not be checked (1-1)`,
        `  undecided: pid ${one.pid} name ${one.name} user root exe ? (EACCES): exe unreadable (EACCES)`,
        "",
      ].join("\n")]);
    } finally {
      scratch.cleanup();
    }
  });
});

describe("hostile names cannot inject perfdata", () => {
  test("'|', quotes and a newline in a process name and in rule labels", async () => {
    const name = `pw|'${uniqueName("").slice(2)}x|y`;
    assert.equal(name.length, 15);
    const p = await startHostile(`${name}\nPROCS OK: z | a=1`);
    const r = await nagios(`${name}:0-0`, `q"|'x\n=1;2:0-`);
    assert.equal(r.code, 2);
    const lines = r.stdout.split("\n");
    const safe = name.replace(/\|/g, "%7C");
    assert.equal(lines[0], `PROCS CRITICAL: ${safe}:1 > 0 (0-0) | '${name.replace(/[|']/g, "_")}'=1;;0:0;0; 'q___x__1_2'=0;;0:;0;`);
    assert.equal(lines[2], `  pid ${p.pid} name ${safe} user root exe ${p.exe.replace(/\|/g, "%7C").replace("\n", "%0A")}`);
    assert.deepEqual(rawBars(r.stdout), [1, 0, 0, 0]);
  });
});

describe("errors are UNKNOWN (exit 3) with a one-line reason", () => {
  const cases: [string[], string][] = [
    [["sshd:1-", "foo:5-2"], `PROCS UNKNOWN: Can't parse "foo:5-2": empty range: minimum 5 is above maximum 2\n`],
    [["foo:5-2", "a|b"], `PROCS UNKNOWN: Can't parse "foo:5-2": empty range: minimum 5 is above maximum 2\nCan't parse "foo:5-2": empty range: minimum 5 is above maximum 2\nCan't parse "a%7Cb": no ':MIN-MAX' range (if mon appended this as a hostgroup member, end the monitor line with ';;')\n`],
    [["x:1-3,warn=4-"], `PROCS UNKNOWN: Can't parse "x:1-3,warn=4-": warn=: 4- shares no count with the rule's range 1-3, so every count would be WARNING or CRITICAL\n`],
    [[], "PROCS UNKNOWN: no rules given: nothing to check (give RULE..., --cpu-max PERCENT or --security LIST)\n"],
    [["--bogus|x", "sshd:1-"], "PROCS UNKNOWN: unknown option '--bogus%7Cx'\n"],
    [["--timeout", "0", "sshd:1-"], `PROCS UNKNOWN: option '--timeout <duration>' argument '0' is invalid. --timeout: "0" is shorter than 100ms\n`],
    [["--recheck", "20s", "sshd:1-"], "PROCS UNKNOWN: --recheck 20s must be shorter than --timeout 10s\n"],
    [["--proc-root", "/nonexistent-proc", "sshd:1-"], "PROCS UNKNOWN: cannot read /nonexistent-proc: ENOENT\n"],
  ];
  for (const [args, expected] of cases) {
    test(args.join(" ") || "(no rules)", async () => {
      const r = await nagios(...args);
      assert.deepEqual([r.code, r.stdout], [3, expected]);
    });
  }

  test("--format=nagios after other flags is seen before parsing, too", async () => {
    const r = await runCli(["check", "--timeout", "x", "--format=nagios", "sshd:1-"]);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^PROCS UNKNOWN: option '--timeout <duration>' argument 'x' is invalid/);
  });

  test("--help and --version exit 3 in Nagios mode (plugin convention), 0 otherwise", async () => {
    const help = await nagios("--help");
    assert.equal(help.code, 3);
    assert.match(help.stdout, /^Usage: procwatch check/);
    assert.match(help.stdout, /warn=MIN-MAX/);
    assert.deepEqual([(await nagios("--version")).code, (await runCli(["check", "--version"])).code], [3, 0]);
  });

  test("--timeout: UNKNOWN, not a hang, even when the scanner is stuck", async () => {
    const missing = uniqueName("t");
    const { NODE_EXTRA_CA_CERTS: _x, ...env } = process.env;
    // --recheck keeps the scanner alive (sleeping) long enough to be stopped, as if blocked in D state.
    const cli = spawn(process.execPath, [CLI, "check", "--format", "nagios", "--timeout", "1500ms", "--recheck", "1400ms", `${missing}:1-`], { env, stdio: ["ignore", "pipe", "pipe"] });
    const scanner = (await waitFor(() => childrenOf(cli.pid as number)[0])).pid;
    process.kill(scanner, "SIGSTOP");
    let out = "";
    cli.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => cli.on("close", resolve));
    assert.deepEqual([code, out], [3, "PROCS UNKNOWN: check timed out after 1500ms: a /proc read did not finish in time (a process stuck in D state?)\n"]);
  });
});

describe("a real Nagios 4 core runs procwatch as a service check", () => {
  test("current_state, plugin_output, long_plugin_output and performance_data as Nagios stores them", async (t) => {
    if (!haveRoot(t) || !haveTools(t, [NAGIOS, CHECK_PROCS], NAGIOS_INSTALL)) return;
    const nagiosUser = nagiosIds();
    const one = await pool.start(uniqueName("o"));
    const b = uniqueName("w");
    const two = [await pool.start(b), await pool.start(b)].sort((x, y) => x.pid - y.pid);
    const sleepExe = readlinkSync(`/proc/${one.pid}/exe`);
    const missing = uniqueName("m");
    // Owned by nagios so that user may read its exe; the name tries to end plugin_output early.
    const evil = `pw|'${uniqueName("").slice(2)}x|y`;
    const hostile = await startHostile(`${evil}\nPROCS OK: z | a=1`, nagiosUser);
    const scratch = new NagiosScratch();
    try {
      const plugin = scratch.plugin;
      const run = await runNagios(scratch, [
        { name: "ok", command: [plugin, `${one.name}:1-1`, `${missing}:0-0`] },
        { name: "warning", command: [plugin, `${b}:1-3,warn=1-1`] },
        { name: "critical", command: [plugin, `${missing}:1-`, `${one.name}:1-`] },
        // Nagios runs plugins as user nagios, which may not read root's exe links: undecidable.
        { name: "unknown", command: [plugin, `${one.name}:1-1,exe=${sleepExe}`] },
        { name: "usage", command: [plugin, "foo:5-2"] },
        { name: "hostile", command: [plugin, `${evil}:0-0`, `q'|x:0-`] },
        { name: "check_procs", command: [CHECK_PROCS, "-c", "2:2", "-C", b] },
        // the command definition shipped in examples/, used as documented there
        { name: "example", checkCommand: `check_procwatch!'${b}:1-5,warn=1-1' '${missing}:0-0'` },
      ], { objects: exampleCommand(scratch.procwatch) });
      // one result each: no retry, no Nagios-side timeout
      assert.deepEqual([...run.checks.values()], Array.from({ length: 8 }, () => 1));
      const got = (name: string) => {
        const s = run.services.get(name);
        assert.ok(s !== undefined, `no status for ${name}`);
        return [s.currentState, s.pluginOutput, s.longPluginOutput, s.performanceData];
      };
      assert.deepEqual(got("ok"), [0, `PROCS OK: ${one.name}:1 (1-1), ${missing}:0 (0-0)`, "", `'${one.name}'=1;;1:1;0; '${missing}'=0;;0:0;0;`]);
      assert.deepEqual(got("warning"), [1, `PROCS WARNING: ${b}:2 > 1 (warn 1-1, crit 1-3)`,
        // as user nagios, root's exe links are unreadable: said so, never guessed
        [`${b}:2 > 1 (warn 1-1, crit 1-3)`, ...two.map((p) => `  pid ${p.pid} name ${b} user root exe ? (EACCES)`)].join("\n"), `'${b}'=2;1:1;1:3;0;`]);
      assert.deepEqual(got("critical"), [2, `PROCS CRITICAL: ${missing}:0 < 1 (1-)`, `${missing}:0 < 1 (1-)`, `'${missing}'=0;;1:;0; '${one.name}'=1;;1:;0;`]);
      assert.deepEqual(got("unknown"), [3, `PROCS UNKNOWN: ${one.name},exe=${sleepExe}:0 unknown: 1 more processes could not be checked (1-1)`,
        [`${one.name},exe=${sleepExe}:0 unknown: 1 more processes could not be checked (1-1)`, `  undecided: pid ${one.pid} name ${one.name} user root exe ? (EACCES): exe unreadable (EACCES)`].join("\n"),
        `'${one.name}_exe_${sleepExe.replace(/\//g, "_")}'=U;;1:1;0;`]);
      assert.deepEqual(got("usage"), [3, `PROCS UNKNOWN: Can't parse "foo:5-2": empty range: minimum 5 is above maximum 2`, "", ""]);
      const safe = evil.replace(/\|/g, "%7C");
      assert.deepEqual(got("hostile"), [2, `PROCS CRITICAL: ${safe}:1 > 0 (0-0)`,
        [`${safe}:1 > 0 (0-0)`, `  pid ${hostile.pid} name ${safe} user nagios exe ${hostile.exe.replace(/\|/g, "%7C").replace("\n", "%0A")}`].join("\n"),
        `'${evil.replace(/[|']/g, "_")}'=1;;0:0;0; 'q__x'=0;;0:;0;`]);
      // The oracle counts the same two processes.
      assert.deepEqual(got("check_procs"), [0, `PROCS OK: 2 processes with command name '${b}'`, "", "procs=2;;2:2;0;"]);
      assert.deepEqual(got("example"), [1, `PROCS WARNING: ${b}:2 > 1 (warn 1-1, crit 1-5)`,
        [`${b}:2 > 1 (warn 1-1, crit 1-5)`, ...two.map((p) => `  pid ${p.pid} name ${b} user root exe ? (EACCES)`)].join("\n"), `'${b}'=2;1:1;1:5;0; '${missing}'=0;;0:0;0;`]);
      assert.match(run.log, /SERVICE ALERT: localhost;critical;CRITICAL;HARD;1;PROCS CRITICAL: /);
    } finally {
      scratch.cleanup();
    }
  });
});

/** The check_procwatch command of packaging/nagios-procwatch.cfg, pointed at this build. */
function exampleCommand(procwatch: string): string {
  const text = readFileSync(fileURLToPath(new URL("../../../packaging/nagios-procwatch.cfg", import.meta.url)), "utf8");
  const block = /^define command \{\n(?:.*\n)*?\}\n/m.exec(text)?.[0];
  assert.ok(block !== undefined && block.includes("/usr/bin/procwatch check --format nagios"), "packaging/nagios-procwatch.cfg defines check_procwatch");
  return block.replace("/usr/bin/procwatch", procwatch);
}


