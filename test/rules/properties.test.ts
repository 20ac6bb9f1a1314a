// Property tests of the rule parser (one-liners, probes, the linear-regex check): for any text,
// parsing ends in a Rule or a RuleError naming the argument (never another exception), and what
// `procwatch check` prints about it carries no raw control, bidi or separator character.
// Bounded for CI: a fixed seed and number of runs per property, and a test timeout against hangs.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { runCheck } from "../../src/check/run-check.js";
import { parseRuleArgs } from "../../src/rules/list.js";
import { compileLinearRegex } from "../../src/rules/pattern.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { assertNoRaw, HIDDEN } from "../helpers/hidden.js";
import { removeProcTree, tempProcRoot } from "../helpers/proctree.js";

const SEED = 1302;
const accounts = fixtureAccounts();
// An empty /proc: a rule that parses is judged against no process, so a run costs no real scan.
const emptyRoot = tempProcRoot();
after(() => removeProcTree(emptyRoot));

const hidden = fc.constantFrom(...HIDDEN.map(([, ch]) => ch));
/** Text made of the grammar's own characters, hiding characters and anything else. */
const piece = (syntax: string): fc.Arbitrary<string> =>
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...syntax) },
    { weight: 1, arbitrary: hidden },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
  ), { maxLength: 12 }).map((parts) => parts.join(""));

const KEYS = ["user", "group", "uid", "gid", "exe", "args", "label", "domain", "listen", "cpu", "warn", "banner", "timeout", "remote", "color", ""];
/** Mostly well-formed one-liners and probes, each part possibly broken or hostile. */
const ruleText: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(
    fc.oneof(piece("abcsd-_./*?[]:"), fc.constantFrom("sshd", "/usr/sbin/sshd", "tcp://127.0.0.1:22", "tcp://::1:25", "kworker/0:1")),
    fc.oneof(piece("0123456789-"), fc.constantFrom("1-", "0-0", "-3", "1-5", "5-1", "")),
    fc.array(fc.tuple(fc.constantFrom(...KEYS), piece("abc019.*+?()[]{},:=\\/|^$-<>!k")), { maxLength: 4 }),
  ).map(([selector, range, qualifiers]) => `${selector}${range === "" ? "" : `:${range}`}${qualifiers.map(([k, v]) => `,${k}=${v}`).join("")}`),
  fc.string({ unit: "binary", maxLength: 40 }),
);

describe("the rule parser", () => {
  test("ends in rules or rule Problems that name the argument, never another exception", { timeout: 60_000 }, () => {
    fc.assert(fc.property(fc.array(ruleText, { minLength: 1, maxLength: 3 }), (args) => {
      const parsed = parseRuleArgs(args, accounts);
      assert.equal(parsed.rules.length + parsed.errors.length, args.length);
      for (const e of parsed.errors) {
        assert.equal(e.code, "rule");
        assert.equal(e.file, "argv");
        assert.equal(e.token, args[e.line - 1]);
        assert.ok(e.reason.length > 0);
      }
      for (const r of parsed.rules) assert.ok(args.includes(r.text));
    }), { seed: SEED, numRuns: 2000 });
  });

  test("what check prints about any rule, valid or not, has no raw hiding character", { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(ruleText, fc.constantFrom("mon", "nagios", "json") as fc.Arbitrary<"mon" | "nagios" | "json">, async (arg, format) => {
      const r = await runCheck({ mode: "check", rules: [arg], procRoot: emptyRoot, format, excludeRoots: [] }, { accounts });
      assertNoRaw(r.text, `${format} for ${JSON.stringify(arg)}`);
      if (format === "json") assert.doesNotThrow(() => JSON.parse(r.text));
    }), { seed: SEED, numRuns: 300 });
  });
});

describe("the linear-regex check", () => {
  // Well-formed patterns built from atoms, groups (capturing, named, lookaround), alternatives and
  // quantifiers with counts around the engine's limit; and character soup for the syntax errors.
  const count = fc.tuple(fc.nat(24), fc.option(fc.nat(24)), fc.boolean())
    .map(([min, max, open]) => (open ? `{${min},}` : max === null ? `{${min}}` : `{${Math.min(min, max)},${Math.max(min, max)}}`));
  const quantifier = fc.oneof(fc.constantFrom("", "", "*", "+", "?", "+?"), count);
  const { alternatives } = fc.letrec<{ atom: string; group: string; sequence: string; alternatives: string }>((tie) => ({
    atom: fc.oneof({ maxDepth: 4 }, fc.constantFrom("a", "b", ".", "[ab]", "[{]", "\\{", "\\d", "\\1", "\\2", "\\k<n>"), tie("group")),
    group: fc.tuple(fc.constantFrom("(", "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?<n>"), tie("alternatives")).map(([open, body]) => `${open}${body})`),
    sequence: fc.array(fc.tuple(tie("atom"), quantifier).map(([a, q]) => a + q), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")),
    alternatives: fc.array(tie("sequence"), { minLength: 1, maxLength: 2 }).map((parts) => parts.join("|")),
  }));
  const regexSource = fc.oneof({ weight: 3, arbitrary: alternatives }, { weight: 1, arbitrary: piece("ab()[]{}?*+|\\1,0123456789=!<>k^$.") });

  test("compiles or refuses with a named reason, never another exception", { timeout: 60_000 }, () => {
    const reasons = [
      /^regular expression has a backreference "\\(?:[1-9]\d*|k<[^>]*>)": /,
      /^regular expression has a lookaround "\(\?<?[=!]\.\.\.\)": /,
      /^counted repetition ".+" \(\d+ repetitions\) is beyond the linear-time engine's limit of 16 /,
      /^invalid regular expression \(/,
      /^empty regular expression$/,
      /^regular expression longer than 512 characters$/,
    ];
    fc.assert(fc.property(regexSource, (source) => {
      let message: string;
      try {
        compileLinearRegex(source);
        return;
      } catch (err) {
        assert.ok(err instanceof Error && !(err instanceof TypeError), String(err));
        message = err.message;
      }
      // Every refusal by the linear engine is explained: the generic fallback never shows.
      assert.ok(reasons.some((re) => re.test(message)), `${JSON.stringify(source)}: ${message}`);
    }), { seed: SEED, numRuns: 5000 });
  });
});
