// The frames bin/check.ts writes, read back by the very frame() function of the shell lines
// (src/bin/launch.sh) under dash: every text comes back to the byte, whatever its lines hold.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { encodeAnswer, encodeFrame, RAW_OUT_BYTES } from "../../src/check/frames.js";

const LAUNCH = fileURLToPath(new URL("../../../src/bin/launch.sh", import.meta.url));
const DASH = "/bin/dash";

/** frame() as launch.sh defines it: from its first line to the first line that closes it. */
function frameFunction(): string {
  const lines = readFileSync(LAUNCH, "utf8").split("\n");
  const start = lines.findIndex((l) => l.trim() === "frame() {");
  assert.ok(start >= 0, "launch.sh defines frame()");
  const indent = (lines[start] as string).indexOf("frame");
  const end = lines.findIndex((l, i) => i > start && l === `${" ".repeat(indent)}}`);
  assert.ok(end > start, "frame() ends");
  return lines.slice(start, end + 1).join("\n");
}

/** Runs frame() on `input` as many times as it succeeds; prints each frame's header and text. */
function readFrames(input: string): string {
  const script = `${frameFunction()}
exec 6<&0
while frame; do printf '[%s %s %s %s]' "$kind" "$code" "$fd" "$more"; printf %s "$text"; printf '|'; done`;
  const r = spawnSync(DASH, ["-c", script], { input, encoding: "latin1" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const TEXTS = [
  "",
  "one line\n",
  "no newline at the end",
  "  leading and trailing spaces  \n\ttab\n",
  "back\\slash \\n and \\\\ and %s %d\n",
  "\n\nempty lines\n\n",
  "ünïcödé ✓ and latin1 \xff bytes\n",
  "a line that looks like a frame\nout 0 1 1 0\nend 0 1 0 0\n",
];

test("every text comes back from the shell's frame reader to the byte", { skip: spawnSync(DASH, ["-c", "exit 0"]).status === 0 ? false : "no /bin/dash here" }, () => {
  for (const text of TEXTS) {
    const frame = encodeFrame("out", 3, text, 2, 7);
    const bytes = Buffer.from(frame).toString("latin1");
    assert.equal(readFrames(bytes), `[out 3 2 7]${Buffer.from(text).toString("latin1")}|`, JSON.stringify(text));
  }
});

test("a NUL, which the shell cannot hold, is written as \\x00", () => {
  assert.equal(encodeFrame("out", 0, "a\0b\n"), "out 0 1 1 0\na\\x00b\n");
});

test("the answer: err, then out, then end; a long out goes raw with its length", { skip: spawnSync(DASH, ["-c", "exit 0"]).status === 0 ? false : "no /bin/dash here" }, () => {
  assert.equal(readFrames(encodeAnswer("verdict\n", "usage\n", 1)), "[err 0 2 ]usage\n|[out 0 1 ]verdict\n|[end 1 1 ]|");
  const long = `${"x".repeat(RAW_OUT_BYTES)}\n`;
  assert.equal(encodeAnswer(long, "", 0), `raw 0 1 0 0 ${RAW_OUT_BYTES + 1}\n${long}end 0 1 0 0\n`);
});
