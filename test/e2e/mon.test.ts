// A real mon (Debian's mon 1.3.6) running procwatch as a monitor: failure while the watched
// processes are absent, recovery once they run, as seen through moncmd, monshow and the alerts
// mon sent. Also the examples/ps.monitor shim under mon, found through PATH, on the same rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { MON, MON_INSTALL, type MonService, MonServer, MONCMD, monIds, MONSHOW, PS_MONITOR_SHIM } from "../helpers/mon.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

test("mon runs procwatch: failure with summary and detail, then recovery with an upalert", { timeout: 60_000 }, async (t) => {
  if (!haveTools(t, [MON, MONCMD, MONSHOW], MON_INSTALL)) return;
  const [a, b, never] = [uniqueName("ma"), uniqueName("mb"), uniqueName("mn")];
  const args = [`${a}:1-1`, `${b}:1-`, `${never}:0-0`];
  const summary = `${a}:0 ${b}:0`;
  const output = `${summary}\n${a}:0 < 1 (1-1)\n${b}:0 < 1 (1-)\n`;
  // alertevery 1h re-alerts only when the summary changes: with a deterministic summary, one
  // alert per failure episode (ps.monitor's random order re-alerted on every run).
  const services: MonService[] = [
    { group: "pw", service: "procwatch", monitor: "procwatch.monitor", args, periodLines: ["alertevery 1h"] },
    // the drop-in: an unchanged ps.monitor line, with the shim installed as ps.monitor and
    // procwatch found through mon's PATH
    { group: "pw", service: "psmonitor", monitor: "ps.monitor", args, periodLines: ["alertevery 1h"] },
  ];
  // as Debian runs it (User=mon) when we can; its monitors then cannot read root's exe links
  const user = process.geteuid?.() === 0 ? monIds() : undefined;
  const mon = await MonServer.start({ services, monitors: { "ps.monitor": readFileSync(PS_MONITOR_SHIM, "latin1") }, ...(user === undefined ? {} : { user }) });
  try {
    const failingRuns = (s: MonService) => mon.runs(s.group, s.service).filter((code) => code === 1).length;
    const alertsOf = (s: MonService, type: string) => mon.alerts().filter((x) => x.env.MON_SERVICE === s.service && x.env.MON_ALERTTYPE === type);

    // 1. Nothing runs: at least three failing runs each, so alertevery has something to suppress.
    for (const s of services) {
      await mon.waitFor(`3 failing runs and a failure alert for ${s.service}`, () => (failingRuns(s) >= 3 && alertsOf(s, "failure").length > 0 ? true : undefined), 20_000);
    }
    for (const s of services) {
      const status = await mon.opstatus(s.group, s.service);
      assert.deepEqual(
        [status.get("opstatus"), status.get("exitval"), status.get("last_summary"), status.get("last_detail"), status.get("alerts_sent")],
        ["0", "1", summary, output.slice(summary.length + 1), "1"],
        s.service,
      );
    }
    const table = await mon.monshow("--showall", "--full");
    for (const s of services) assert.match(table, new RegExp(`^\\S?\\s+${s.group}\\s+${s.service}\\s+FAIL\\s.*${summary}\\s*$`, "m"), table);
    const detail = await mon.monshow("--detail", "pw,procwatch");
    assert.ok(detail.includes(`summary\n-------\n    ${summary}\n`), detail);
    assert.ok(detail.includes(`-----DETAIL-----\n${output.slice(summary.length + 1)}\n-----DETAIL-----`), detail);

    // 2. Start the processes: success, and one upalert carrying the last failing output.
    await pool.start(a);
    await pool.start(b);
    for (const s of services) {
      await mon.waitFor(`a successful run and an upalert for ${s.service}`, () => (mon.runs(s.group, s.service).at(-1) === 0 && alertsOf(s, "up").length > 0 ? true : undefined), 15_000);
    }
    await mon.quiesce(services);

    for (const s of services) {
      const status = await mon.opstatus(s.group, s.service);
      assert.deepEqual([status.get("opstatus"), status.get("exitval"), status.get("last_summary")], ["1", "0", ""], s.service);
      const failures = alertsOf(s, "failure");
      assert.equal(failures.length, 1, `alertevery: one failure alert for ${failingRuns(s)} failing runs of ${s.service}`);
      const [down] = failures;
      assert.deepEqual(down?.argv.slice(0, 6), ["-s", s.service, "-g", s.group, "-h", "localhost"]);
      assert.equal(down?.argv.at(-1), mon.alertFile);
      assert.deepEqual([down?.stdin, down?.env.MON_LAST_SUMMARY, down?.env.MON_RETVAL, down?.env.MON_OPSTATUS], [output, summary, "1", "0"]);
      const ups = alertsOf(s, "up");
      assert.equal(ups.length, 1);
      const [up] = ups;
      assert.ok(up?.argv.includes("-u"), JSON.stringify(up?.argv));
      // an upalert gets the last failing output and summary, not the (empty) successful one
      assert.deepEqual([up?.stdin, up?.env.MON_LAST_SUMMARY, up?.env.MON_RETVAL, up?.env.MON_OPSTATUS], [output, summary, "0", "1"]);
    }
    const recovered = await mon.monshow("--showall", "--full");
    for (const s of services) assert.match(recovered, new RegExp(`^\\S?\\s+${s.group}\\s+${s.service}\\s+-\\s`, "m"), recovered);
  } catch (e) {
    process.stderr.write(`\nmon debug log (tail):\n${mon.debugLog.slice(-4000)}\n`);
    throw e;
  } finally {
    await mon.stop();
    mon.cleanup();
  }
});

test("examples/mon.cf: every monitor line ends with ';;' and procwatch accepts its arguments", async () => {
  const cf = readFileSync(fileURLToPath(new URL("../../../examples/mon.cf", import.meta.url)), "utf8");
  const lines = cf.split("\n").filter((l) => /^\s*monitor\s/.test(l));
  assert.ok(lines.length >= 2, "the example has monitor lines");
  for (const line of lines) {
    assert.match(line, /\s;;$/, line);
    // quotewords, as far as the example needs it: "double-quoted" or bare words
    const words = [...line.replace(/\s;;$/, "").matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? "");
    const [, monitor, ...args] = words;
    assert.match(monitor ?? "", /^procwatch(-root)?\.monitor$/);
    // exit 0 or 1 depends on this machine's daemons; a bad rule or flag would say so on line 1.
    // The flags are checked as written first (a --recheck too long for --timeout is refused
    // before any scan), then the rules with a short --recheck, to keep the test quick.
    const flags = args.filter((a, i) => a.startsWith("-") || args[i - 1]?.startsWith("-"));
    const usage = await runCli(["check", ...flags, "--proc-root", "/nonexistent"]);
    assert.doesNotMatch(usage.stdout, /^(error:|procwatch: --)/, `${line}\n${usage.stdout}`);
    const r = await runCli(["check", ...args.map((a, i) => (args[i - 1] === "--recheck" ? "200ms" : a))]);
    assert.equal(r.stderr, "");
    assert.doesNotMatch(r.stdout, /^(Can't parse|error:|procwatch:)/, `${line}\n${r.stdout}`);
  }
});
