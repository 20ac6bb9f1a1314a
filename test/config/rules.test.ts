// The rules: list. A mapping builds the same Rule as the equivalent one-liner; errors of either
// form land on the rule string or on the offending key's value.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { countRules } from "../../src/rules/list.js";
import type { CountRule } from "../../src/rules/types.js";
import { accounts, configOf, problemsOf } from "./fixture.js";

const rulesOf = (yaml: string): readonly CountRule[] => countRules(configOf(`rules:\n${yaml}`).rules);
const withoutSource = (r: CountRule): Omit<CountRule, "source"> => {
  const { source: _source, ...rest } = r;
  return rest;
};

describe("a mapping means what the equivalent one-liner means", () => {
  const cases: [string, string][] = [
    ["sshd:1-,user=root", "{ select: sshd, count: 1-, user: root }"],
    ["cron:1-5", "{ select: cron, count: 1-5 }"],
    ["foo:-3", "{ select: foo, count: -3 }"],
    ["telnetd:0-0", "{ select: telnetd, count: 0-0 }"],
    ["/usr/lib/postfix/sbin/master:1-1,user=root", "{ select: /usr/lib/postfix/sbin/master, count: 1-1, user: root }"],
    ["tor:1-1,user=debian-tor,group=debian-tor,exe=/usr/bin/tor", "{ select: tor, count: 1-1, user: debian-tor, group: debian-tor, exe: /usr/bin/tor }"],
    ["x:1-,uid=65534,gid=65534", "{ select: x, count: 1-, uid: 65534, gid: 65534 }"],
    ["init:1-1,label=*:init_t:*", "{ select: init, count: 1-1, label: \"*:init_t:*\" }"],
    ["x:1-,args=--listen=127.0.0.1:8080 a{1,3}$", "{ select: x, count: 1-, args: \"--listen=127.0.0.1:8080 a{1,3}$\" }"],
    ["cron:1-5,warn=2-4", "{ select: cron, count: 1-5, warn: 2-4 }"],
    ["boinc:1-,cpu=50-", "{ select: boinc, count: 1-, cpu: 50- }"],
    ["named:1-1,cpu=-80,user=root", "{ select: named, count: 1-1, cpu: -80, user: root }"],
    ["kworker/0:1:1-", "{ select: \"kworker/0:1\", count: 1- }"],
  ];
  for (const [oneLiner, mapping] of cases) {
    test(`${mapping} = "${oneLiner}"`, () => {
      const [fromMapping] = rulesOf(`  - ${mapping}\n`);
      const expected = parseOneLiner(oneLiner, { accounts, source: { file: "argv", line: 1, column: 1 } });
      assert.ok(fromMapping !== undefined);
      assert.deepEqual(withoutSource(fromMapping), withoutSource(expected));
    });
  }
});

describe("what only a mapping can say", () => {
  test("an args= regex containing ',user=' stays one regex", () => {
    const [rule] = rulesOf("  - { select: x, count: 1-, args: \"--opt=a,user=b\" }\n");
    assert.equal(rule?.qualifiers.length, 1);
    const q = rule?.qualifiers[0];
    assert.ok(q?.key === "args");
    assert.equal(q.text, "--opt=a,user=b");
    assert.ok(q.pattern.test("x --opt=a,user=b"));
    // The same text as a one-liner splits into args= and user=, and "b" is no user.
    assert.throws(() => parseOneLiner("x:1-,args=--opt=a,user=b", { accounts, source: { file: "argv", line: 1, column: 1 } }), /unknown user "b"/);
  });

  test("name becomes the label; the one-liner text stays for display", () => {
    const [rule] = rulesOf("  - name: postfix-master\n    select: /usr/lib/postfix/sbin/master\n    count: 1-1\n    user: root\n");
    assert.equal(rule?.label, "postfix-master");
    assert.equal(rule?.text, "/usr/lib/postfix/sbin/master:1-1,user=root");
  });

  test("sources: the one-liner string, or the mapping's first key", () => {
    const rules = rulesOf("  - \"sshd:1-\"\n  -   select: cron\n      count: 1-\n");
    assert.deepEqual(rules.map((r) => r.source), [{ file: "pw.yaml", line: 2, column: 5 }, { file: "pw.yaml", line: 3, column: 7 }]);
  });

  test("rules: with nothing after it is no rules", () => {
    assert.deepEqual(configOf("rules:\n").rules, []);
  });
});

