// The daemon checks its root on the listing its scan reads (listProcRoot); the check, explain and
// the daemon's start use checkProcRoot. Both must answer alike for every kind of root.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { after, describe, test } from "node:test";
import { checkProcRoot, listProcRoot } from "../../src/procfs/root.js";
import { statLine, TreePool } from "../helpers/proctree.js";

const trees = new TreePool();
const dir = mkdtempSync(join(tmpdir(), "procwatch-listroot-"));
after(() => {
  trees.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const proc1 = { stat: statLine({ pid: 4242, comm: "x" }) };
const fifoRoot = join(dir, "fifo");
execFileSync("mkfifo", [fifoRoot]);
// Numeric files but no numeric directory; and one directory only after 70 numeric files.
const numericFiles = join(dir, "numeric-files");
mkdirSync(numericFiles);
writeFileSync(join(numericFiles, "stat"), "cpu 0\n");
for (let i = 1; i <= 70; i++) writeFileSync(join(numericFiles, String(i)), "");
const linkedPid = join(dir, "linked");
mkdirSync(join(linkedPid, "real"), { recursive: true });
writeFileSync(join(linkedPid, "stat"), "cpu 0\n");
symlinkSync("real", join(linkedPid, "77"));

const roots: [string, string][] = [
  ["a tree shaped like /proc", trees.make({ 4242: proc1 })],
  ["missing", join(dir, "nonexistent")],
  ["a file", join(trees.make({ 4242: proc1 }), "4242", "stat")],
  ["a FIFO (must not block)", fifoRoot],
  ["no process directories", trees.make({ "not-a-pid": { x: "y" }, "1x": { stat: "1" } })],
  ["no stat file", trees.make({ stat: null, 4242: proc1 })],
  ["a directory stat", trees.make({ stat: { x: "y" }, 4242: proc1 })],
  ["numeric files, no numeric directory", numericFiles],
  ["a numeric link to a directory", linkedPid],
];

describe("listProcRoot answers as checkProcRoot", () => {
  for (const [what, root] of roots) {
    test(what, () => {
      const listed = listProcRoot(root);
      const checked = checkProcRoot(root);
      if (checked === undefined) {
        assert.ok("names" in listed, `listed: ${JSON.stringify(listed)}`);
        assert.deepEqual([...listed.names].sort(), readdirSync(root).sort());
      } else {
        assert.deepEqual(listed, checked);
      }
    });
  }

  test("the real /proc is a proc root, listed with this process in it", () => {
    const listed = listProcRoot("/proc");
    assert.ok("names" in listed);
    assert.ok(listed.names.includes(String(process.pid)));
  });
});
