// rss=, fds=, threads=, age=, restarts= and unit=/cgroup=/container= in one-liners and rule
// mappings: what they parse to, that they stay out of the matching qualifiers but in the label,
// and every malformed value's message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RuleError } from "../../src/rules/errors.js";
import { formatBytes, parseBytes } from "../../src/rules/limits.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { countRules } from "../../src/rules/list.js";
import { accounts as configAccounts, configOf, problemsOf } from "../config/fixture.js";

const parse = (arg: string) => parseOneLiner(arg, { accounts: configAccounts, source: { file: "argv", line: 1, column: 1 } });

describe("limits", () => {
  const cases: [string, object][] = [
    ["sshd:1-,rss=-512M", { rssBytes: { max: 512 * 1024 ** 2 } }],
    ["x:1-,rss=1.5G-2G", { rssBytes: { min: Math.round(1.5 * 1024 ** 3), max: 2 * 1024 ** 3 } }],
    ["x:1-,rss=64K-", { rssBytes: { min: 65536 } }],
    ["x:1-,rss=-100MiB", { rssBytes: { max: 100 * 1024 ** 2 } }],
    ["x:1-,fds=-80%", { fds: { max: 80, unit: "percent" } }],
    ["x:1-,fds=10-1000", { fds: { min: 10, max: 1000, unit: "count" } }],
    ["x:1-,threads=-200", { threads: { max: 200 } }],
    ["sshd:1-,age=10m-", { ageMs: { min: 600_000 } }],
    ["x:1-,age=1d-30d", { ageMs: { min: 86_400_000, max: 30 * 86_400_000 } }],
    ["x:1-,restarts=-3/10m", { restarts: { max: 3, windowMs: 600_000 } }],
    ["x:1-,rss=-1G,fds=-90%,age=1h-", { rssBytes: { max: 1024 ** 3 }, fds: { max: 90, unit: "percent" }, ageMs: { min: 3_600_000 } }],
  ];
  for (const [arg, limits] of cases) {
    test(arg, () => {
      const rule = parse(arg);
      assert.deepEqual(rule.limits, limits);
      assert.deepEqual(rule.qualifiers, []);
      assert.equal(rule.label, arg.replace(/:[^,]*/, ""));
    });
  }

  const errors: [string, string][] = [
    ["x:1-,rss=512M", 'rss=: expected MIN-MAX, e.g. -512M or 10m-; got "512M"'],
    ["x:1-,rss=-5X", 'rss=: "5X" is not a size (examples: 512M, 1.5G, 64K; binary units)'],
    ["x:1-,rss=2G-1G", 'rss=: empty range "2G-1G": the minimum is above the maximum'],
    ["x:1-,rss=-", "rss=: the range needs at least one bound"],
    ["x:1-,fds=-80%,fds=-90%", 'qualifier "fds" given twice'],
    ["x:1-,fds=10-80%", 'fds=: "10-80%": give both bounds as a share of the limit (-80%, 10%-90%) or neither'],
    ["x:1-,fds=-120%", 'fds=: "-120%": more than 100% of the limit'],
    ["x:1-,threads=a-", 'threads=: minimum "a" is not a whole number'],
    ["x:1-,age=10x-", 'age=: "10x" is not a duration (examples: 500ms, 2s, 1m)'],
    ["x:1-,age=500ms-", 'age=: "500ms" is shorter than 1s'],
    ["x:1-,restarts=3/10m", 'restarts=: "3/10m": expected -MAX/WINDOW, e.g. -3/10m (at most 3 new processes in 10 minutes)'],
    ["x:1-,restarts=-3/2d", 'restarts=: "2d" is longer than 1d'],
    ["x:1-,age=", 'qualifier "age" has an empty value'],
  ];
  for (const [arg, message] of errors) {
    test(`refuses ${arg}`, () => assert.throws(() => parse(arg), (e: unknown) => e instanceof RuleError && e.reason === message));
  }
});

