// --proc-root (and proc_root:) is checked before anything is judged: missing, unreadable, or a
// directory that is not shaped like procfs (no numeric directories, no `stat`) is a clear error in
// every command and format, never a green "no processes". A running daemon whose root goes away
// keeps running: the scan fails, rules go unknown, and it recovers when the root is back.
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { sample, startDaemon } from "../helpers/daemon.js";
import { link, statLine, statusText, TreePool } from "../helpers/proctree.js";

const trees = new TreePool();
const dir = mkdtempSync(join(tmpdir(), "procwatch-root-"));
after(() => {
  trees.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const NAME = "pwrootfixture";
const process1 = { stat: statLine({ pid: 4242, comm: NAME }), status: statusText({ pid: 4242, name: NAME }), cmdline: [NAME], exe: link(`/usr/bin/${NAME}`) };
const good = trees.make({ 4242: process1 });
const noStat = trees.make({ stat: null, 4242: process1 });
const noProcesses = trees.make({ "not-a-pid": { x: "y" } });
const missing = join(dir, "nonexistent-proc");
const NOT_PROC = (root: string, what: string): string =>
  `${root} is not a proc filesystem (no ${what}); point --proc-root (or proc_root:) at where proc is mounted, e.g. /proc or /host/proc`;

describe("check and explain refuse a wrong root in every format", () => {
  const roots: [string, string, string][] = [
    ["missing", missing, `cannot read ${missing}: ENOENT`],
    ["a file", join(good, "4242", "stat"), `cannot read ${join(good, "4242", "stat")}: ENOTDIR`],
    ["no process directories (/tmp, /host for /host/proc)", noProcesses, NOT_PROC(noProcesses, "process directories")],
    ["no stat file", noStat, NOT_PROC(noStat, "stat file")],
  ];
  for (const [what, root, reason] of roots) {
    test(`${what}: mon, json, nagios, with --security all, and explain`, async () => {
      const mon = await runCli(["check", "--proc-root", root, `${NAME}:0-0`]);
      assert.deepEqual([mon.code, mon.stdout, mon.stderr], [1, `procwatch: ${reason}\n`, ""]);
      const json = await runCli(["check", "--format", "json", "--proc-root", root, `${NAME}:0-0`]);
      assert.deepEqual([json.code, JSON.parse(json.stdout)], [1, { ok: false, error: reason }]);
      const nagios = await runCli(["check", "--format", "nagios", "--proc-root", root, "telnetd:0-0"]);
      assert.deepEqual([nagios.code, nagios.stdout], [3, `PROCS UNKNOWN: ${reason}\n`]);
      const security = await runCli(["check", "--format", "nagios", "--proc-root", root, "--security", "all"]);
      assert.deepEqual([security.code, security.stdout], [3, `PROCS UNKNOWN: ${reason}\n`]);
      const explain = await runCli(["explain", "--proc-root", root, "--pid", "4242"]);
      assert.deepEqual([explain.code, explain.stdout], [1, `procwatch: ${reason}\n`]);
    });
  }
  test("a fixture tree shaped like /proc is scanned as before, with no extra flag", async () => {
    const r = await runCli(["check", "--format", "nagios", "--proc-root", good, `${NAME}:1-1`]);
    assert.deepEqual([r.code, r.stdout.split(" | ")[0]], [0, `PROCS OK: ${NAME}:1 (1-1)`]);
  });
});

describe("run and validate refuse a wrong root before the first scan", () => {
  test("run --proc-root missing: exit 1 with one log line", async () => {
    const d = await startDaemon(["--proc-root", missing, `${NAME}:1-`], { waitStarted: false });
    assert.equal((await d.exited()).code, 1);
    assert.deepEqual(d.log.filter((l) => l !== ""), [`procwatch: cannot read ${missing}: ENOENT`]);
  });
  test("validate: proc_root of the file that is not procfs", async () => {
    const path = join(dir, "root.yaml");
    writeFileSync(path, `proc_root: ${noProcesses}\nrules:\n  - "${NAME}:1-"\n`);
    const r = await runCli(["validate", "--config", path]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, "", `${NOT_PROC(noProcesses, "process directories")}\n`]);
  });
});

test("a running daemon whose root is renamed away and back: unknown, still serving, then recovered", async () => {
  const root = trees.make({ 4242: process1 });
  const d = await startDaemon(["--proc-root", root, "--interval", "1s", `${NAME}:1-1`]);
  const status = async (): Promise<number | undefined> => sample((await d.get("/metrics")).body, "procwatch_rule_status", { procwatch_rule_name: NAME });
  try {
    await d.until("the rule ok", async () => ((await status()) === 0 ? true : undefined));
    renameSync(root, `${root}.away`);
    await d.until("the rule unknown", async () => ((await status()) === 3 ? true : undefined));
    assert.ok(d.log.includes(`procwatch: scan failed, rules are unknown until it recovers: cannot read ${root}: ENOENT`), d.log.join("\n"));
    const verdicts = JSON.parse((await d.get("/verdicts?format=mon")).body) as { exitCode: number; text: string };
    assert.equal(verdicts.exitCode, 1);
    assert.match(verdicts.text, new RegExp(`^${NAME}:unknown[ \\n]`));
    assert.ok(verdicts.text.includes(`\n  undecided: the scan failed: cannot read ${root}: ENOENT\n`), verdicts.text);
    renameSync(`${root}.away`, root);
    await d.until("the rule ok again", async () => ((await status()) === 0 ? true : undefined));
    assert.ok(d.log.includes("procwatch: scans recovered"), d.log.join("\n"));
    assert.equal((await d.stop()).code, 0);
  } finally {
    d.child.kill("SIGKILL");
    rmSync(`${root}.away`, { recursive: true, force: true });
  }
});
