import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { capOutput, formatMon, MON_OUTPUT_CAP } from "../../src/output/mon.js";
import { Field, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { countRules, parseRuleArgs } from "../../src/rules/list.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };

function mon(args: string[], processes: ProcessRecord[], detailLimit = 10) {
  const { rules, errors } = parseRuleArgs(args, accounts);
  assert.deepEqual(errors, []);
  const snapshot: Snapshot = { atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0 };
  return formatMon({ verdicts: evaluateRules(countRules(rules), snapshot, ctx) }, { names: accounts, detailLimit });
}

test("all rules hold: exit 0 and no output at all", () => {
  assert.deepEqual(mon(["sshd:1-", "telnetd:0-0"], [proc({ pid: 5, comm: "sshd" })]), { text: "", exitCode: 0 });
});

test("summary lists failing rules in argument order; details as ps.monitor prints them", () => {
  const r = mon(["tor:1-1", "sshd:1-", "cron:1-5", "telnetd:0-0"], [
    proc({ pid: 7, comm: "telnetd" }),
    proc({ pid: 8, comm: "cron", uids: ids(0) }),
  ]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.text, [
    "tor:0 sshd:0 telnetd:1",
    "tor:0 < 1 (1-1)",
    "sshd:0 < 1 (1-)",
    "telnetd:1 > 0 (0-0)",
    "  pid 7 name telnetd user root exe /usr/sbin/telnetd",
    "",
  ].join("\n"));
});

test("a qualified rule is named by its argument without the range; near misses say why", () => {
  const r = mon(["sshd:1-,user=root"], [proc({ pid: 9, comm: "sshd", uids: ids(65534, 0), exe: { path: "/tmp/x/sshd", deleted: false } })]);
  assert.equal(r.text, [
    "sshd,user=root:0",
    "sshd,user=root:0 < 1 (1-)",
    "  near miss: pid 9 name sshd user nobody (effective root) exe /tmp/x/sshd: user=root: real uid 65534, effective uid 0",
    "",
  ].join("\n"));
});

test("a hostile process name cannot forge a line or perfdata", () => {
  const evil = "x\nOK: fine|a=1";
  const r = mon(["y:0-0,args=.*"], [proc({ pid: 3, comm: "y", argv: ["y"], exe: { path: `/tmp/${evil}`, deleted: true } })]);
  const lines = r.text.split("\n");
  assert.equal(lines[0], "y,args=.*:1");
  assert.equal(lines[2], "  pid 3 name y user root exe /tmp/x%0AOK: fine%7Ca=1 (deleted)");
  assert.equal(lines.length, 4);
});

test("a rule label with spaces stays one summary token", () => {
  const r = mon(["a b:1-"], []);
  assert.equal(r.text.split("\n")[0], "a%20b:0");
});

test("details are capped per rule with '... and N more'", () => {
  const many = Array.from({ length: 25 }, (_, i) => proc({ pid: 100 + i, comm: "w" }));
  const lines = mon(["w:-3"], many, 5).text.split("\n");
  assert.equal(lines.length, 1 + 1 + 5 + 1 + 1);
  assert.equal(lines[7], "  ... and 20 more");
});

test("total output stays far below mon's 128 KiB environment limit", () => {
  const long = "x".repeat(2000);
  const out = capOutput(Array.from({ length: 1000 }, () => long), MON_OUTPUT_CAP);
  assert.ok(Buffer.byteLength(out) <= MON_OUTPUT_CAP);
  assert.match(out, /\n\.\.\. and \d+ more lines\n$/);
});

test("an exe-path spoof's near miss is escaped: a hostile path cannot forge a line", () => {
  const path = "/usr/bin/x\nOK: all|good\x1b[0m";
  const spoofed = proc({
    pid: 9, comm: "x", exe: { path, deleted: false }, readMask: Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile,
    exeFile: { running: { dev: 41, ino: 2 }, atPath: { dev: 65024, ino: 3 }, mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" },
  });
  const r = mon(["x:1-,exe=/usr/bin/x*"], [spoofed]);
  const esc = "/usr/bin/x%0AOK: all%7Cgood%1B[0m";
  assert.deepEqual(r.text.split("\n"), [
    "x,exe=/usr/bin/x*:0",
    "x,exe=/usr/bin/x*:0 < 1 (1-)",
    `  near miss: pid 9 name x user root exe ${esc}: exe=/usr/bin/x*: exe ${esc} is another file than ${esc} here (dev:inode 41:2, here 65024:3); mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
    "",
  ]);
});
