// Where the command line's own complaints go, and what --help offers: usage errors on stderr
// (stdout is mon's summary or a pipe), except in Nagios mode, where stdout is all Nagios keeps;
// each command's help lists only what that command accepts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

test("a commander usage error goes to stderr, exit 1, nothing on stdout", async () => {
  const r = await runCli(["check", "--no-such-flag", "sshd:1-"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});

test("in Nagios mode the same error is an UNKNOWN line on stdout, exit 3", async () => {
  const r = await runCli(["check", "--format", "nagios", "--no-such-flag", "sshd:1-"]);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^PROCS UNKNOWN: unknown option '--no-such-flag'/);
});

test("run --help does not offer --cpu-window, and run refuses it on stderr naming --interval", async () => {
  const help = await runCli(["run", "--help"]);
  assert.equal(help.code, 0);
  assert.doesNotMatch(help.stdout, /--cpu-window/);
  assert.match(help.stdout, /--cpu-max/);
  const r = await runCli(["run", "--cpu-window", "5s"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /--cpu-window: the daemon measures CPU between consecutive scans; set --interval instead/);
});

test("check --help still offers --cpu-window; explain --help speaks of no Nagios mode", async () => {
  assert.match((await runCli(["check", "--help"])).stdout, /--cpu-window <duration>/);
  const explain = await runCli(["explain", "--help"]);
  assert.equal(explain.code, 0);
  assert.doesNotMatch(explain.stdout, /nagios/i);
});
