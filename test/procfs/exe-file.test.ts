// readExeFile: stat through /proc/PID/exe against stat of the path it names, on fixture trees
// whose exe links point at real files, and on this process in the real /proc. A fixture link
// resolves to the path it names, so "another file" is made with the kernel's " (deleted)" suffix:
// the link points at a file literally named "x (deleted)", the path is "x".
import assert from "node:assert/strict";
import { readlinkSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { newExeFileCache, readExeFile } from "../../src/procfs/exe-file.js";
import { readProcess1, takeSnapshot } from "../../src/procfs/snapshot.js";
import { Field } from "../../src/procfs/types.js";
import { link, statLine, TreePool } from "../helpers/proctree.js";

const trees = new TreePool();
after(() => trees.cleanup());

const idOf = (path: string) => {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino };
};

describe("readExeFile on fixture trees", () => {
  const bin = trees.make({ daemon: "binary", "other (deleted)": "another binary" });
  const daemon = join(bin, "daemon");
  const root = trees.make({
    10: { stat: statLine({ pid: 10, comm: "daemon" }), exe: link(daemon) },
    11: { stat: statLine({ pid: 11, comm: "daemon" }), exe: link(join(bin, "other (deleted)")) },
    12: { stat: statLine({ pid: 12, comm: "gone" }), exe: link(join(bin, "nothing-here")) },
    13: { exe: link(join(bin, "nothing-here")) }, // no stat: the process left
  });

  test("the running file is the file at the path: no namespaces read", () => {
    assert.deepEqual(readExeFile(`${root}/10`, daemon, newExeFileCache()), { running: idOf(daemon), atPath: idOf(daemon) });
  });

  test("another file at the path: both ids, and procwatch's own mount namespace", () => {
    const r = readExeFile(`${root}/11`, join(bin, "other"), newExeFileCache());
    assert.deepEqual(r, { running: idOf(join(bin, "other (deleted)")), atPath: { error: "ENOENT" }, ownMountNs: readlinkSync("/proc/self/ns/mnt") });
    const s = readExeFile(`${root}/11`, daemon, newExeFileCache());
    assert.ok(!("failure" in s) && !("error" in s.atPath));
    assert.notDeepEqual(s.running, s.atPath);
  });

  test("a dangling link (only in fixtures) cannot be compared; a process that left is vanished", () => {
    assert.deepEqual(readExeFile(`${root}/12`, join(bin, "nothing-here"), newExeFileCache()), { failure: "unsupported", code: "ENOENT" });
    assert.deepEqual(readExeFile(`${root}/13`, daemon, newExeFileCache()), { failure: "vanished", code: "ENOENT" });
  });

  test("a path is stat'ed once per scan: later processes get the cached answer", () => {
    const dir = trees.make({ x: "x" });
    const path = join(dir, "x");
    const tree = trees.make({ 20: { stat: statLine({ pid: 20, comm: "x" }), exe: link(path) }, 21: { stat: statLine({ pid: 21, comm: "x" }), exe: link(path) } });
    const cache = newExeFileCache();
    const first = readExeFile(`${tree}/20`, path, cache);
    assert.ok(!("failure" in first));
    // Replaced between the two processes: within one scan the first answer stands.
    unlinkSync(path);
    writeFileSync(path, "new");
    const second = readExeFile(`${tree}/21`, path, cache);
    assert.ok(!("failure" in second));
    assert.deepEqual(second.atPath, first.atPath);
    assert.deepEqual(readExeFile(`${tree}/21`, path, newExeFileCache()), { running: idOf(path), atPath: idOf(path) }, "a new scan stats again");
  });

  test("the scan reads exeFile only when the plan asks, after exe", () => {
    const s = takeSnapshot(root, { plan: (rec) => (rec.pid === 10 ? Field.exe | Field.exeFile : Field.exe), checkVisibility: false });
    const m = new Map(s.processes.map((rec) => [rec.pid, rec]));
    assert.deepEqual(m.get(10)?.exeFile, { running: idOf(daemon), atPath: idOf(daemon) });
    assert.deepEqual([m.get(11)?.exeFile, m.get(11)?.readMask], [undefined, Field.exe]);
    const dangling = readProcess1(root, 12, Field.exe | Field.exeFile);
    assert.deepEqual([dangling?.exeFile, dangling?.unknownMask, dangling?.unknownWhy], [undefined, Field.exeFile, { exeFile: "ENOENT" }]);
  });
});

describe("readExeFile on the real /proc", () => {
  test("this process runs the file its exe link names", () => {
    const exe = readlinkSync("/proc/self/exe");
    const r = readExeFile(`/proc/${process.pid}`, exe, newExeFileCache());
    assert.deepEqual(r, { running: idOf(exe), atPath: idOf(exe) });
  });
});
