import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeBytes, escapeText } from "../../src/output/escape.js";

const bytes = (...b: number[]) => Buffer.from(b).toString("latin1");

test("escapes bytes that could forge a line, perfdata or a terminal sequence", () => {
  const cases: [string, string][] = [
    ["sshd", "sshd"],
    ["sshd\nOK: all", "sshd%0AOK: all"],
    ["a\rb\tc", "a%0Db%09c"],
    ["\x1b[2J", "%1B[2J"],
    ["a|b", "a%7Cb"],
    ["100%", "100%25"],
    ["del\x7f", "del%7F"],
    ["back\\slash", "back\\slash"],
    [bytes(0x61, 0x62, 0xff, 0xfe), "ab%FF%FE"],
    [bytes(0x61, 0x62, 0xfe, 0xff), "ab%FE%FF"],
    [bytes(0x63, 0x61, 0x66, 0xc3, 0xa9), "café"],
    [bytes(0xc2, 0x9b, 0x33, 0x31, 0x6d), "%C2%9B31m"], // C1 CSI
    [bytes(0xe2, 0x80, 0xae), "%E2%80%AE"], // right-to-left override
    [bytes(0xe2, 0x80, 0xa8), "%E2%80%A8"], // line separator
    [bytes(0xc0, 0xaf), "%C0%AF"], // overlong '/'
    [bytes(0xed, 0xa0, 0x80), "%ED%A0%80"], // surrogate
    [bytes(0xf0, 0x9f, 0x98, 0x80), "😀"],
    [bytes(0xe2, 0x82), "%E2%82"], // truncated sequence
  ];
  for (const [input, want] of cases) assert.equal(escapeBytes(input), want, JSON.stringify(input));
});

test("spaces are escaped only where a token must stay one word", () => {
  assert.equal(escapeBytes("a b"), "a b");
  assert.equal(escapeBytes("a b", { space: true }), "a%20b");
});

test("escaping is unambiguous: distinct inputs never give the same output", () => {
  const inputs = ["a%0A", "a\n", bytes(0x61, 0xff), "a%FF", "a%25", "a%"];
  const outputs = new Set(inputs.map((i) => escapeBytes(i)));
  assert.equal(outputs.size, inputs.length);
});

test("JavaScript text goes through its UTF-8 bytes", () => {
  assert.equal(escapeText("tür\n"), "tür%0A");
  assert.equal(escapeText("x\u202ey"), "x%E2%80%AEy");
  // a JS character mixed into a byte string is still escaped, not mangled
  assert.equal(escapeBytes("a\u2028b"), "a%E2%80%A8b");
});

test("no output byte below 0x20 or equal to 0x7F, whatever the input", () => {
  const all = bytes(...Array.from({ length: 256 }, (_, i) => i));
  const out = escapeBytes(all);
  for (const ch of out) assert.ok(ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f, JSON.stringify(ch));
  assert.ok(!out.includes("|"));
});
