import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RuleError } from "../../src/rules/errors.js";
import { formatProblem } from "../../src/output/problems.js";
import { parseRuleArgs } from "../../src/rules/list.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";

const accounts = fixtureAccounts();
const source = { file: "argv", line: 1, column: 1 };
const parse = (arg: string) => parseOneLiner(arg, { accounts, source });

describe("ps.monitor arguments keep their meaning", () => {
  const cases: [string, string, { min?: number; max?: number }][] = [
    ["sshd:1-", "sshd", { min: 1 }],
    ["cron:1-5", "cron", { min: 1, max: 5 }],
    ["foo:-3", "foo", { max: 3 }],
    ["tor:1-1", "tor", { min: 1, max: 1 }],
    ["dbus-daemon:1-", "dbus-daemon", { min: 1 }],
    ["telnetd:0-0", "telnetd", { min: 0, max: 0 }],
    ["kworker/0:1:1-", "kworker/0:1", { min: 1 }],
    ["systemd-journald:1-1", "systemd-journald", { min: 1, max: 1 }],
  ];
  for (const [arg, name, range] of cases) {
    test(arg, () => {
      const rule = parse(arg);
      assert.deepEqual(rule.selector, { kind: "name", name });
      assert.deepEqual(rule.range, range);
      assert.equal(rule.label, name);
      assert.deepEqual(rule.qualifiers, []);
    });
  }
});

describe("qualifiers", () => {
  const cases: [string, string, unknown[]][] = [
    ["sshd:1-,user=root", "sshd,user=root", [{ key: "user", text: "root", id: 0 }]],
    ["tor:1-1,user=debian-tor,group=debian-tor", "tor,user=debian-tor,group=debian-tor", [{ key: "user", text: "debian-tor", id: 107 }, { key: "group", text: "debian-tor", id: 113 }]],
    ["x:1-,uid=65534,gid=65534", "x,uid=65534,gid=65534", [{ key: "uid", text: "65534", id: 65534 }, { key: "gid", text: "65534", id: 65534 }]],
    ["x:1-,user=1000", "x,user=1000", [{ key: "user", text: "1000", id: 1000 }]],
  ];
  for (const [arg, label, qualifiers] of cases) {
    test(arg, () => {
      const rule = parse(arg);
      assert.equal(rule.label, label);
      assert.deepEqual(rule.qualifiers, qualifiers);
    });
  }

  test("values may contain ':' and ',' (args regex with a counted repeat)", () => {
    const rule = parse("x:1-,args=--listen=127.0.0.1:8080 a{1,3}$,user=root");
    assert.equal(rule.qualifiers.length, 2);
    const args = rule.qualifiers[0];
    assert.equal(args?.key, "args");
    assert.equal(args?.text, "--listen=127.0.0.1:8080 a{1,3}$");
    assert.equal(rule.qualifiers[1]?.key, "user");
  });

  test("exe= and path selectors are globs on whole paths; * stays inside one segment", () => {
    const exe = parse("master:1-,exe=/usr/lib/postfix/sbin/*").qualifiers[0];
    assert.ok(exe?.key === "exe");
    assert.ok(exe.pattern.test("/usr/lib/postfix/sbin/master"));
    assert.ok(!exe.pattern.test("/usr/lib/postfix/sbin/x/master"));
    const path = parse("/usr/lib/postfix/sbin/master:1-1").selector;
    assert.ok(path.kind === "path");
    assert.ok(path.pattern.test("/usr/lib/postfix/sbin/master"));
    assert.ok(!path.pattern.test("/usr/lib/postfix/sbin/master2"));
  });

  test("label= globs cross ':'", () => {
    const q = parse("init:1-1,label=*:init_t:*").qualifiers[0];
    assert.ok(q?.key === "label");
    assert.ok(q.pattern.test("system_u:system_r:init_t:s0"));
    assert.ok(!q.pattern.test("system_u:system_r:initrc_t:s0"));
  });

  test("args= runs in linear time: a catastrophic pattern over a long argv returns at once", () => {
    const q = parse("x:1-,args=(a+)+$").qualifiers[0];
    assert.ok(q?.key === "args");
    assert.equal(q.pattern.test(`${"a".repeat(5000)}b`), false);
  });
});

