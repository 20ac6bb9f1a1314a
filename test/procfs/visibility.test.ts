// hidepid detection: decision tables, mountinfo parsing, and a real hidepid mount read as nobody.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, test, type TestContext } from "node:test";
import { Field, type Visibility } from "../../src/procfs/types.js";
import { decideVisibility, findProcMountOptions } from "../../src/procfs/visibility.js";
import { haveRoot, skipOrFail } from "../helpers/e2e.js";
import { removeProcTree, takeSnapshotInChild, tempProcRoot } from "../helpers/proctree.js";

const nobody = { euid: 65534, groups: [65534], hasPtrace: false };
const hidden = (opt: string, who = "other users' processes are"): Visibility => ({ kind: "hidden", reason: `proc is mounted hidepid=${opt}: ${who} invisible` });
const FULL: Visibility = { kind: "full" };

describe("decideVisibility", () => {
  const cases: [string, string, typeof nobody, Visibility][] = [
    ["no hidepid", "rw", nobody, FULL],
    ["hidepid=0", "rw,hidepid=0", nobody, FULL],
    ["hidepid=off", "rw,hidepid=off", nobody, FULL],
    ["hidepid=1 lists every PID (files unreadable: counted elsewhere)", "rw,hidepid=1", nobody, FULL],
    ["hidepid=noaccess", "rw,hidepid=noaccess", nobody, FULL],
    ["hidepid=2 (kernels < 5.8)", "rw,hidepid=2", nobody, hidden("2")],
    ["hidepid=invisible (kernels >= 5.8)", "rw,hidepid=invisible", nobody, hidden("invisible")],
    ["invisible, reader in the gid= group", "rw,gid=4,hidepid=invisible", { ...nobody, groups: [65534, 4] }, FULL],
    ["invisible, reader not in the gid= group", "rw,gid=4,hidepid=invisible", nobody, hidden("invisible")],
    ["invisible, reader has CAP_SYS_PTRACE", "rw,hidepid=invisible", { ...nobody, hasPtrace: true }, FULL],
    ["hidepid=ptraceable", "rw,hidepid=ptraceable", nobody, hidden("ptraceable", "processes this reader may not ptrace are")],
    ["hidepid=4", "rw,hidepid=4", nobody, hidden("4", "processes this reader may not ptrace are")],
    ["ptraceable ignores gid=", "rw,gid=4,hidepid=ptraceable", { ...nobody, groups: [4] }, hidden("ptraceable", "processes this reader may not ptrace are")],
    ["ptraceable, reader has CAP_SYS_PTRACE", "rw,hidepid=ptraceable", { ...nobody, hasPtrace: true }, FULL],
    ["subset=pid alone hides nothing", "rw,subset=pid", nobody, FULL],
    ["gid= alone hides nothing", "rw,gid=4", nobody, FULL],
  ];
  for (const [what, options, who, want] of cases) {
    test(what, () => assert.deepEqual(decideVisibility(options, who), want));
  }
});

