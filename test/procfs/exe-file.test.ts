// readExeFile, readScriptFile and readMountId: stat through /proc/PID/exe (and fd links, and
// root) against stat of the path they name, on fixture trees whose links point at real files, and
// on this process in the real /proc. A fixture link resolves to the path it names, so "another
// file" is made with the kernel's " (deleted)" suffix: the link points at a file literally named
// "x (deleted)", the path is "x". Mount ids are checked against findmnt, which reads mountinfo.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { newExeFileCache, readExeFile } from "../../src/procfs/exe-file.js";
import { readMountId } from "../../src/procfs/mount-id.js";
import { readScriptFile } from "../../src/procfs/script-file.js";
import { readOneProcess, takeSnapshot } from "../../src/procfs/snapshot.js";
import { Field } from "../../src/procfs/types.js";
import { link, statLine, TreePool } from "../helpers/proctree.js";

const trees = new TreePool();
/** A directory on another mount than the trees (under /tmp): /dev/shm is a tmpfs on Debian. */
const shm = mkdtempSync("/dev/shm/procwatch-test-");
after(() => {
  trees.cleanup();
  rmSync(shm, { recursive: true, force: true });
});

const idOf = (path: string) => {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino };
};
/** The mount id of the mount visible at `path`, by util-linux (the last of stacked mounts). */
const findmntId = (path: string) => Number(execFileSync("findmnt", ["-n", "-o", "ID", "-T", path], { encoding: "utf8" }).trim().split("\n").at(-1));
const live = (path: string) => ({ path, deleted: false });
const gone = (path: string) => ({ path, deleted: true });
/** procwatch's own mount namespace and root as a fixture tree expresses them. */
const self = { root: link("/"), ns: { mnt: link("mnt:[4026531841]") } };

describe("readMountId", () => {
  test("the mount a path is on, as findmnt says; /dev/shm is another mount than /tmp", () => {
    const tree = trees.make({ f: "x" });
    writeFileSync(join(shm, "f"), "x");
    assert.equal(readMountId(join(tree, "f")), findmntId(tree));
    assert.equal(readMountId(join(shm, "f")), findmntId(shm));
    assert.notEqual(findmntId(tree), findmntId(shm), "the test needs /dev/shm on its own mount");
    assert.equal(readMountId("/proc/self/exe"), findmntId(readlinkSync("/proc/self/exe")), "a magic link is followed");
    assert.deepEqual(readMountId(join(tree, "nothing")), { failure: "vanished", code: "ENOENT" });
  });
});

