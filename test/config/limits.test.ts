// The configuration's bounds, each refused with a located problem: a file that is not a regular
// file (FIFO, device), one over MAX_CONFIG_BYTES, more than MAX_RULES rules, a label over
// MAX_LABEL_BYTES, in the file or on the command line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadConfig, mergeCliRules, type LoadResult } from "../../src/config/load.js";
import { MAX_CONFIG_BYTES, MAX_LABEL_BYTES, MAX_RULES } from "../../src/config/limits.js";
import { formatProblem } from "../../src/output/problems.js";
import { accounts, configOf } from "./fixture.js";

const dir = mkdtempSync(join(tmpdir(), "procwatch-limits-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const problems = (r: LoadResult): string[] => ("problems" in r ? r.problems.map(formatProblem) : []);
const load = (path: string): string[] => problems(loadConfig(path, { accounts, env: {} }));
const write = (name: string, text: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("the file itself", () => {
  test("a FIFO is refused at once (no writer ever comes)", () => {
    const path = join(dir, "fifo.yaml");
    execFileSync("mkfifo", [path]);
    assert.deepEqual(load(path), [`${path}:1:1: "${path}": the configuration file is a FIFO, not a regular file; refusing to read it`]);
  });
  test("/dev/zero is refused, not read until memory runs out", () => {
    assert.deepEqual(load("/dev/zero"), ['/dev/zero:1:1: "/dev/zero": the configuration file is a character device, not a regular file; refusing to read it']);
  });
  test("a file one byte over the limit", () => {
    const path = write("big.yaml", Buffer.alloc(MAX_CONFIG_BYTES + 1, "#"));
    assert.deepEqual(load(path), [`${path}:1:1: "${path}": the configuration file is larger than 1 MiB (${MAX_CONFIG_BYTES + 1} bytes), the most procwatch reads`]);
  });
  test("a file of exactly the limit is read", () => {
    const head = "interval: 10s\nrules: []\ncpu: { max_percent: 90 }\n";
    const path = write("full.yaml", head + "#".repeat(MAX_CONFIG_BYTES - head.length - 1) + "\n");
    assert.deepEqual(load(path), []);
  });
});

describe("rules", () => {
  const ruleLines = (n: number): string => Array.from({ length: n }, (_, i) => `  - "lim${i}:0-"\n`).join("");
  test(`${MAX_RULES} rules are fine, one more is refused at the first one too many`, () => {
    assert.equal(configOf(`rules:\n${ruleLines(MAX_RULES)}`).rules.length, MAX_RULES);
    const path = write("many.yaml", `rules:\n${ruleLines(MAX_RULES + 1)}`);
    assert.deepEqual(load(path), [`${path}:${MAX_RULES + 2}:5: "rule ${MAX_RULES + 1}": too many rules: ${MAX_RULES + 1}, at most ${MAX_RULES} (file and command line together)`]);
  });
  test("the file's and the command line's rules count together", () => {
    const config = configOf(`rules:\n${ruleLines(MAX_RULES)}`);
    assert.deepEqual(problems(mergeCliRules(config, ["extra:1-"], { accounts })), [
      `argument 1: "extra:1-": too many rules: ${MAX_RULES + 1}, at most ${MAX_RULES} (file and command line together)`,
    ]);
  });
  const tooLong = "x".repeat(MAX_LABEL_BYTES + 1);
  const reason = `the rule's label is ${MAX_LABEL_BYTES + 1} bytes long, at most ${MAX_LABEL_BYTES}: it names the rule's metric series and summary word; give the rule a shorter name: (the mapping form), or shorten its selector and qualifiers`;
  test("a label one byte too long, in a one-liner", () => {
    const path = write("long.yaml", `rules:\n  - "ok:1-"\n  - "${tooLong}:0-"\n`);
    assert.deepEqual(load(path), [`${path}:3:5: "${"x".repeat(59)}…": ${reason}`]);
  });
  test("a label of exactly the limit, made of multibyte characters, is fine", () => {
    assert.equal(configOf(`rules:\n  - "sshd:0-,args=${"é".repeat((MAX_LABEL_BYTES - 10) / 2)}"\n`).rules.length, 1);
  });
  test("a 10 MB name is refused (the file limit comes first)", () => {
    const text = `rules:\n  - name: ${"n".repeat(10_000_000)}\n    select: sshd\n    count: 1-\n`;
    const path = write("huge-name.yaml", text);
    assert.deepEqual(load(path), [`${path}:1:1: "${path}": the configuration file is larger than 1 MiB (${text.length} bytes), the most procwatch reads`]);
  });
  test("a long label on the command line", () => {
    assert.deepEqual(problems(mergeCliRules(configOf("rules: []\n"), [`${tooLong}:0-`], { accounts })), [`argument 1: "${"x".repeat(59)}…": ${reason}`]);
  });
});
