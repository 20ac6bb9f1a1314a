// The domain= qualifier in both rule forms: the one-liner (argv, config strings) and the YAML
// mapping of a config file, with the same glob, label and errors as label=.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RuleError } from "../../src/rules/errors.js";
import { countRules } from "../../src/rules/list.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { configOf, problemsOf } from "../config/fixture.js";
import { fixtureAccounts } from "../helpers/accounts.js";

const accounts = fixtureAccounts();
const parse = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });

describe("domain= in a one-liner", () => {
  const cases: [string, string, string, string[], string[]][] = [
    // rule, label, text, domains that match, domains that do not
    ["sshd:1-,domain=sshd_t", "sshd,domain=sshd_t", "sshd_t", ["sshd_t"], ["sshd_tx", "xsshd_t", "system_u:system_r:sshd_t:s0"]],
    ["x:1-,domain=*_t", "x,domain=*_t", "*_t", ["sshd_t", "init_t"], ["unconfined"]],
    ["ntpd:1-1,domain=/usr/sbin/*", "ntpd,domain=/usr/sbin/*", "/usr/sbin/*", ["/usr/sbin/ntpd", "/usr/sbin/x/y"], ["/usr/bin/ntpd"]],
    ["c:0-0,domain=lxc-*//&docker-default", "c,domain=lxc-*//&docker-default", "lxc-*//&docker-default", ["lxc-container-default-cgns//&docker-default"], ["docker-default"]],
  ];
  for (const [arg, label, text, yes, no] of cases) {
    test(arg, () => {
      const rule = parse(arg);
      assert.equal(rule.label, label);
      const q = rule.qualifiers[0];
      assert.ok(q?.key === "domain" && q.text === text);
      for (const d of yes) assert.ok(q.pattern.test(d), d);
      for (const d of no) assert.ok(!q.pattern.test(d), d);
    });
  }

  const errors: [string, string][] = [
    ["x:1-,domain=", 'qualifier "domain" has an empty value'],
    ["x:1-,domain=a,domain=b", 'qualifier "domain" given twice'],
    ["x:1-,domain=[sshd", 'unclosed \'[\' in pattern "[sshd"'],
  ];
  for (const [arg, reason] of errors) {
    test(`${arg}: ${reason}`, () => assert.throws(() => parse(arg), (err: unknown) => err instanceof RuleError && err.reason === reason));
  }
});

describe("domain: in a config rule mapping", () => {
  test("the same rule as the one-liner", () => {
    const [mapped, line] = countRules(configOf("rules:\n  - { select: sshd, count: 1-, domain: sshd_t }\n  - \"ntpd:1-1,domain=/usr/sbin/ntpd\"\n").rules);
    assert.deepEqual([mapped?.text, mapped?.label, mapped?.qualifiers.map((q) => [q.key, q.text])], ["sshd:1-,domain=sshd_t", "sshd,domain=sshd_t", [["domain", "sshd_t"]]]);
    assert.deepEqual(line?.qualifiers.map((q) => [q.key, q.text]), [["domain", "/usr/sbin/ntpd"]]);
  });

  test("a bad pattern is located at its value", () => {
    assert.deepEqual(problemsOf("rules:\n  - { select: sshd, count: 1-, domain: \"[x\" }\n"), ['pw.yaml:2:40: "[x": unclosed \'[\' in pattern "[x"']);
  });
});