describe("rule problems", () => {
  const cases: [string, string, string[]][] = [
    ["one-liner error at the quoted string", "  - \"sshd:x-\"\n", ['pw.yaml:2:5: "sshd:x-": minimum "x" is not a whole number']],
    ["one-liner error at the plain string", "  - cron:5-1\n", ['pw.yaml:2:5: "cron:5-1": empty range: minimum 5 is above maximum 1']],
    ["one-liners in a flow list", "  [\"sshd:1-\", \"cron:1-\"]\n", []],
    ["one-liner unknown qualifier", "  - \"cron:1-,color=red\"\n", ['pw.yaml:2:5: "cron:1-,color=red": unknown qualifier "color" (known: user, group, uid, gid, exe, args, label, domain, listen, unit, cgroup, container, cpu, warn, rss, fds, threads, age, restarts)']],
    ["one-liner unknown user", "  - \"sshd:1-,user=nosuchuser\"\n", ['pw.yaml:2:5: "sshd:1-,user=nosuchuser": unknown user "nosuchuser"']],
    ["one-liner without a range", "  - sshd\n", ['pw.yaml:2:5: "sshd": no \':MIN-MAX\' range (e.g. "sshd:1-")']],
    ["a space after the colon makes a mapping", "  - sshd: 1-\n", ['pw.yaml:2:5: "sshd": not a rule key; a one-liner has no space after \':\' ("sshd:1-"), or write select: sshd and count: MIN-MAX']],
    ["a list is no rule", "  - [sshd, 1-]\n", ['pw.yaml:2:5: "[sshd, 1-]": a rule is a one-liner string ("sshd:1-,user=root") or a mapping (select: sshd, count: 1-), got a list']],
    ["an empty item is no rule", "  -\n  - \"cron:1-\"\n", ['pw.yaml:2:4: "": a rule is a one-liner string ("sshd:1-,user=root") or a mapping (select: sshd, count: 1-), got nothing']],
    ["mapping: bad count at its value", "  - select: cron\n    count: 5-1\n", ['pw.yaml:3:12: "5-1": empty range: minimum 5 is above maximum 1']],
    ["mapping: count without a dash", "  - select: cron\n    count: 5\n", ['pw.yaml:3:12: "5": expected MIN-MAX, e.g. 1-, 1-5, -3 or 0-0; got "5"']],
    ["mapping: unknown user at its value", "  - select: sshd\n    count: 1-\n    user: nosuchuser\n", ['pw.yaml:4:11: "nosuchuser": unknown user "nosuchuser"']],
    ["mapping: uid takes numbers", "  - { select: sshd, count: 1-, uid: root }\n", ['pw.yaml:2:37: "root": uid= takes a number, got "root" (use user= for names)']],
    ["mapping: glob in a name", "  - { select: \"ssh*\", count: 1- }\n", ['pw.yaml:2:15: "ssh*": glob characters (*?[) are not allowed in a name; use a /path selector or exe=']],
    ["mapping: exe must be absolute", "  - { select: tor, count: 1-, exe: tor }\n", ['pw.yaml:2:36: "tor": exe= needs an absolute path or glob, got "tor"']],
    ["mapping: args needing backtracking", "  - { select: x, count: 1-, args: \"(a)\\\\1\" }\n", ['pw.yaml:2:35: "(a)\\1": args=: regular expression has a backreference "\\1": it needs backtracking, which is refused so that no pattern can stall a scan']],
    ["mapping: warn outside the range", "  - { select: cron, count: 1-5, warn: 7-9 }\n", ['pw.yaml:2:39: "7-9": 7-9 shares no count with the rule\'s range 1-5, so every count would be WARNING or CRITICAL']],
    ["mapping: bad cpu range", "  - { select: boinc, count: 1-, cpu: fifty }\n", ['pw.yaml:2:38: "fifty": expected MIN-MAX, e.g. 1-, 1-5, -3 or 0-0; got "fifty"']],
    ["mapping: empty qualifier", "  - { select: sshd, count: 1-, user: \"\" }\n", ['pw.yaml:2:38: "": qualifier "user" has an empty value']],
    ["mapping: every problem of one rule", "  - select: \"a*\"\n    count: x-\n    group: nosuchgroup\n", [
      'pw.yaml:2:13: "a*": glob characters (*?[) are not allowed in a name; use a /path selector or exe=',
      'pw.yaml:3:12: "x-": minimum "x" is not a whole number',
      'pw.yaml:4:12: "nosuchgroup": unknown group "nosuchgroup"',
    ]],
    ["mapping: no select, no count", "  - name: lonely\n", [
      'pw.yaml:2:5: "select": missing: a rule mapping needs select (a process name or /path) and count (MIN-MAX)',
      'pw.yaml:2:5: "count": missing: a rule mapping needs select (a process name or /path) and count (MIN-MAX)',
    ]],
    ["mapping: select given a list", "  - { select: [a, b], count: 1- }\n", ['pw.yaml:2:15: "[a, b]": expected a single value, got a list']],
    ["name with a space", "  - { name: postfix master, select: master, count: 1- }\n", ['pw.yaml:2:13: "postfix master": a rule name may not contain spaces, commas or colons (it is a metric attribute and one word of mon\'s summary)']],
    ["name with a comma", "  - { name: \"a,b\", select: master, count: 1- }\n", ['pw.yaml:2:13: "a,b": a rule name may not contain spaces, commas or colons (it is a metric attribute and one word of mon\'s summary)']],
    ["name with a colon", "  - { name: \"a:b\", select: master, count: 1- }\n", ['pw.yaml:2:13: "a:b": a rule name may not contain spaces, commas or colons (it is a metric attribute and one word of mon\'s summary)']],
    ["name with a control character", "  - { name: \"a\\tb\", select: master, count: 1- }\n", ['pw.yaml:2:13: "a%09b": character U+0009 at position 2 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    // One-liners and every value of a mapping follow the name's character rule: each ends up in the label.
    ["one-liner with NUL", "  - \"ss\\0hd:0-\"\n", ['pw.yaml:2:5: "ss%00hd:0-": character U+0000 at position 3 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["one-liner with U+2028", "  - \"sshd\\u2028:0-\"\n", ['pw.yaml:2:5: "sshd%E2%80%A8:0-": character U+2028 at position 5 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["one-liner with the Arabic letter mark", "  - \"sshd:1-,args=\\u061C-x\"\n", ['pw.yaml:2:5: "sshd:1-,args=%D8%9C-x": character U+061C at position 14 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["probe one-liner with U+202E", "  - \"tcp://127.0.0.1:22,banner=\\u202E\"\n", ['pw.yaml:2:5: "tcp://127.0.0.1:22,banner=%E2%80%AE": character U+202E at position 27 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["mapping select with ESC", "  - { select: \"ss\\ehd\", count: 1- }\n", ['pw.yaml:2:15: "ss%1Bhd": character U+001B at position 3 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["mapping qualifier with U+2066", "  - { select: sshd, count: 1-, args: \"\\u2066x\" }\n", ['pw.yaml:2:38: "%E2%81%A6x": character U+2066 at position 1 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["name with U+200F", "  - { name: \"a\\u200Fb\", select: master, count: 1- }\n", ['pw.yaml:2:13: "a%E2%80%8Fb": character U+200F at position 2 is a control, invisible, bidi or separator character (it could hide or reorder text where the rule\'s name is shown: metric labels, mon\'s summary)']],
    ["empty name", "  - { name: \"\", select: master, count: 1- }\n", ['pw.yaml:2:13: "": a rule name must not be empty']],
    ["name too long", `  - { name: ${"n".repeat(129)}, select: master, count: 1- }\n`, [`pw.yaml:2:13: "${"n".repeat(129)}": a rule name must be at most 128 characters`]],
    ["duplicate one-liners", "  - \"sshd:1-\"\n  - \"sshd:2-\"\n", ['pw.yaml:3:5: "sshd:2-": duplicate rule label "sshd" (first at 2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
    ["warn= does not make another rule", "  - \"cron:1-5\"\n  - \"cron:1-5,warn=2-4\"\n", ['pw.yaml:3:5: "cron:1-5,warn=2-4": duplicate rule label "cron" (first at 2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
    ["a name equal to a one-liner's label", "  - \"master:1-\"\n  - { name: master, select: /usr/lib/postfix/sbin/master, count: 1-1 }\n", ['pw.yaml:3:13: "master": duplicate rule label "master" (first at 2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
    ["a mapping equal to a one-liner", "  - \"sshd:1-,user=root\"\n  -   select: sshd\n      count: 1-1\n      user: root\n", ['pw.yaml:3:7: "sshd,user=root": duplicate rule label "sshd,user=root" (first at 2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
  ];
  for (const [what, yaml, expected] of cases) test(what, () => assert.deepEqual(problemsOf(`rules:\n${yaml}`), expected));
});
