import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { suggest } from "../../src/config/suggest.js";

describe("did you mean", () => {
  const keys = ["interval", "for_cycles", "proc_root", "interpreters", "rules", "cpu", "security", "export", "top", "user"];
  const cases: [string, string | undefined][] = [
    ["for-cycles", "for_cycles"],
    ["ForCycles", "for_cycles"],
    ["intervall", "interval"],
    ["interavl", "interval"], // a swap of neighbours is one edit
    ["secruity", "security"],
    ["rule", "rules"],
    ["usr", "user"],
    ["cpus", "cpu"],
    ["tpo", "top"],
    ["xyz", undefined],
    ["colour", undefined],
    ["exports_all", undefined],
  ];
  for (const [word, expected] of cases) test(`${word} → ${expected ?? "nothing"}`, () => assert.equal(suggest(word, keys), expected));
});
