// parseExeLink: " (deleted)" is the kernel's suffix, stripped exactly once and only at the end.
import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import { describe, test } from "node:test";
import { parseExeLink } from "../../src/procfs/exe.js";
import { fixtureRoot } from "../helpers/proctree.js";

describe("parseExeLink", () => {
  const cases: [string, string, { path: string; deleted: boolean }][] = [
    ["ordinary", "/usr/sbin/sshd", { path: "/usr/sbin/sshd", deleted: false }],
    ["replaced by a package upgrade", "/usr/sbin/sshd (deleted)", { path: "/usr/sbin/sshd", deleted: true }],
    ["a file NAMED '... (deleted)' and then deleted: strip once", "/tmp/evil (deleted) (deleted)", { path: "/tmp/evil (deleted)", deleted: true }],
    ["the words inside the path are not the suffix", "/opt/x (deleted)/bin/d", { path: "/opt/x (deleted)/bin/d", deleted: false }],
    ["no space before the parenthesis", "/opt/x(deleted)", { path: "/opt/x(deleted)", deleted: false }],
    ["a path with spaces", "/opt/My App/bin/app", { path: "/opt/My App/bin/app", deleted: false }],
    ["invalid UTF-8 bytes are kept", "/opt/\xff\xfe/d (deleted)", { path: "/opt/\xff\xfe/d", deleted: true }],
  ];
  for (const [what, target, want] of cases) {
    test(what, () => assert.deepEqual(parseExeLink(target), want));
  }
});

describe("parseExeLink on captured exe links (odd-names)", () => {
  const cases: [number, { path: string; deleted: boolean }][] = [
    [21917, { path: "/usr/bin/sleep", deleted: false }],
    [21921, { path: "/tmp/pwcap/ntpd", deleted: true }],
    [21922, { path: "/tmp/pwcap/evil (deleted)", deleted: true }],
  ];
  for (const [pid, want] of cases) {
    test(String(pid), () => assert.deepEqual(parseExeLink(readlinkSync(`${fixtureRoot("odd-names")}/${pid}/exe`, "latin1")), want));
  }
});