describe("unit=, cgroup=, container= and their != forms", () => {
  const cases: [string, string, boolean, string, boolean][] = [
    ["sshd:1-,unit=ssh.service", "unit", false, "ssh.service", true],
    ["sshd:0-0,unit!=ssh.service", "unit", true, "ssh.service", true],
    ["agetty:1-,unit=getty@*.service", "unit", false, "getty@tty1.service", true],
    ["x:1-,cgroup=/system.slice/*", "cgroup", false, "/system.slice/x.service", true],
    ["x:1-,cgroup=/system.slice/*", "cgroup", false, "/system.slice/x.service/sub", false],
    ["nginx:1-,container=*", "container", false, "4f0c2d9b", true],
    ["nginx:0-0,container!=*", "container", true, "4f0c2d9b", true],
  ];
  for (const [arg, key, negate, value, matches] of cases) {
    test(arg, () => {
      const [q] = parse(arg).qualifiers;
      assert.ok(q !== undefined && q.key === key && "negate" in q);
      assert.equal(q.negate, negate);
      assert.equal(q.pattern.test(value), matches);
      assert.equal(parse(arg).label, arg.replace(/:[^,]*/, ""));
    });
  }

  const errors: [string, string][] = [
    ["x:1-,user!=root", 'qualifier "user" takes no "!=" (only unit, cgroup, container do)'],
    ["x:1-,cgroup=system.slice", 'cgroup= needs an absolute cgroup path or glob, got "system.slice"'],
    ["x:1-,unit=a.service,unit!=b.service", 'qualifier "unit" given twice'],
  ];
  for (const [arg, message] of errors) {
    test(`refuses ${arg}`, () => assert.throws(() => parse(arg), (e: unknown) => e instanceof RuleError && e.reason === message));
  }
});

describe("sizes", () => {
  const cases: [number, string][] = [[37, "37 B"], [1024, "1 KiB"], [1536, "1.5 KiB"], [512 * 1024 ** 2, "512 MiB"], [1.25 * 1024 ** 3, "1.3 GiB"]];
  for (const [bytes, text] of cases) test(text, () => assert.equal(formatBytes(bytes), text));
  test("parseBytes round trip of the README's examples", () => {
    const fail = (reason: string): never => assert.fail(reason);
    assert.deepEqual(["512M", "1.5G", "64K", "4096"].map((t) => parseBytes(t, fail)), [536870912, 1610612736, 65536, 4096]);
  });
});

describe("a mapping says the same as the one-liner", () => {
  const cases: [string, string][] = [
    ["sshd:1-,rss=-512M,unit!=ssh.service", "{ select: sshd, count: 1-, rss: -512M, not_unit: ssh.service }"],
    ["x:1-,fds=-80%,threads=-50,age=10m-", "{ select: x, count: 1-, fds: -80%, threads: -50, age: 10m- }"],
    ["x:1-,cgroup=/system.slice/*,container!=*", "{ select: x, count: 1-, cgroup: /system.slice/*, not_container: \"*\" }"],
    ["x:1-,restarts=-3/10m", "{ select: x, count: 1-, restarts: -3/10m }"],
  ];
  for (const [oneLiner, mapping] of cases) {
    test(mapping, () => {
      const [fromMap] = countRules(configOf(`rules:\n  - ${mapping}\n`).rules);
      const one = parse(oneLiner);
      assert.equal(fromMap?.label, one.label);
      assert.deepEqual(fromMap?.limits, one.limits);
      assert.deepEqual(fromMap?.qualifiers, one.qualifiers);
    });
  }

  test("a bad value is located at its key's value", () => {
    assert.deepEqual(problemsOf("rules:\n  - { select: x, count: 1-, rss: 5X- }\n"), ['pw.yaml:2:34: "5X-": rss=: "5X" is not a size (examples: 512M, 1.5G, 64K; binary units)']);
  });
});
