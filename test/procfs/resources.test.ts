// The files behind rss=, fds=, threads=, age=, unit=, cgroup=, container= and the per-rule resource
// metrics: parsers on captured texts, and the reader on a written tree (only what a plan asks).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { describeCgroup, parseCgroup } from "../../src/procfs/cgroup.js";
import { ProcParseError } from "../../src/procfs/errors.js";
import { parseIo } from "../../src/procfs/io.js";
import { parseOpenFilesLimit } from "../../src/procfs/limits.js";
import { takeSnapshot } from "../../src/procfs/snapshot.js";
import { parseStat } from "../../src/procfs/stat.js";
import { parseStatus } from "../../src/procfs/status.js";
import { Field } from "../../src/procfs/types.js";
import { makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const ID = "4f0c2d9b7e1a3c5d6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d";

describe("parseCgroup", () => {
  const cases: [string, string, { path: string; unit?: string; containerId?: string }][] = [
    ["cgroup v2, a system service", "0::/system.slice/ssh.service\n", { path: "/system.slice/ssh.service", unit: "ssh.service" }],
    ["cgroup v2, a login session", "0::/user.slice/user-1000.slice/session-3.scope\n", { path: "/user.slice/user-1000.slice/session-3.scope", unit: "session-3.scope" }],
    ["cgroup v2, nested: the innermost unit", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n",
      { path: "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", unit: "foo.service" }],
    ["cgroup v2, a unit's sub-cgroup", "0::/system.slice/nginx.service/workers\n", { path: "/system.slice/nginx.service/workers", unit: "nginx.service" }],
    ["cgroup v1 with systemd's own tree", "12:pids:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n0::/\n",
      { path: "/system.slice/cron.service", unit: "cron.service" }],
    ["hybrid without systemd: every path the root", "9:name=systemd:/\n4:memory:/\n0::/\n", { path: "/" }],
    ["docker under systemd", `0::/system.slice/docker-${ID}.scope\n`, { path: `/system.slice/docker-${ID}.scope`, unit: `docker-${ID}.scope`, containerId: ID }],
    ["docker, cgroupfs driver", `0::/docker/${ID}\n`, { path: `/docker/${ID}`, containerId: ID }],
    ["containerd in a Kubernetes pod", `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope\n`,
      { path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope`, unit: `cri-containerd-${ID}.scope`, containerId: ID }],
    ["podman", `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container\n`,
      { path: `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`, unit: `libpod-${ID}.scope`, containerId: ID }],
    ["a path holding ':'", "0::/system.slice/a:b.service\n", { path: "/system.slice/a:b.service", unit: "a:b.service" }],
  ];
  for (const [name, text, want] of cases) test(name, () => assert.deepEqual(parseCgroup(text), want));

  test("a slice alone is no unit", () => assert.deepEqual(describeCgroup("/system.slice"), { path: "/system.slice" }));

  const bad: [string, RegExp][] = [["", /no cgroup line/], ["garbage\n", /expected ID:CONTROLLERS:PATH/], ["0::relative\n", /not absolute/]];
  for (const [text, message] of bad) {
    test(`malformed: ${JSON.stringify(text)}`, () => assert.throws(() => parseCgroup(text), (e: unknown) => e instanceof ProcParseError && message.test(e.message)));
  }
});

describe("parseOpenFilesLimit", () => {
  const head = "Limit                     Soft Limit           Hard Limit           Units     \n";
  test("the soft limit", () => assert.equal(parseOpenFilesLimit(`${head}Max processes             96362                96362                processes \nMax open files            1024                 524288               files     \n`), 1024));
  test("unlimited", () => assert.equal(parseOpenFilesLimit(`${head}Max open files            unlimited            unlimited            files     \n`), undefined));
  test("no row", () => assert.throws(() => parseOpenFilesLimit(head), ProcParseError));
});

describe("parseIo, parseStatus extras, parseStat majflt", () => {
  test("io", () => {
    const text = "rchar: 323934931\nwchar: 323929600\nsyscr: 632687\nsyscw: 632675\nread_bytes: 8192\nwrite_bytes: 323932160\ncancelled_write_bytes: 0\n";
    assert.deepEqual(parseIo(text), { readBytes: 8192, writeBytes: 323932160 });
    assert.throws(() => parseIo("rchar: 1\n"), ProcParseError);
  });

  test("status: VmRSS and context switches; absent for a kernel thread", () => {
    const s = parseStatus(statusText({ pid: 9, name: "x", uid: [0, 0, 0, 0], gid: 0, rssKib: 15240 }).toString("latin1"));
    assert.equal(s.rssKib, 15240);
    assert.deepEqual(s.contextSwitches, { voluntary: 12, involuntary: 3 });
    const k = parseStatus(statusText({ pid: 2, name: "kthreadd", uid: [0, 0, 0, 0], gid: 0, kthread: true, rssKib: null }).toString("latin1"));
    assert.equal(k.rssKib, undefined);
  });

  test("stat: major faults are field 12", () => {
    const line = "4242 (x) S 1 4242 4242 0 -1 4194560 1200 0 37 0 5 3 0 0 20 0 1 0 700 10000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    const st = parseStat(line);
    assert.deepEqual([st.majorFaults, st.utimeTicks, st.stimeTicks, st.rssPages], [37, 5, 3, 250]);
  });
});

describe("the reader reads these files only when the plan asks", () => {
  const root = tempProcRoot();
  after(() => removeProcTree(root));
  const limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            64                   4096                 files     \n";
  makeProcTree(root, {
    500: {
      stat: statLine({ pid: 500, comm: "worker" }),
      status: statusText({ pid: 500, name: "worker", uid: [0, 0, 0, 0], gid: 0, rssKib: 2048 }),
      limits,
      cgroup: "0::/system.slice/worker.service\n",
      io: "read_bytes: 10\nwrite_bytes: 20\n",
      fd: { 0: "x", 1: "x", 2: "x", 3: "x" },
    },
  });

  test("nothing extra without a plan", () => {
    const [p] = takeSnapshot(root, { checkVisibility: false }).processes;
    assert.deepEqual([p?.fds, p?.cgroup, p?.io, p?.rssKib], [undefined, undefined, undefined, undefined]);
  });

  test("fds, cgroup, io and status when asked", () => {
    const [p] = takeSnapshot(root, { checkVisibility: false, plan: () => Field.fds | Field.cgroup | Field.io | Field.status }).processes;
    assert.deepEqual(p?.fds, { open: 4, softLimit: 64 });
    assert.deepEqual(p?.cgroup, { path: "/system.slice/worker.service", unit: "worker.service" });
    assert.deepEqual(p?.io, { readBytes: 10, writeBytes: 20 });
    assert.equal(p?.rssKib, 2048);
  });
});
