// The daemon's configuration as an operator meets it: `validate` and `run` refusing a bad file
// with every problem at file:line:column, SIGHUP applying a good file and keeping the running
// configuration on a bad one, and command-line flags over the file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { sample, startDaemon } from "../helpers/daemon.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
const dir = mkdtempSync(join(tmpdir(), "procwatch-config-"));
after(async () => {
  await pool.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BAD = [
  "interval: 10s",
  "rules:",
  '  - "sshd:5-2"',
  "  - select: cron",
  "    count: 1-x",
  "cpu:",
  "    max_percnt: 90",
  "export:",
  "  prometheus:",
  '    listen: "0.0.0.0:9477"',
  "",
].join("\n");

test("validate and run refuse a bad file with every problem at file:line:column, before any scan", async () => {
  const path = writeConfig("bad.yaml", BAD);
  const validated = await runCli(["validate", "--config", path]);
  assert.equal(validated.code, 1);
  assert.equal(validated.stdout, "", "problems go to stderr");
  const lines = validated.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 4, validated.stderr);
  assert.match(lines[0] ?? "", new RegExp(`^${path}:3:5: "sshd:5-2": `));
  assert.match(lines[1] ?? "", new RegExp(`^${path}:5:12: "1-x": `));
  assert.match(lines[2] ?? "", new RegExp(`^${path}:7:5: "max_percnt": unknown key under cpu \\(did you mean "max_percent"\\?\\)`));
  assert.match(lines[3] ?? "", new RegExp(`^${path}:10:13: "0\\.0\\.0\\.0:9477": `));

  const d = await startDaemon(["--config", path], { waitStarted: false });
  const exit = await d.exited(10_000);
  assert.deepEqual([exit.code, exit.signal], [1, null]);
  assert.ok(!d.log.some((l) => l.includes("started:")), d.log.join("\n"));
  for (const line of lines) assert.ok(d.log.includes(`procwatch: ${line}`), `missing in the log: ${line}\n${d.log.join("\n")}`);
});

test("validate prints one escaped line per problem, whatever the file's tokens hold (newline, ESC, U+202E)", async () => {
  // YAML escapes put a newline and ESC into the one-liners; U+202E stands raw in the file.
  const path = writeConfig("hiding.yaml", 'rules:\n  - "ss\\nhd:0-"\n  - "pw\u202Eevil:0-"\n  - "x\\e[2J:5-1"\n');
  const validated = await runCli(["validate", "--config", path, "y\u2028:1-"]);
  assert.equal(validated.code, 1);
  const lines = validated.stderr.trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => l.replace(/": .*/, '"')), [
    `${path}:2:5: "ss%0Ahd:0-"`,
    `${path}:3:5: "pw%E2%80%AEevil:0-"`,
    `${path}:4:5: "x%1B[2J:5-1"`,
  ], validated.stderr);
  for (const line of lines) assert.doesNotMatch(line, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  const clean = writeConfig("clean.yaml", "rules: []\n");
  const argv = await runCli(["validate", "--config", clean, "y\u2028:1-"]);
  assert.equal(argv.code, 1);
  assert.match(argv.stderr, /^argument 1: "y%E2%80%A8:1-": character U\+2028 at position 2 is a control, invisible, bidi or separator character /);
});

test("validate accepts the shipped example and names what it would run; command-line rules are checked too", async () => {
  const example = new URL("../../../examples/procwatch.example.yaml", import.meta.url).pathname;
  const ok = await runCli(["validate", "--config", example]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /^.*procwatch\.example\.yaml: ok: \d+ rule\(s\) from .*procwatch\.example\.yaml, every 10s/);

  const clash = await runCli(["validate", "--config", example, "telnetd:0-0", "foo:5-2"]);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^argument 1: "telnetd:0-0": .*procwatch\.example\.yaml:\d+/m);
  assert.match(clash.stderr, /^argument 2: "foo:5-2": /m);
});