describe("malformed arguments name the problem", () => {
  const cases: [string, string][] = [
    ["foo:5-2", "empty range: minimum 5 is above maximum 2"],
    ["foo:1-0", "empty range: minimum 1 is above maximum 0 (0 is a real bound here; write 1- for no maximum)"],
    ["foo:a-", 'minimum "a" is not a whole number'],
    ["foo:1-x", 'maximum "x" is not a whole number'],
    [":1-2", "no process name before ':'"],
    ["foo:1-2junk", 'unexpected "junk" after the range'],
    ["foo:-", "the range needs at least one bound (1-, -3, 1-5)"],
    ["foo:5", `expected MIN-MAX after ':', e.g. 1-, 1-5, -3 or 0-0; got "5"`],
    ["foo:+5-", 'minimum "+5" is not a whole number'],
    ["foo:1e3-", 'minimum "1e3" is not a whole number'],
    ["foo:0x10-", 'minimum "0x10" is not a whole number'],
    ["foo:5.0-", 'minimum "5.0" is not a whole number'],
    ["foo:99999999-", "minimum 99999999 is above 4194304, more processes than Linux can run"],
    ["localhost", "no ':MIN-MAX' range (if mon appended this as a hostgroup member, end the monitor line with ';;')"],
    ["foo:1-,color=red", 'unknown qualifier "color" (known: user, group, uid, gid, exe, args, label, domain, listen, unit, cgroup, container, cpu, warn, rss, fds, threads, age, restarts)'],
    ["foo:1-,user=nosuchuser-xyz", 'unknown user "nosuchuser-xyz"'],
    ["foo:1-,group=nosuchgroup-xyz", 'unknown group "nosuchgroup-xyz"'],
    ["foo:1-,uid=root", 'uid= takes a number, got "root" (use user= for names)'],
    ["foo:1-,user=root,user=daemon", 'qualifier "user" given twice'],
    ["foo:1-,user=", 'qualifier "user" has an empty value'],
    ["foo:1-,exe=sbin/foo", 'exe= needs an absolute path or glob, got "sbin/foo"'],
    ["foo:1-,args=(", "args=: invalid regular expression (/(/l: Unterminated group)"],
    ["ss*d:1-", "glob characters (*?[) are not allowed in a name; use a /path selector or exe="],
    ["foo:1-,label=[abc", 'unclosed \'[\' in pattern "[abc"'],
  ];
  for (const [arg, reason] of cases) {
    test(arg, () => {
      assert.throws(() => parse(arg), (err: unknown) => {
        assert.ok(err instanceof RuleError);
        assert.equal(err.token, arg);
        assert.equal(err.reason, reason);
        assert.equal(err.message, `argument 1: "${arg}": ${reason}`);
        return true;
      });
    });
  }
});

describe("a pattern the linear-time engine refuses names the real reason", () => {
  const backtracking = "it needs backtracking, which is refused so that no pattern can stall a scan";
  const beyond = (token: string, times: number): string =>
    `args=: counted repetition "${token}" (${times} repetitions) is beyond the linear-time engine's limit of 16 (nested counts multiply; + counts as 2): use shorter counts one after another, or + or *`;
  const cases: [string, string][] = [
    ["a{17}", beyond("a{17}", 17)],
    ["a{17,}", beyond("a{17,}", 17)],
    ["a{1,17}", beyond("a{1,17}", 17)],
    ["--port=[0-9]{0,100}", beyond("[0-9]{0,100}", 100)],
    ["(a{4}){5}", beyond("(a{4}){5}", 20)],
    ["(x+){9}", beyond("(x+){9}", 18)],
    ["((((a+)+)+)+)+", beyond("((((a+)+)+)+)+", 32)],
    ["(a)\\1", `args=: regular expression has a backreference "\\1": ${backtracking}`],
    ["(?<q>['\"]).*\\k<q>", `args=: regular expression has a backreference "\\k<q>": ${backtracking}`],
    ["(?=x)y", `args=: regular expression has a lookaround "(?=...)": ${backtracking}`],
    ["(?!-d)--x", `args=: regular expression has a lookaround "(?!...)": ${backtracking}`],
    ["(?<=a)b", `args=: regular expression has a lookaround "(?<=...)": ${backtracking}`],
    ["(?<!a)b", `args=: regular expression has a lookaround "(?<!...)": ${backtracking}`],
  ];
  for (const [pattern, reason] of cases) {
    test(pattern, () => {
      assert.throws(() => parse(`foo:1-,args=${pattern}`), (err: unknown) => {
        assert.ok(err instanceof RuleError);
        assert.equal(err.reason, reason);
        return true;
      });
    });
  }
  const accepted = ["a{16}", "a{8}a{9}", "(ab){8}", "(x+){8}", "[{]17}", "\\{17}", "a{17", "((a+)+)+"];
  for (const pattern of accepted) test(`${pattern} is linear and accepted`, () => assert.equal(parse(`foo:1-,args=${pattern}`).qualifiers[0]?.key, "args"));
});

describe("a list of rules", () => {
  test("reports every error with its position, not just the first", () => {
    const { rules, errors } = parseRuleArgs(["sshd:1-", "x:5-2", "cron:1-5", "y"], accounts);
    assert.deepEqual(rules.map((r) => r.label), ["sshd", "cron"]);
    assert.deepEqual(errors.map((e) => [e.code, e.file, e.line, e.token]), [["rule", "argv", 2, "x:5-2"], ["rule", "argv", 4, "y"]]);
  });

  test("a duplicate rule is an error (ps.monitor silently let the last one win)", () => {
    const { errors } = parseRuleArgs(["sshd:1-", "cron:1-", "sshd:2-"], accounts);
    assert.equal(errors.length, 1);
    assert.equal(errors[0] && formatProblem(errors[0]), 'argument 3: "sshd:2-": duplicate of argument 1 ("sshd:1-")');
  });

  test("the same name with different qualifiers is two rules", () => {
    const { rules, errors } = parseRuleArgs(["sshd:1-,user=root", "sshd:-0,user=nobody"], accounts);
    assert.equal(errors.length, 0);
    assert.equal(rules.length, 2);
  });
});