describe("readExeFile on fixture trees", () => {
  const bin = trees.make({ daemon: "binary", "other (deleted)": "another binary" });
  writeFileSync(join(shm, "daemon (deleted)"), "a binary on another mount");
  const daemon = join(bin, "daemon");
  const root = trees.make({
    self,
    10: { stat: statLine({ pid: 10, comm: "daemon" }), exe: link(daemon) },
    11: { stat: statLine({ pid: 11, comm: "daemon" }), exe: link(join(bin, "other (deleted)")), ns: { mnt: link("mnt:[4026532290]") } },
    12: { stat: statLine({ pid: 12, comm: "gone" }), exe: link(join(bin, "nothing-here")) },
    13: { exe: link(join(bin, "nothing-here")) }, // no stat: the process left
    14: { stat: statLine({ pid: 14, comm: "daemon" }), exe: link(join(shm, "daemon (deleted)")) },
  });

  test("the running file is the file at the path: no namespaces or mounts read", () => {
    assert.deepEqual(readExeFile(`${root}/10`, live(daemon), newExeFileCache(root)), { running: idOf(daemon), atPath: idOf(daemon) });
  });

  test("another file at the path: both ids, and the mount namespaces from the tree (<root>/self/ns/mnt)", () => {
    const r = readExeFile(`${root}/11`, live(daemon), newExeFileCache(root));
    assert.deepEqual(r, { running: idOf(join(bin, "other (deleted)")), atPath: idOf(daemon), mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" });
    const noSelf = readExeFile(`${root}/10`, live(join(bin, "other")), newExeFileCache(bin));
    assert.deepEqual(noSelf, { running: idOf(daemon), atPath: { error: "ENOENT" } }, "a tree without self/ns/mnt names no namespace");
  });

  test("a replaced (deleted) exe: the mount it is on and the mount the path resolves to", () => {
    const same = readExeFile(`${root}/11`, gone(join(bin, "other")), newExeFileCache(root));
    assert.ok(!("failure" in same));
    assert.deepEqual(same.mounts, { running: findmntId(bin), atPath: { error: "ENOENT" } }, "nothing at bin/other");
    const replaced = readExeFile(`${root}/11`, gone(daemon), newExeFileCache(root));
    assert.ok(!("failure" in replaced));
    assert.deepEqual(replaced.mounts, { running: findmntId(bin), atPath: findmntId(bin) });
    const otherMount = readExeFile(`${root}/14`, gone(daemon), newExeFileCache(root));
    assert.ok(!("failure" in otherMount));
    assert.deepEqual(otherMount.mounts, { running: findmntId(shm), atPath: findmntId(bin) });
  });

  test("a dangling link (only in fixtures) cannot be compared; a process that left is vanished", () => {
    assert.deepEqual(readExeFile(`${root}/12`, live(join(bin, "nothing-here")), newExeFileCache(root)), { failure: "unsupported", code: "ENOENT" });
    assert.deepEqual(readExeFile(`${root}/13`, live(daemon), newExeFileCache(root)), { failure: "vanished", code: "ENOENT" });
  });

  test("a path is stat'ed once per scan: later processes get the cached answer", () => {
    const dir = trees.make({ x: "x" });
    const path = join(dir, "x");
    const tree = trees.make({ 20: { stat: statLine({ pid: 20, comm: "x" }), exe: link(path) }, 21: { stat: statLine({ pid: 21, comm: "x" }), exe: link(path) } });
    const cache = newExeFileCache(tree);
    const first = readExeFile(`${tree}/20`, live(path), cache);
    assert.ok(!("failure" in first));
    // Replaced between the two processes: within one scan the first answer stands.
    unlinkSync(path);
    writeFileSync(path, "new");
    const second = readExeFile(`${tree}/21`, live(path), cache);
    assert.ok(!("failure" in second));
    assert.deepEqual(second.atPath, first.atPath);
    assert.deepEqual(readExeFile(`${tree}/21`, live(path), newExeFileCache(tree)), { running: idOf(path), atPath: idOf(path) }, "a new scan stats again");
  });

  test("the scan reads exeFile only when the plan asks, after exe", () => {
    const s = takeSnapshot(root, { plan: (rec) => (rec.pid === 10 ? Field.exe | Field.exeFile : Field.exe), checkVisibility: false });
    const m = new Map(s.processes.map((rec) => [rec.pid, rec]));
    assert.deepEqual(m.get(10)?.exeFile, { running: idOf(daemon), atPath: idOf(daemon) });
    assert.deepEqual([m.get(11)?.exeFile, m.get(11)?.readMask], [undefined, Field.exe]);
    const dangling = readOneProcess(root, 12, Field.exe | Field.exeFile);
    assert.deepEqual([dangling?.exeFile, dangling?.unknownMask, dangling?.unknownWhy], [undefined, Field.exeFile, { exeFile: "ENOENT" }]);
  });
});

describe("readScriptFile on fixture trees", () => {
  const lib = trees.make({ "x.pl": "sleep 600;\n__END__\n", "old.pl (deleted)": "replaced", "conf": "c" });
  const script = join(lib, "x.pl");
  const perl = (pid: number, files: Record<string, ReturnType<typeof link>>, rootDir: string | null = "/") => ({
    stat: statLine({ pid, comm: "perl" }),
    exe: link("/usr/bin/perl"),
    fd: { 0: link("/dev/null"), 1: link("pipe:[77]"), ...files },
    root: rootDir === null ? null : link(rootDir),
    ns: { mnt: link(rootDir === lib ? "mnt:[4026532290]" : "mnt:[4026531841]") },
  });
  const root = trees.make({
    self,
    30: perl(30, { 3: link(script), 4: link(join(lib, "conf")) }),
    31: perl(31, {}, lib),
    32: perl(32, { 3: link(join(lib, "old.pl (deleted)")) }),
    33: perl(33, {}, null),
  });
  const argv = (path: string) => ["perl", "-w", path, join(lib, "conf")];

  test("a held script: its fd and dev:inode beside the file at the path; the root is procwatch's", () => {
    assert.deepEqual(readScriptFile(`${root}/30`, argv(script), newExeFileCache(root)), {
      held: [
        { path: script, deleted: false, fd: 3, file: idOf(script), atPath: idOf(script) },
        { path: join(lib, "conf"), deleted: false, fd: 4, file: idOf(join(lib, "conf")), atPath: idOf(join(lib, "conf")) },
      ],
      root: "same",
    });
  });

  test("another root (a chroot, or another mount namespace's): 'other', with both namespaces", () => {
    assert.deepEqual(readScriptFile(`${root}/31`, argv(script), newExeFileCache(root)), { held: [], root: "other", mountNs: "mnt:[4026532290]", ownMountNs: "mnt:[4026531841]" });
  });

  test("a held file that was replaced reads ' (deleted)': it is kept, marked deleted", () => {
    const old = join(lib, "old.pl");
    assert.deepEqual(readScriptFile(`${root}/32`, argv(old), newExeFileCache(root)), {
      held: [{ path: old, deleted: true, fd: 3, file: idOf(join(lib, "old.pl (deleted)")), atPath: { error: "ENOENT" } }],
      root: "same",
    });
  });

  test("an unreadable root or no self/root in the tree: the error, never 'same'", () => {
    assert.deepEqual(readScriptFile(`${root}/33`, argv(script), newExeFileCache(root)), { held: [], root: { error: "ENOENT" } });
    const noSelf = trees.make({ 30: perl(30, {}) });
    assert.deepEqual(readScriptFile(`${noSelf}/30`, argv(script), newExeFileCache(noSelf)), { held: [], root: { error: `${noSelf}/self/root: ENOENT` }, mountNs: "mnt:[4026531841]" });
  });

  test("the scan reads scriptFile only when the plan asks, after cmdline", () => {
    const tree = trees.make({ self, 40: { ...perl(40, { 3: link(script) }), cmdline: ["perl", script] }, 41: { ...perl(41, { 3: link(script) }), cmdline: ["perl", script] } });
    const s = takeSnapshot(tree, { plan: (rec) => Field.cmdline | (rec.pid === 40 ? Field.scriptFile : 0), checkVisibility: false });
    const m = new Map(s.processes.map((rec) => [rec.pid, rec]));
    assert.deepEqual(m.get(40)?.scriptFile, { held: [{ path: script, deleted: false, fd: 3, file: idOf(script), atPath: idOf(script) }], root: "same" });
    assert.equal(m.get(41)?.scriptFile, undefined);
  });
});

describe("on the real /proc", () => {
  test("this process runs the file its exe link names", () => {
    const exe = readlinkSync("/proc/self/exe");
    const r = readExeFile(`/proc/${process.pid}`, live(exe), newExeFileCache());
    assert.deepEqual(r, { running: idOf(exe), atPath: idOf(exe) });
  });

  test("this process resolves paths from procwatch's root, and holds nothing named by its argv", () => {
    const r = readScriptFile(`/proc/${process.pid}`, ["node", "/nonexistent/x.js"], newExeFileCache());
    assert.deepEqual(r, { held: [], root: "same" });
  });
});
