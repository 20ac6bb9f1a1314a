// The shipped Alertmanager example, checked by the real amtool: the file is valid, and each alert
// procwatch raises reaches the receiver the comments promise (routing by host, then severity).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCommand } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { alertRules, INSTALL, PATHS, TOOLS } from "./shipped.js";

const TIMEOUT_MS = 20_000;
const tmp = mkdtempSync(join(tmpdir(), "pw-amtool-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("amtool check-config alertmanager.yml", async (t) => {
  if (!haveTools(t, [TOOLS.amtool], INSTALL.alertmanager)) return;
  const r = await runCommand(TOOLS.amtool, ["check-config", PATHS.alertmanager], { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /SUCCESS/);
});

test("amtool rejects a broken Alertmanager config (the check is real)", async (t) => {
  if (!haveTools(t, [TOOLS.amtool], INSTALL.alertmanager)) return;
  const broken = join(tmp, "broken.yml");
  writeFileSync(broken, readFileSync(PATHS.alertmanager, "utf8").replace("receiver: ops-pager", "receiver: nope"));
  const r = await runCommand(TOOLS.amtool, ["check-config", broken], { timeoutMs: TIMEOUT_MS, mergeStderr: true });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /undefined receiver "nope"/);
});

// [labels of an alert as procwatch's rules produce it, the receiver it must reach]
const routes: [Record<string, string>, string][] = [
  [{ alertname: "ProcwatchRuleFailing", severity: "critical", host_name: "mail.example.org" }, "mail-team-pager"],
  [{ alertname: "ProcwatchDeletedExe", severity: "warning", host_name: "mail2.example.org" }, "mail-team"],
  [{ alertname: "ProcwatchDown", severity: "critical", host_name: "web.example.org" }, "ops-pager"],
  [{ alertname: "ProcwatchCpuRunaway", severity: "warning", host_name: "web.example.org" }, "ops-mail"],
  // No host_name (a target that never reported target_info): routed by severity alone.
  [{ alertname: "ProcwatchDown", severity: "critical", instance: "new.example.org:9477" }, "ops-pager"],
  // A mail host's name that only looks similar does not go to the mail team.
  [{ alertname: "ProcwatchRuleFailing", severity: "critical", host_name: "mail.example.org.evil" }, "ops-pager"],
];

for (const [labels, receiver] of routes) {
  const text = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  test(`amtool config routes test: ${text.join(" ")} → ${receiver}`, async (t) => {
    if (!haveTools(t, [TOOLS.amtool], INSTALL.alertmanager)) return;
    const r = await runCommand(TOOLS.amtool, ["config", "routes", "test", `--config.file=${PATHS.alertmanager}`, `--verify.receivers=${receiver}`, ...text],
      { timeoutMs: TIMEOUT_MS });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.trim(), receiver);
  });
}

test("every alert's severity has a route", () => {
  const severities = new Set(alertRules().map((r) => r.labels?.severity));
  const text = readFileSync(PATHS.alertmanager, "utf8");
  for (const severity of severities) assert.match(text, new RegExp(`severity="${severity}"`), `no route for severity ${severity}`);
});
