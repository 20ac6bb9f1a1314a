// The shipped deployment examples: the hardened systemd unit (systemd-analyze verify and its
// offline security score) and the mail server's mon.cf (reads the daemon its procwatch.yaml configures).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCommand } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { INSTALL, PATHS, readYaml, TOOLS } from "./shipped.js";

const TIMEOUT_MS = 20_000;
const tmp = mkdtempSync(join(tmpdir(), "pw-examples-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The unit with its procwatch path pointed at a stub, since verify insists the binary exists. */
function unitForVerify(text: string, name: string): string {
  const stub = join(tmp, "procwatch");
  writeFileSync(stub, "#!/bin/sh\nexit 0\n");
  chmodSync(stub, 0o755);
  const unit = join(tmp, name);
  writeFileSync(unit, text.replaceAll("/usr/bin/procwatch", stub));
  return unit;
}

test("systemd-analyze verify procwatch.service: no warnings", async (t) => {
  if (!haveTools(t, [TOOLS.systemdAnalyze], INSTALL.systemd)) return;
  const unit = unitForVerify(readFileSync(PATHS.systemdUnit, "utf8"), "procwatch.service");
  const r = await runCommand(TOOLS.systemdAnalyze, ["verify", unit], { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  // verify exits 0 even for unknown keys or bad values ("..., ignoring"): any output is a finding.
  assert.equal(r.code, 0, r.stdout);
  assert.equal(r.stdout, "");
});

test("systemd-analyze verify reports a misspelt directive (the check is real)", async (t) => {
  if (!haveTools(t, [TOOLS.systemdAnalyze], INSTALL.systemd)) return;
  const unit = unitForVerify(readFileSync(PATHS.systemdUnit, "utf8").replace("ProtectHome=yes", "ProtectHomes=yes"), "misspelt.service");
  const r = await runCommand(TOOLS.systemdAnalyze, ["verify", unit], { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.match(r.stdout, /Unknown key 'ProtectHomes'/);
});

test("systemd-analyze security rates the unit's exposure 3.0 or better", async (t) => {
  if (!haveTools(t, [TOOLS.systemdAnalyze], INSTALL.systemd)) return;
  const unit = unitForVerify(readFileSync(PATHS.systemdUnit, "utf8"), "procwatch.service");
  // --threshold is on the 0-100 scale of the printed 0.0-10.0 exposure.
  const r = await runCommand(TOOLS.systemdAnalyze, ["security", "--offline=true", "--threshold=30", "--no-pager", unit],
    { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /Overall exposure level for procwatch\.service: [0-2]\.\d|Overall exposure level for procwatch\.service: 3\.0/);
});

test("the unit runs procwatch unprivileged with exactly CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, their misuses filtered", () => {
  const directives = new Map<string, string[]>();
  for (const line of readFileSync(PATHS.systemdUnit, "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m !== null) directives.set(m[1] as string, [...(directives.get(m[1] as string) ?? []), m[2] as string]);
  }
  const one = (key: string): string | undefined => directives.get(key)?.join(" ");
  assert.equal(one("DynamicUser"), "yes");
  assert.equal(directives.get("User"), undefined);
  assert.equal(one("CapabilityBoundingSet"), "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH");
  assert.equal(one("AmbientCapabilities"), "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH");
  const hidden = (directives.get("InaccessiblePaths") ?? []).join(" ");
  for (const secret of ["-/etc/shadow", "-/etc/gshadow", "-/etc/ssh", "-/etc/sudoers"]) assert.ok(hidden.split(" ").includes(secret), `${secret} not inaccessible`);
  assert.equal(one("NoNewPrivileges"), "yes");
  const denied = (directives.get("SystemCallFilter") ?? []).filter((f) => f.startsWith("~")).join(" ");
  for (const call of ["@debug", "process_vm_readv", "process_vm_writev", "pidfd_getfd"]) assert.ok(denied.includes(call), `${call} not denied`);
  assert.match(one("ExecStart") ?? "", /procwatch run --config \/etc\/procwatch\/procwatch\.yaml$/);
});

// The mail example's rules are loaded by the daemon's own loader in test/config/load.test.ts.
const mail = readYaml(PATHS.mailConfig) as Record<string, unknown> & { export: Record<string, Record<string, unknown>> };

test("mail-server/mon.cf reads the daemon that procwatch.yaml configures", () => {
  const monitors = readFileSync(PATHS.mailMon, "utf8").split("\n").filter((l) => /^\s*monitor\s/.test(l));
  assert.equal(monitors.length, 1);
  const line = monitors[0] as string;
  assert.match(line, /;;\s*$/, "mon appends hostgroup members without ';;'");
  assert.match(line, new RegExp(`--from http://${String(mail.export.prometheus?.listen).replace(/\./g, "\\.")}( |$)`));
  assert.equal(mail.export.prometheus?.enabled, true);
});
