// `check --from` renders locally what the daemon would print itself: for real spawned processes
// (two too many, one of another user, one inside its warn= range, a probe that is down) the
// client's mon, Nagios and JSON output equal the daemon's own rendering of the same scan.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { startDaemon } from "../helpers/daemon.js";
import { haveRoot } from "../helpers/e2e.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

test("check --from prints exactly what the daemon renders for the same scan, in all three formats", async (t) => {
  if (!haveRoot(t)) return;
  const twice = uniqueName("eq");
  const other = uniqueName("eo");
  const warned = uniqueName("ew");
  await pool.start(twice);
  await pool.start(twice);
  await pool.start(other, { uid: 65534, gid: 65534 });
  await pool.start(warned);
  // A long interval: every request below reads the first scan.
  const d = await startDaemon(["--interval", "60s", `${twice}:1-1`, `${other}:0-0`, `${warned}:1-5,warn=2-5`, `${uniqueName("em")}:0-`, "tcp://127.0.0.1:1"]);
  try {
    await d.until("a first scan", async () => ((await d.get("/healthz")).status === 200 ? true : undefined));
    for (const format of ["mon", "nagios", "json"] as const) {
      const own = JSON.parse((await d.get(`/verdicts?format=${format}`)).body) as { text: string; exitCode: number; scan: { seq: number } };
      assert.equal(own.scan.seq, 1);
      const client = await runCli(["check", "--from", d.base, "--format", format], { timeoutMs: 15_000 });
      assert.equal(client.stdout, own.text, format);
      assert.equal(client.code, own.exitCode, format);
      assert.ok(client.stdout.includes(twice) && client.stdout.includes(other), client.stdout);
      if (format !== "json") assert.match(client.stdout, /user nobody exe /);
    }
    const again = JSON.parse((await d.get("/verdicts?format=mon")).body) as { scan: { seq: number } };
    assert.equal(again.scan.seq, 1, "still the first scan: the comparison was of one scan");
  } finally {
    await d.stop("SIGTERM");
  }
});

test("run --socket serves the same verdicts on a Unix socket of mode 0660, and a socket path that cannot be made stops the start", async (t) => {
  if (!haveRoot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), "pw-sock-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "procwatch.sock");
  const name = uniqueName("es");
  await pool.start(name);
  const d = await startDaemon(["--interval", "60s", "--socket", path, `${name}:0-0`]);
  try {
    await d.until("a first scan", async () => ((await d.get("/healthz")).status === 200 ? true : undefined));
    assert.ok(d.log.some((l) => l.includes(`and unix:${path}`)), d.log.join("\n"));
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    const viaSocket = await runCli(["check", "--from", `unix:${path}`, "--format", "nagios"], { timeoutMs: 15_000 });
    const viaTcp = await runCli(["check", "--from", d.base, "--format", "nagios"], { timeoutMs: 15_000 });
    assert.equal(viaSocket.code, 2, viaSocket.stdout);
    assert.equal(viaSocket.stdout, viaTcp.stdout);
    assert.match(viaSocket.stdout, new RegExp(`^PROCS CRITICAL: ${name}:1 > 0 \\(0-0\\)`));
  } finally {
    await d.stop("SIGTERM");
  }
  const bad = await startDaemon(["--socket", join(dir, "missing", "procwatch.sock"), "x:0-"], { waitStarted: false });
  const exit = await bad.exited(15_000);
  assert.equal(exit.code, 1);
  // libuv reports a missing directory on bind as EACCES; either way the errno is named.
  assert.ok(bad.log.some((l) => /^procwatch: cannot listen on \S+\/missing\/procwatch\.sock: E[A-Z]+$/.test(l)), bad.log.join("\n"));
});
