// Nothing to check is a usage error, in every format, once the command line (and for run and
// validate, the configuration) is merged: a mon line `procwatch.monitor ;;` must not be green
// forever. A probe, --cpu-max or --security alone is something to check.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { startDaemon } from "../helpers/daemon.js";

const dir = mkdtempSync(join(tmpdir(), "procwatch-norules-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const REASON = "no rules given: nothing to check (give RULE..., --cpu-max PERCENT or --security LIST)";

describe("check", () => {
  test("no rules: mon exit 1, json ok:false, Nagios UNKNOWN", async () => {
    const mon = await runCli(["check"]);
    assert.deepEqual([mon.code, mon.stdout], [1, `procwatch: ${REASON}\n`]);
    const json = await runCli(["check", "--format", "json"]);
    assert.deepEqual([json.code, JSON.parse(json.stdout)], [1, { ok: false, error: REASON }]);
    const nagios = await runCli(["check", "--format", "nagios"]);
    assert.deepEqual([nagios.code, nagios.stdout], [3, `PROCS UNKNOWN: ${REASON}\n`]);
  });
  for (const args of [["--security", "gid0-not-uid0"], ["--cpu-max", "99999", "--cpu-lifetime"], ["tcp://127.0.0.1:1,timeout=200ms"]]) {
    test(`${args.join(" ")} alone is something to check`, async () => {
      const r = await runCli(["check", "--format", "nagios", ...args]);
      assert.doesNotMatch(r.stdout, /no rules given/);
      assert.match(r.stdout, /^PROCS (OK|CRITICAL|WARNING)/);
    });
  }
});

describe("run and validate", () => {
  const empty = join(dir, "empty-rules.yaml");
  writeFileSync(empty, "interval: 10s\nrules: []\n");
  const problem = `${empty}: nothing to check: no rules, no cpu: max_percent and no security: checks; add rules (in the file or on the command line), a cpu: or a security: section`;
  test("validate: a file with no rules, no cpu and no security is refused", async () => {
    const r = await runCli(["validate", "--config", empty]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, "", `${problem}\n`]);
  });
  test("validate: the same file with a rule on the command line is fine", async () => {
    const r = await runCli(["validate", "--config", empty, "pwnorule:0-"]);
    assert.equal(r.code, 0, r.stdout);
  });
  test("validate: a security section alone is something to check", async () => {
    const path = join(dir, "security-only.yaml");
    writeFileSync(path, "security:\n  checks: [deleted-exe]\n");
    assert.equal((await runCli(["validate", "--config", path])).code, 0);
  });
  test("run: exit 1 with one log line", async () => {
    const d = await startDaemon(["--config", empty], { waitStarted: false });
    assert.equal((await d.exited()).code, 1);
    assert.deepEqual(d.log.filter((l) => l !== ""), [`procwatch: ${problem}`]);
  });
  test("run without --config: the built-in defaults check security and runaways", async () => {
    const d = await startDaemon([]);
    assert.equal((await d.stop()).code, 0);
  });
});
