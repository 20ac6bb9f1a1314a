// Globs and linear-time regexes as rules use them: compiled once, matched against byte strings.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSelector } from "../../src/rules/oneliner.js";
import { compileGlob, compileLinearRegex, hasGlobMagic, toBytes } from "../../src/rules/pattern.js";

describe("compileGlob", () => {
  const cases: [string, boolean, string, boolean][] = [
    ["/usr/sbin/*", true, "/usr/sbin/sshd", true],
    ["/usr/sbin/*", true, "/usr/sbin/x/sshd", false],
    ["/usr/sbin/*", false, "/usr/sbin/x/sshd", true],
    ["/usr/lib/postfix/sbin/master", true, "/usr/lib/postfix/sbin/master", true],
    ["/usr/lib/postfix/sbin/master", true, "/usr/lib/postfix/sbin/masterx", false],
    ["/usr/bin/python3.?", true, "/usr/bin/python3.9", true],
    ["/usr/bin/python3.?", true, "/usr/bin/python3.11", false],
    ["/usr/bin/python3.?", true, "/usr/bin/python3/x", false],
    ["*:sshd_t:*", false, "system_u:system_r:sshd_t:s0-s0:c0.c1023", true],
    ["*:sshd_t:*", false, "system_u:system_r:sshd_exec_t:s0", false],
    ["/srv/[ab]*", true, "/srv/alpha", true],
    ["/srv/[!ab]*", true, "/srv/alpha", false],
    ["/srv/[^ab]*", true, "/srv/gamma", true],
    ["/srv/a\\*b", true, "/srv/a*b", true],
    ["/srv/a\\*b", true, "/srv/axb", false],
    ["/srv/a.b", true, "/srv/axb", false],
    ["/srv/(x)|y+", true, "/srv/(x)|y+", true],
    ["/opt/café/*", true, toBytes("/opt/café/run"), true],
  ];
  for (const [glob, pathSegments, subject, want] of cases) {
    test(`${glob} (${pathSegments ? "path" : "text"}) ${want ? "matches" : "does not match"} ${subject}`, () => {
      assert.equal(compileGlob(glob, { pathSegments }).test(subject), want);
    });
  }

  const errors: [string, RegExp][] = [
    ["", /^empty pattern$/],
    ["/srv/[ab", /^unclosed '\[' in pattern "\/srv\/\[ab"$/],
    [`/${"x".repeat(600)}`, /^pattern longer than 512 characters$/],
  ];
  for (const [glob, message] of errors) {
    test(`refuses ${JSON.stringify(glob.slice(0, 20))}`, () => assert.throws(() => compileGlob(glob, { pathSegments: true }), { message }));
  }
});

describe("hasGlobMagic", () => {
  const cases: [string, boolean][] = [["sshd", false], ["ssh*", true], ["ss?d", true], ["[s]shd", true], ["a.b-c", false]];
  for (const [text, want] of cases) test(`${text} → ${want}`, () => assert.equal(hasGlobMagic(text), want));
});

describe("compileLinearRegex", () => {
  test("matches the UTF-8 bytes of the pattern against byte strings", () => {
    assert.equal(compileLinearRegex("--port=é").test(toBytes("/usr/bin/x --port=é")), true);
    assert.equal(compileLinearRegex("--port=é").test("/usr/bin/x --port=é"), false);
  });

  test("a nested quantifier runs in linear time (compiled for the non-backtracking engine)", () => {
    const re = compileLinearRegex("(a+)+$");
    assert.equal(re.flags.includes("l"), true);
    assert.equal(re.test(`${"a".repeat(5000)}b`), false);
  });

  const errors: [string, RegExp][] = [
    ["", /^empty regular expression$/],
    ["(", /^invalid regular expression/],
    ["x".repeat(513), /^regular expression longer than 512 characters$/],
  ];
  for (const [source, message] of errors) {
    test(`refuses ${JSON.stringify(source.slice(0, 20))}`, () => assert.throws(() => compileLinearRegex(source), { message }));
  }
});

describe("path selectors: literal ones are decided by string comparison", () => {
  const fail = (reason: string): never => {
    throw new Error(reason);
  };
  const selectors = ["/usr/sbin/sshd", "/usr/bin/python3.11", "/srv/(x)|y+", "/opt/café/run", "/a b/$^.{2}", "/usr/sbin/*", "/srv/a\\*b", "/srv/[ab]", "/srv/x?"];
  const subjects = [
    "/usr/sbin/sshd", "/usr/sbin/sshdx", "/usr/sbin/ssh", "/usr/bin/python3.11", "/usr/bin/python3x11", "/srv/(x)|y+", "/srv/y", "/srv/x",
    toBytes("/opt/café/run"), "/opt/café/run", "/a b/$^.{2}", "/a b/$^x{2}", "/srv/a*b", "/srv/a\\*b", "/srv/a", "/srv/[ab]", "/srv/x?", "/srv/xy", "/usr/sbin/sshd\n",
  ];
  for (const text of selectors) {
    test(text, () => {
      const sel = parseSelector(text, fail);
      assert.equal(sel.kind, "path");
      if (sel.kind !== "path") return;
      assert.equal(sel.literal, !hasGlobMagic(text) && !text.includes("\\"), "literal exactly when no glob character or escape");
      if (!sel.literal) return;
      for (const subject of subjects) assert.equal(subject === sel.path, sel.pattern.test(subject), `${text} against ${JSON.stringify(subject)}`);
    });
  }
});
