// Property tests of the config loader: for any file (bytes, YAML soup, or well-formed YAML with
// hostile values under real keys) and any command-line rules, loading ends in a config or in
// problems located at file:line:column (never an exception), every problem prints as one line
// with no raw control, bidi or separator character, and no accepted rule has one in its label.
// Bounded for CI: a fixed seed and number of runs per property, and a test timeout against hangs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { loadConfig, mergeCliRules, type LoadResult } from "../../src/config/load.js";
import type { DaemonConfig } from "../../src/config/types.js";
import { formatProblem } from "../../src/output/problems.js";
import { HIDDEN, RAW } from "../helpers/hidden.js";
import { accounts } from "./fixture.js";

const SEED = 1306;
const FILE = "pw.yaml";

const hidden = fc.constantFrom(...HIDDEN.map(([, ch]) => ch));
const text = (syntax: string, maxLength = 10): fc.Arbitrary<string> =>
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...syntax) },
    { weight: 1, arbitrary: hidden },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
  ), { maxLength }).map((parts) => parts.join(""));

function load(bytes: Uint8Array): LoadResult {
  return loadConfig(FILE, { accounts, env: {}, readFile: () => bytes });
}

/** The loader's contract, whatever the input. */
function assertWellFormed(r: LoadResult, lines: number): void {
  if ("config" in r) {
    assertLabelsClean(r.config);
    return;
  }
  assert.ok(r.problems.length > 0);
  for (const p of r.problems) {
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `column ${p.column}`);
    const line = formatProblem(p);
    assert.ok(!line.includes("\n"), JSON.stringify(line));
    const raw = RAW.exec(line);
    assert.equal(raw, null, `raw U+${raw?.[0].codePointAt(0)?.toString(16)} in ${JSON.stringify(line)}`);
  }
}

function assertLabelsClean(config: DaemonConfig): void {
  for (const rule of config.rules) assert.equal(RAW.exec(rule.label), null, `label ${JSON.stringify(rule.label)}`);
}

const KEYS = [
  "interval", "for_cycles", "proc_root", "interpreters", "rules", "cpu", "security", "export",
  "name", "select", "count", "user", "group", "uid", "gid", "exe", "args", "label", "domain", "listen", "warn",
  "probe", "banner", "timeout", "remote", "max_percent", "lifetime", "exempt", "exempt_users", "top", "checks",
  "prometheus", "otlp", "enabled", "endpoint", "protocol", "allow_public", "deleted-exe", "max_uid", "ignore",
];
const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("10s", "1-", "0-0", "5-1", "sshd", "/usr/sbin/sshd", "root", "all", "tcp://127.0.0.1:22", "127.0.0.1:9477", "sshd:1-,user=root", "a{17}", "(a)\\1"),
  text("abcs019-:,/=*?[]{}()%| \\"),
  fc.integer({ min: -5, max: 100_000 }),
  fc.boolean(),
  fc.constant(null),
);
const { value: yamlValue } = fc.letrec<{ value: unknown; list: unknown[]; mapping: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ maxDepth: 4 }, scalar, tie("list"), tie("mapping")),
  list: fc.array(tie("value"), { maxLength: 4 }),
  mapping: fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: text("ab_-", 6) }), tie("value"), { maxKeys: 5 }),
}));
const rule = fc.oneof(
  fc.tuple(fc.constantFrom("sshd", "cron", "/usr/sbin/sshd", "tcp://127.0.0.1:22"), text("0123456789-,=:abuser"), text("abc")).map(([s, r, q]) => `${s}:${r}${q}`),
  fc.dictionary(fc.constantFrom("name", "select", "count", "user", "args", "warn", "cpu", "probe", "banner", "timeout", "remote"), scalar, { maxKeys: 5 }),
);
const document = fc.record({
  rules: fc.array(rule, { maxLength: 4 }),
  rest: fc.dictionary(fc.constantFrom(...KEYS.slice(0, 8)), yamlValue, { maxKeys: 4 }),
}).map(({ rules, rest }) => stringify({ ...rest, rules }));

describe("the config loader", () => {
  test("any bytes: a config or located, escaped problems, never an exception", { timeout: 60_000 }, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const lines = Buffer.from(bytes).toString("latin1").split("\n").length;
      assertWellFormed(load(bytes), lines);
    }), { seed: SEED, numRuns: 1000 });
  });

  test("YAML soup: the same", { timeout: 60_000 }, () => {
    fc.assert(fc.property(text("abc019 -:\n\t#&*!|>'\"[]{},?%@`\\", 60), (yaml) => {
      assertWellFormed(load(Buffer.from(yaml, "utf8")), yaml.split("\n").length);
    }), { seed: SEED, numRuns: 2000 });
  });

  test("well-formed YAML with hostile values under real keys: the same", { timeout: 60_000 }, () => {
    fc.assert(fc.property(document, (yaml) => {
      assertWellFormed(load(Buffer.from(yaml, "utf8")), yaml.split("\n").length);
    }), { seed: SEED, numRuns: 300 });
  });

  test("the command line's rules merged into a config: the same", { timeout: 60_000 }, () => {
    const base = load(Buffer.from("rules: [\"sshd:1-\"]\n"));
    assert.ok("config" in base);
    fc.assert(fc.property(fc.array(fc.oneof(rule.filter((r): r is string => typeof r === "string"), text("abc:-0123,=")), { maxLength: 3 }), (args) => {
      const r = mergeCliRules(base.config, args, { accounts });
      assertWellFormed(r, args.length);
    }), { seed: SEED, numRuns: 1000 });
  });
});