describe("findProcMountOptions", () => {
  const sys = "21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw";
  const proc = "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw";
  const procHidden = "41 22 0:39 / /proc rw,relatime shared:30 master:12 - proc proc rw,gid=4,hidepid=invisible";
  const tmpfsOver = "42 41 0:40 / /proc rw,relatime - tmpfs tmpfs rw,size=1024k";
  const host = "50 26 0:41 / /srv/host\\040proc rw,relatime - proc proc rw,hidepid=2";
  const odd = "51 26 0:42 / /srv/a\\011b\\134c\\012d rw - proc proc rw,hidepid=invisible";
  const binfmt = "30 22 0:25 / /proc/sys/fs/binfmt_misc rw,relatime shared:15 - autofs systemd-1 rw,fd=30";
  const cases: [string, string[], string, string | undefined][] = [
    ["the proc mount at the point", [sys, proc, binfmt], "/proc", "rw"],
    ["mounts stack: the last one counts", [proc, binfmt, procHidden], "/proc", "rw,gid=4,hidepid=invisible"],
    ["a tmpfs mounted over the proc mount hides it", [proc, procHidden, tmpfsOver], "/proc", undefined],
    ["a mount below the point is not the point", [binfmt], "/proc", undefined],
    ["not a proc mount", [sys], "/sys", undefined],
    ["no entry at all", [sys, proc], "/srv/proc", undefined],
    ["space in the path is \\040", [proc, host], "/srv/host proc", "rw,hidepid=2"],
    ["tab, backslash and newline are \\011 \\134 \\012", [odd], "/srv/a\tb\\c\nd", "rw,hidepid=invisible"],
    ["empty mountinfo", [], "/proc", undefined],
  ];
  for (const [what, lines, point, want] of cases) {
    test(what, () => assert.equal(findProcMountOptions(`${lines.join("\n")}\n`, point), want));
  }
});

// A real proc mount with hidepid, scanned by a child running as nobody (root ignores hidepid).
describe("a real hidepid mount, read as nobody", () => {
  const mounted: string[] = [];
  after(() => {
    for (const dir of mounted) {
      execFileSync("umount", [dir]);
      removeProcTree(dir);
    }
  });

  function mountProc(t: TestContext, options: string): string | undefined {
    if (!haveRoot(t)) return undefined;
    const dir = tempProcRoot("procwatch-hidepid-");
    try {
      execFileSync("mount", ["-t", "proc", "-o", options, "proc", dir], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      removeProcTree(dir);
      const reason = `mount -t proc -o ${options} not permitted here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
      skipOrFail(t, reason);
      return undefined;
    }
    mounted.push(dir);
    return dir;
  }

  function scanAsNobody(dir: string) {
    const r = takeSnapshotInChild(dir, { uid: 65534, gid: 65534, fields: Field.status, checkVisibility: true });
    assert.ok(r.ok, r.ok ? "" : `child failed: ${r.status} ${r.signal} ${r.stderr}`);
    return r.snapshot;
  }

  test("hidepid=2: visibility is hidden, and pid 1 (root) is indeed not listed", (t) => {
    const dir = mountProc(t, "hidepid=2");
    if (dir === undefined) return;
    const s = scanAsNobody(dir);
    assert.deepEqual(s.visibility, hidden("invisible"));
    assert.equal(s.processes.some((p) => p.pid === 1), false);
    assert.ok(s.processes.every((p) => p.uids?.real === 65534 || p.uids?.effective === 65534), "only nobody's own processes are visible");
  });

  test("hidepid=2,gid=65534: the reader is in the group, so visibility is full and pid 1 is listed", (t) => {
    const dir = mountProc(t, "hidepid=2,gid=65534");
    if (dir === undefined) return;
    const s = scanAsNobody(dir);
    assert.deepEqual(s.visibility, FULL);
    assert.equal(s.processes.some((p) => p.pid === 1), true);
  });

  test("hidepid=ptraceable,gid=65534: the group does not help; hidden", (t) => {
    const dir = mountProc(t, "hidepid=ptraceable,gid=65534");
    if (dir === undefined) return;
    const s = scanAsNobody(dir);
    assert.deepEqual(s.visibility, hidden("ptraceable", "processes this reader may not ptrace are"));
    assert.equal(s.processes.some((p) => p.pid === 1), false);
  });

  test("hidepid=1: every PID listed, other users' stat unreadable (EPERM) and counted", (t) => {
    const dir = mountProc(t, "hidepid=1");
    if (dir === undefined) return;
    const s = scanAsNobody(dir);
    assert.deepEqual(s.visibility, FULL);
    assert.equal(s.processes.some((p) => p.pid === 1), false);
    assert.ok(s.unreadable > 0, "root's processes are counted as unreadable");
    assert.ok(s.skipped.denied >= s.unreadable);
  });
});
