// `procwatch run` as operators run it: a real daemon process watching real spawned processes,
// read through its Prometheus endpoint and /verdicts, and `check --from` printing the same
// verdicts for mon and Nagios. Every wait is bounded; only processes spawned here are counted.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { hostname } from "node:os";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { freePort, sample, startDaemon } from "../helpers/daemon.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";
import { verdictsDoc } from "../helpers/verdicts-doc.js";
import { makeProcTree, removeProcTree, statLine, statusText, tempProcRoot, link } from "../helpers/proctree.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

const metrics = async (d: Awaited<ReturnType<typeof startDaemon>>): Promise<string> => (await d.get("/metrics")).body;

test("a watched process is counted, drops to 0 (failing) when killed and comes back when restarted", async () => {
  const name = uniqueName("dm");
  const first = await pool.start(name);
  const d = await startDaemon(["--interval", "1s", `${name}:1-1`]);
  try {
    const rule = { procwatch_rule_name: name };
    await d.until("count 1, status ok", async () => {
      const m = await metrics(d);
      return sample(m, "procwatch_rule_process_count", rule) === 1 && sample(m, "procwatch_rule_status", rule) === 0 ? m : undefined;
    });
    const m = await metrics(d);
    assert.equal(sample(m, "procwatch_rule_process_count_limit", { ...rule, procwatch_limit_type: "min" }), 1);
    assert.equal(sample(m, "procwatch_rule_process_count_limit", { ...rule, procwatch_limit_type: "max" }), 1);
    const target = /^target_info\{(.*)\} 1$/m.exec(m)?.[1] ?? "";
    assert.match(target, /service_name="procwatch"/);
    assert.match(target, new RegExp(`host_name="${hostname()}"`));
    assert.match(target, /service_version="\d+\.\d+\.\d+"/);
    if (existsSync("/etc/machine-id")) assert.match(target, new RegExp(`host_id="${readFileSync("/etc/machine-id", "utf8").trim()}"`));
    assert.ok((sample(m, "procwatch_scans_total") ?? 0) >= 1);

    await pool.kill(first);
    await d.until("count 0, status failing", async () => {
      const m2 = await metrics(d);
      return sample(m2, "procwatch_rule_process_count", rule) === 0 && sample(m2, "procwatch_rule_status", rule) === 2 ? true : undefined;
    });
    const verdicts = JSON.parse((await d.get("/verdicts?format=mon")).body) as { text: string; exitCode: number; scan: { seq: number; intervalMs: number } };
    assert.equal(verdicts.exitCode, 1);
    // Summary tokens are NAME:COUNT; the built-in security checks may add theirs on this host.
    assert.ok(verdicts.text.split("\n")[0]?.split(" ").includes(`${name}:0`), verdicts.text);
    assert.equal(verdicts.scan.intervalMs, 1000);

    await pool.start(name);
    await d.until("count 1 again", async () => {
      const m3 = await metrics(d);
      return sample(m3, "procwatch_rule_process_count", rule) === 1 && sample(m3, "procwatch_rule_status", rule) === 0 ? true : undefined;
    });
    const stopped = await d.stop("SIGTERM");
    assert.deepEqual([stopped.code, stopped.signal], [0, null]);
    assert.ok(d.log.some((l) => l.includes("SIGTERM: flushing metrics")), d.log.join("\n"));
  } finally {
    d.child.kill("SIGKILL");
  }
});

test("check --from prints the daemon's verdicts in mon, Nagios and JSON form, and fails when it is unreachable", async () => {
  const name = uniqueName("fr");
  const running = await pool.start(name);
  const d = await startDaemon(["--interval", "1s", `${name}:0-0`]);
  try {
    await d.until("the rule failing", async () => (sample(await metrics(d), "procwatch_rule_status", { procwatch_rule_name: name }) === 2 ? true : undefined));
    const mon = await runCli(["check", "--from", d.base]);
    assert.equal(mon.code, 1);
    assert.ok(mon.stdout.split("\n")[0]?.split(" ").includes(`${name}:1`), mon.stdout);
    assert.match(mon.stdout, new RegExp(`^${name}:1 > 0 \\(0-0\\)\n  pid ${running.pid} name ${name} user \\S+ exe `, "m"));
    const served = JSON.parse((await d.get("/verdicts?format=mon")).body) as { text: string };
    // The same observations: what mon prints is what the daemon serves (same scan or the next).
    assert.equal(mon.stdout.split("\n")[0], served.text.split("\n")[0]);

    const nagios = await runCli(["check", "--from", d.base, "--format", "nagios"]);
    assert.equal(nagios.code, 2);
    assert.match(nagios.stdout, new RegExp(`^PROCS CRITICAL: ${name}`));

    const json = await runCli(["check", "--from", d.base, "--format", "json"]);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean };
    assert.equal(parsed.ok, false);

    const withRules = await runCli(["check", "--from", d.base, "sshd:1-"]);
    assert.equal(withRules.code, 1);
    assert.match(withRules.stdout, /--from prints the daemon's verdicts; its configuration holds the rules/);
  } finally {
    await d.stop("SIGTERM");
  }
  const gone = await runCli(["check", "--from", d.base]);
  assert.equal(gone.code, 1);
  assert.match(gone.stdout, new RegExp(`^procwatch: daemon at http://127\\.0\\.0\\.1:${d.port}: unreachable: ECONNREFUSED$`, "m"));
  const goneNagios = await runCli(["check", "--from", d.base, "--format", "nagios"]);
  assert.equal(goneNagios.code, 3);
  assert.match(goneNagios.stdout, /^PROCS UNKNOWN: daemon at .* unreachable: ECONNREFUSED/);
});