test("SIGHUP applies a good file and keeps the running configuration when the new one is bad", async () => {
  const a = uniqueName("ha");
  const b = uniqueName("hb");
  await pool.start(b);
  const path = writeConfig("reload.yaml", `interval: 1s\nrules:\n  - "${a}:0-"\n`);
  const d = await startDaemon(["--config", path]);
  try {
    await d.until(`rule ${a} exported`, async () => (sample((await d.get("/metrics")).body, "procwatch_rule_process_count", { procwatch_rule_name: a }) === 0 ? true : undefined));

    writeFileSync(path, `interval: 1s\nrules:\n  - "${b}:1-1"\n`);
    d.child.kill("SIGHUP");
    await d.until(`rule ${b} counted and ${a} gone`, async () => {
      const m = (await d.get("/metrics")).body;
      return sample(m, "procwatch_rule_process_count", { procwatch_rule_name: b }) === 1
        && sample(m, "procwatch_rule_process_count", { procwatch_rule_name: a }) === undefined ? true : undefined;
    });
    assert.ok(d.log.some((l) => /^procwatch: reloaded: 1 rule\(s\) from /.test(l)), d.log.join("\n"));

    writeFileSync(path, `interval: 1s\nrules:\n  - "${b}:1-1"\n  - "${a}:9-1"\n`);
    d.child.kill("SIGHUP");
    await d.until("the reload failure logged", () => (d.log.some((l) => l.includes("reload failed, keeping the running configuration: 1 problem(s)")) ? true : undefined));
    assert.ok(d.log.some((l) => l.startsWith(`procwatch: ${path}:4:5: "${a}:9-1": `)), d.log.join("\n"));
    const seq = JSON.parse((await d.get("/verdicts")).body).scan.seq as number;
    await d.until("a scan after the failed reload", async () => (JSON.parse((await d.get("/verdicts")).body).scan.seq > seq + 1 ? true : undefined));
    assert.equal(sample((await d.get("/metrics")).body, "procwatch_rule_process_count", { procwatch_rule_name: b }), 1);
    const stopped = await d.stop();
    assert.equal(stopped.code, 0);
  } finally {
    d.child.kill("SIGKILL");
  }
});

test("--recheck debounces: a failure is reported only after it lasted that long", async () => {
  const name = uniqueName("rc");
  // No security or CPU section: the verdict's exit code is the rule's alone.
  const path = writeConfig("recheck.yaml", "interval: 1s\nrules: []\n");
  const d = await startDaemon(["--config", path, "--recheck", "2s", `${name}:1-`]);
  try {
    assert.ok(d.log.some((l) => l.includes("failures after 3 scans")), d.log.join("\n"));
    const exitBySeq = new Map<number, number>();
    await d.until("four scans", async () => {
      const v = JSON.parse((await d.get("/verdicts?format=mon")).body) as { scan?: { seq: number }; exitCode: number };
      if (v.scan !== undefined) exitBySeq.set(v.scan.seq, v.exitCode);
      return v.scan !== undefined && v.scan.seq >= 4 ? true : undefined;
    });
    const seen = [...exitBySeq].sort(([a], [b]) => a - b);
    assert.ok(seen.some(([seq]) => seq < 3), `no early scan observed: ${JSON.stringify(seen)}`);
    for (const [seq, exitCode] of seen) assert.equal(exitCode, seq < 3 ? 0 : 1, `scan ${seq}: ${JSON.stringify(seen)}`);
  } finally {
    await d.stop();
  }
});

test("with the Prometheus export off, /metrics says so and /verdicts still serves check --from", async () => {
  const path = writeConfig("no-prometheus.yaml", "interval: 1s\nrules: []\nexport:\n  prometheus:\n    enabled: false\n");
  const d = await startDaemon(["--config", path, "pwnone:0-"]);
  try {
    await d.until("a scan", async () => ((await d.get("/verdicts")).status === 200 ? true : undefined));
    const m = await d.get("/metrics");
    assert.equal(m.status, 404);
    assert.match(m.body, /the Prometheus export is off in the configuration/);
    assert.ok(d.log.some((l) => /listening on http:\/\/127\.0\.0\.1:\d+ \(\/verdicts\)$/.test(l)), d.log.join("\n"));
  } finally {
    await d.stop();
  }
});

test("flags the daemon cannot honour are refused", async () => {
  const window = await runCli(["run", "--cpu-window", "5s", "--cpu-max", "50"], { timeoutMs: 10_000 });
  assert.equal(window.code, 1);
  assert.match(window.stderr, /--cpu-window: the daemon measures CPU between consecutive scans; set --interval instead/);
  const open = await runCli(["run", "--prometheus-listen", "0.0.0.0:9477"], { timeoutMs: 10_000 });
  assert.equal(open.code, 1);
  assert.match(open.stdout + open.stderr, /--prometheus-listen: "0\.0\.0\.0:9477" is not a loopback address; a public listener needs allow_public: true in the config file/);
});
