// label= and domain= on records with SELinux, AppArmor, Smack and stacked labels, and with no
// security module active (undecided, "not applicable", never a guess). Table tests.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { matchRule, type Outcome } from "../../src/evaluate/match.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { formatMon } from "../../src/output/mon.js";
import { Field, type ProcessRecord, type SecurityLabel, type Snapshot } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const snap = (processes: ProcessRecord[]): Snapshot => ({
  atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0,
});

const SSHD_T: SecurityLabel = { module: "selinux", raw: "system_u:system_r:sshd_t:s0-s0:c0.c1023", domain: "sshd_t" };
const NTPD: SecurityLabel = { module: "apparmor", raw: "/usr/sbin/ntpd (enforce)", domain: "/usr/sbin/ntpd" };
const UNCONFINED: SecurityLabel = { module: "apparmor", raw: "unconfined", domain: "unconfined" };
const SMACK: SecurityLabel = { module: "smack", raw: "System" };
const x = (labels: readonly SecurityLabel[] | undefined, why?: string): ProcessRecord =>
  proc({ pid: 30, comm: "x", labels, ...(why === undefined ? {} : { unknownMask: Field.label, unknownWhy: { label: why } }) });

describe("label= and domain=", () => {
  const cases: [string, ProcessRecord, Outcome][] = [
    ["x:1-,domain=sshd_t", x([SSHD_T]), { kind: "yes" }],
    ["x:1-,domain=*d_t", x([SSHD_T]), { kind: "yes" }],
    ["x:1-,domain=crond_t", x([SSHD_T]), { kind: "near", reason: "domain=crond_t: domain is sshd_t" }],
    ["x:1-,domain=/usr/sbin/*", x([NTPD]), { kind: "yes" }],
    ["x:1-,domain=/usr/sbin/ntpd (enforce)", x([NTPD]), { kind: "near", reason: "domain=/usr/sbin/ntpd (enforce): domain is /usr/sbin/ntpd" }],
    ["x:1-,domain=unconfined", x([UNCONFINED]), { kind: "yes" }],
    ["x:1-,label=unconfined", x([UNCONFINED]), { kind: "yes" }],
    ["x:1-,label=*(enforce)", x([NTPD]), { kind: "yes" }],
    // stacked: any module's label may match
    ["x:1-,domain=/usr/sbin/ntpd", x([SMACK, NTPD]), { kind: "yes" }],
    ["x:1-,label=System", x([SMACK, NTPD]), { kind: "yes" }],
    ["x:1-,label=Web", x([SMACK, NTPD]), { kind: "near", reason: "label=Web: label is System (smack), /usr/sbin/ntpd (enforce) (apparmor)" }],
    // Smack has no domains: domain= does not apply (undecided), which is not "another domain"
    ["x:1-,domain=System", x([SMACK]), { kind: "unknown", why: "domain= not applicable (smack labels have no domain; label is System)" }],
    ["x:1-,label=System", x([SMACK]), { kind: "yes" }],
    // an empty read: no label at all
    ["x:1-,domain=sshd_t", x([]), { kind: "near", reason: "domain=sshd_t: no label" }],
    ["x:1-,label=*", x([]), { kind: "near", reason: "label=*: label is none" }],
    // no security module active (EINVAL; ENOENT without attr/ files): not applicable
    ["x:1-,domain=sshd_t", x(undefined, "EINVAL"), { kind: "unknown", why: "domain= not applicable (no security module active)" }],
    ["x:1-,label=*:sshd_t:*", x(undefined, "EINVAL"), { kind: "unknown", why: "label= not applicable (no security module active)" }],
    ["x:1-,domain=sshd_t", x(undefined, "ENOENT"), { kind: "unknown", why: "domain= not applicable (no security module active)" }],
    // refused: unknown with the errno
    ["x:1-,domain=sshd_t", x(undefined, "EACCES"), { kind: "unknown", why: "label unreadable (EACCES)" }],
    // a definite mismatch on another qualifier still decides
    ["x:1-,domain=sshd_t,user=nobody", x(undefined, "EINVAL"), { kind: "near", reason: "user=nobody: real uid 0, effective uid 0" }],
  ];
  for (const [arg, rec, want] of cases) test(`${arg} vs ${JSON.stringify(rec.labels?.map((l) => l.raw) ?? rec.unknownWhy)}`, () => assert.deepEqual(matchRule(rule(arg), rec, ctx), want));

  test("domain= needs the label field, like label=", () => {
    assert.deepEqual(matchRule(rule("x:1-,domain=sshd_t"), proc({ pid: 31, comm: "x", readMask: Field.status }), ctx), { kind: "need", fields: Field.label });
  });
});

describe("no security module: label= and domain= rules are unknown, saying why", () => {
  const noLsm = [x(undefined, "EINVAL"), proc({ pid: 32, comm: "x", unknownMask: Field.label, unknownWhy: { label: "EINVAL" } })];
  for (const arg of ["x:1-,domain=sshd_t", "x:0-0,domain=sshd_t", "x:1-,label=*:sshd_t:*"]) {
    test(`${arg}: neither ok nor fail`, () => {
      const [v] = evaluateRules([rule(arg)], snap(noLsm), ctx);
      assert.deepEqual([v?.state, v?.count, v?.undecided], ["unknown", 0, 2]);
    });
  }

  test("mon: the summary says unknown, the detail says not applicable", () => {
    const verdicts = evaluateRules([rule("x:1-,domain=sshd_t")], snap(noLsm), ctx);
    const out = formatMon({ verdicts }, { names: accounts, detailLimit: 10 });
    assert.equal(out.exitCode, 1);
    assert.deepEqual(out.text.split("\n"), [
      "x,domain=sshd_t:unknown",
      "x,domain=sshd_t:0 unknown: 2 more processes could not be checked (1-)",
      "  undecided: pid 30 name x user root exe /usr/sbin/x: domain= not applicable (no security module active)",
      "  undecided: pid 32 name x user root exe /usr/sbin/x: domain= not applicable (no security module active)",
      "",
    ]);
  });

  test("no process selected: nothing is undecided, the count decides", () => {
    const [v] = evaluateRules([rule("y:0-0,domain=sshd_t")], snap(noLsm), ctx);
    assert.deepEqual([v?.state, v?.undecided], ["ok", 0]);
  });
});