test("check --from fails when the daemon's last scan is older than three intervals", async () => {
  // A daemon whose timer stopped still answers with its last scan: a listener serving such a scan.
  const port = await freePort();
  const atMs = Date.now() - 40_000;
  const server = createServer((req, res) => {
    const format = new URL(req.url ?? "/", "http://x").searchParams.get("format") ?? "mon";
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(verdictsDoc({ atMs, intervalMs: 10_000, format })));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  try {
    const mon = await runCli(["check", "--from", `http://127.0.0.1:${port}`]);
    assert.equal(mon.code, 1);
    assert.match(mon.stdout, /^procwatch: daemon at http:\/\/127\.0\.0\.1:\d+: last scan is 4\ds old \(interval 10s\)$/m);
    const nagios = await runCli(["check", "--from", `http://127.0.0.1:${port}`, "--format", "nagios"]);
    assert.equal(nagios.code, 3);
    assert.match(nagios.stdout, /^PROCS UNKNOWN: .*last scan is 4\ds old/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("odd /proc entries are counted in the self metrics by kind, never logged per process", async () => {
  const root = tempProcRoot();
  try {
    makeProcTree(root, {
      100: { stat: statLine({ pid: 100, comm: "pwodd", starttime: 10 }), status: statusText({ pid: 100, name: "pwodd", uid: 0, gid: 0 }), cmdline: ["pwodd"], exe: link("/usr/sbin/pwodd") },
      101: { stat: "101 (broken", status: statusText({ pid: 101, name: "broken", uid: 0, gid: 0 }), cmdline: ["x"] },
      102: { stat: "102 (garbage) Q notnumbers", status: statusText({ pid: 102, name: "garbage", uid: 0, gid: 0 }), cmdline: ["y"] },
      103: {},
      uptime: "1000.00 100.00\n",
    });
    const d = await startDaemon(["--interval", "1s", "--proc-root", root, "pwodd:1-1"]);
    try {
      const m = await d.until("two scans", async () => {
        const text = await metrics(d);
        return (sample(text, "procwatch_scans_total") ?? 0) >= 2 ? text : undefined;
      });
      assert.equal(sample(m, "procwatch_rule_process_count", { procwatch_rule_name: "pwodd" }), 1);
      const parse = sample(m, "procwatch_scan_errors_total", { procwatch_error_type: "parse" }) ?? 0;
      const vanished = sample(m, "procwatch_scan_errors_total", { procwatch_error_type: "vanished" }) ?? 0;
      assert.ok(parse >= 2 * 2, `parse errors ${parse}, want 2 per scan:\n${m}`);
      assert.ok(vanished >= 2, `vanished ${vanished}, want 1 per scan:\n${m}`);
    } finally {
      await d.stop();
    }
    // started, SIGTERM: nothing per process, however many scans ran.
    assert.deepEqual(d.log.filter((l) => l !== "").map((l) => l.replace(/:.*/, "")), ["procwatch", "procwatch"], d.log.join("\n"));
  } finally {
    removeProcTree(root);
  }
});

test("a real CPU burner gets a per-process series while it runs away, and the series goes when it stops", async () => {
  const name = uniqueName("bu");
  const burner = await pool.start(name, { target: "/bin/sh", args: ["-c", "while :; do :; done"] });
  // A low limit (5% of one CPU): on a loaded shared machine a burner may get far less than a core.
  const d = await startDaemon(["--interval", "1s", "--cpu-max", "5", `${name}:1-,cpu=5-`]);
  try {
    const labels = { procwatch_process_pid: String(burner.pid), procwatch_process_executable_name: name };
    const m = await d.until("the burner's per-process series", async () => {
      const text = await metrics(d);
      return (sample(text, "procwatch_runaway_cpu_usage", labels) ?? 0) > 0 ? text : undefined;
    });
    assert.ok((sample(m, "procwatch_runaway_process_count") ?? 0) >= 1);
    // --cpu-max 5 and cpu=5- are ps/top percentages: 0.05 CPUs.
    assert.equal(sample(m, "procwatch_runaway_cpu_usage_limit"), 0.05);
    assert.equal(sample(m, "procwatch_rule_cpu_usage_limit", { procwatch_rule_name: `${name},cpu=5-`, procwatch_limit_type: "min" }), 0.05);
    // Busy-rule: the rule's CPU is the burner's, in the same unit as its limit.
    const ruleCpus = sample(m, "procwatch_rule_cpu_usage", { procwatch_rule_name: `${name},cpu=5-` }) ?? 0;
    assert.ok(ruleCpus > 0.05, `rule CPU ${ruleCpus} CPUs`);
    // Per-rule series never carry a PID.
    assert.ok(!/procwatch_rule_[a-z_]*\{[^}]*process_pid/.test(m));
    assert.ok(!/^process_/m.test(m), "no series borrows a semconv process.* name");

    await pool.kill(burner);
    await d.until("the per-process series gone and the busy rule failing", async () => {
      const text = await metrics(d);
      return sample(text, "procwatch_runaway_cpu_usage", labels) === undefined
        && sample(text, "procwatch_rule_status", { procwatch_rule_name: `${name},cpu=5-` }) === 2 ? true : undefined;
    });
  } finally {
    await d.stop();
  }
});
