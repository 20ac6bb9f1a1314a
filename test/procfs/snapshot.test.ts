// takeSnapshot / readOneProcess / readMoreFields on fixture trees written at test time, on the checked-in
// scenarios, as nobody (EACCES), and on the real /proc.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { createValueReuse } from "../../src/procfs/reuse.js";
import { readMoreFields, readOneProcess, takeSnapshot } from "../../src/procfs/snapshot.js";
import { Field, type ProcessRecord } from "../../src/procfs/types.js";
import { haveRoot } from "../helpers/e2e.js";
import {
  byteString, denied, fifo, fixtureRoot, link, makeProcTree, removeProcTree, statLine, statusText, takeSnapshotInChild, tempProcRoot,
  type DirSpec, type StatFields,
} from "../helpers/proctree.js";

const ALL = Field.status | Field.cmdline | Field.exe | Field.label;
const roots: string[] = [];
after(() => roots.forEach(removeProcTree));

function tree(spec: Parameters<typeof makeProcTree>[1]): string {
  const root = tempProcRoot();
  roots.push(root);
  return makeProcTree(root, spec);
}

/** A complete, ordinary process directory; override any file. */
function proc(f: StatFields & { uid?: number }, files: DirSpec = {}): DirSpec {
  return {
    stat: statLine(f),
    status: statusText({ pid: f.pid, name: f.comm, ppid: f.ppid ?? 1, uid: f.uid ?? 0, gid: f.uid ?? 0 }),
    cmdline: [f.comm],
    exe: link(`/usr/sbin/${byteString(f.comm)}`),
    "attr/current": "unconfined\n",
    ...files,
  };
}

const UNCONFINED = { module: "apparmor", raw: "unconfined", domain: "unconfined" };
const byPid = (procs: readonly ProcessRecord[]) => new Map(procs.map((p) => [p.pid, p]));
const pids = (procs: readonly ProcessRecord[]) => procs.map((p) => p.pid).sort((a, b) => a - b);

describe("takeSnapshot on a written tree", () => {
  let root: string;
  before(() => {
    root = tree({
      1: proc({ pid: 1, comm: "systemd", ppid: 0, utime: 200, stime: 50, starttime: 3, rss: 3000, threads: 1 }),
      2: proc({ pid: 2, comm: "kthreadd", ppid: 0, flags: 0x208040, rss: 0 }, { cmdline: "", exe: null }),
      4242: proc({ pid: 4242, comm: "sshd", utime: 7, stime: 5, threads: 2, starttime: 900 }, { task: { 4242: { stat: statLine({ pid: 4242, comm: "sshd" }) }, 4243: { stat: statLine({ pid: 4243, comm: "sshd" }) } } }),
      777: {}, // vanished between readdir and open
      888: proc({ pid: 888, comm: "broken" }, { stat: "888 (broken) S 1\n" }),
      // entries that are not PID directories
      self: link("4242"),
      "thread-self": link("4242/task/4242"),
      sys: { kernel: { pid_max: "4194304\n" } },
      uptime: "12345.67 23456.78\n",
      "1x": proc({ pid: 1, comm: "decoy" }),
      "2.old": proc({ pid: 2, comm: "decoy" }),
    });
  });

  test("one record per PID directory; others, vanished and malformed ones are left out", () => {
    const s = takeSnapshot(root, { checkVisibility: false });
    assert.deepEqual(pids(s.processes), [1, 2, 4242]);
    assert.deepEqual(s.skipped, { vanished: 1, denied: 0, parse: 1, other: 0 });
    assert.equal(s.unreadable, 0);
    assert.deepEqual(s.visibility, { kind: "full" });
    assert.equal(typeof s.atNs, "bigint");
  });

  test("without a plan only stat is read: every field from it, nothing else", () => {
    const s = takeSnapshot(root, { checkVisibility: false });
    assert.deepEqual(byPid(s.processes).get(4242), {
      pid: 4242, ppid: 1, startTicks: 900, state: "S", comm: "sshd", isKernelThread: false, cpuTicks: 12, utimeTicks: 7, stimeTicks: 5, majorFaults: 0, rssPages: 100, threads: 2, readMask: 0, unknownMask: 0,
    });
    assert.equal(byPid(s.processes).get(2)?.isKernelThread, true);
  });

  test("all fields: ids, argv, exe, label; a kernel thread has no exe and empty argv", () => {
    const s = takeSnapshot(root, { plan: () => ALL, checkVisibility: false });
    const sshd = byPid(s.processes).get(4242);
    assert.deepEqual(sshd?.uids, { real: 0, effective: 0, saved: 0, fs: 0 });
    assert.deepEqual(sshd?.argv, ["sshd"]);
    assert.deepEqual(sshd?.exe, { path: "/usr/sbin/sshd", deleted: false });
    assert.deepEqual(sshd?.labels, [UNCONFINED]);
    assert.deepEqual([sshd?.readMask, sshd?.unknownMask, sshd?.unknownWhy], [ALL, 0, undefined]);
    const kthreadd = byPid(s.processes).get(2);
    assert.deepEqual([kthreadd?.hasNoExe, kthreadd?.exe, kthreadd?.argv], [true, undefined, []]);
    assert.deepEqual(s.skipped, { vanished: 1, denied: 0, parse: 1, other: 0 });
  });

  test("the plan decides per process and round: fields not asked for are not read", () => {
    const asked: [number, number][] = [];
    const plan = (p: ProcessRecord) => {
      asked.push([p.pid, p.readMask]);
      if (p.comm !== "sshd") return 0;
      // round 1: status; round 2 (knowing the uid): exe
      return p.uids === undefined ? Field.status : p.uids.real === 0 ? Field.status | Field.exe : Field.status;
    };
    const s = takeSnapshot(root, { plan, checkVisibility: false });
    const m = byPid(s.processes);
    assert.deepEqual([m.get(4242)?.readMask, m.get(4242)?.argv, m.get(4242)?.labels], [Field.status | Field.exe, undefined, undefined]);
    assert.deepEqual(m.get(4242)?.exe, { path: "/usr/sbin/sshd", deleted: false });
    assert.deepEqual([m.get(1)?.readMask, m.get(1)?.uids], [0, undefined]);
    assert.deepEqual(asked.filter(([pid]) => pid === 4242), [[4242, 0], [4242, Field.status], [4242, Field.status | Field.exe]]);
  });

  test("readOneProcess reads one PID; a missing or vanished one is undefined", () => {
    const rec = readOneProcess(root, 4242, Field.cmdline);
    assert.deepEqual([rec?.comm, rec?.argv, rec?.readMask], ["sshd", ["sshd"], Field.cmdline]);
    assert.equal(readOneProcess(root, 5, Field.cmdline), undefined);
    assert.equal(readOneProcess(root, 777, Field.cmdline), undefined);
    assert.equal(readOneProcess(root, 888, 0), undefined);
  });

  test("readMoreFields adds only the missing fields, returning a new record", () => {
    const rec = readOneProcess(root, 4242, Field.status);
    assert.ok(rec !== undefined);
    const more = readMoreFields(root, rec, Field.status | Field.label);
    assert.notEqual(more, rec);
    assert.deepEqual([more.readMask, more.labels, rec.labels], [Field.status | Field.label, [UNCONFINED], undefined]);
    assert.equal(readMoreFields(root, more, Field.label), more, "nothing new to read: the same record");
  });

  test("readMoreFields on a process that left returns the record unchanged", () => {
    const rec = readOneProcess(root, 4242, 0);
    assert.ok(rec !== undefined);
    const gone = tree({});
    assert.equal(readMoreFields(gone, rec, Field.cmdline), rec);
  });
});

describe("takeSnapshot with values reused across scans (the daemon's)", () => {
  test("records equal those of a scan without reuse; unchanged values are the earlier scan's objects", () => {
    const root = tree({
      1: proc({ pid: 1, comm: "systemd", ppid: 0 }),
      20: proc({ pid: 20, comm: "worker", uid: 1000 }),
      21: proc({ pid: 21, comm: "worker", uid: 1000 }),
      22: proc({ pid: 22, comm: "setuid" }, { status: statusText({ pid: 22, name: "setuid", uid: [1000, 0, 1000, 0], gid: 1000 }) }),
      23: proc({ pid: 23, comm: "unlinked" }, { exe: link("/usr/sbin/unlinked (deleted)"), "attr/current": null }),
      24: proc({ pid: 24, comm: "unlabeled" }, { "attr/current": null }),
    });
    const reuse = createValueReuse();
    const first = takeSnapshot(root, { plan: () => ALL, checkVisibility: false, reuse });
    const second = takeSnapshot(root, { plan: () => ALL, checkVisibility: false, reuse });
    const plain = takeSnapshot(root, { plan: () => ALL, checkVisibility: false });
    assert.deepEqual(second.processes, plain.processes);
    assert.deepEqual(first.processes, plain.processes);
    const [a, b] = [byPid(first.processes), byPid(second.processes)];
    for (const pid of [1, 20, 21, 23]) {
      assert.equal(b.get(pid)?.exe, a.get(pid)?.exe, `exe of ${pid}`);
      assert.equal(b.get(pid)?.uids, a.get(pid)?.uids, `uids of ${pid}`);
    }
    // One object for equal values within a scan too.
    assert.equal(b.get(20)?.uids, b.get(21)?.uids);
    assert.ok(b.get(23)?.unknownWhy?.label !== undefined, "the missing attr/current leaves the label unknown");
    assert.equal(b.get(23)?.unknownWhy, b.get(24)?.unknownWhy);
    assert.deepEqual(b.get(23)?.exe, { path: "/usr/sbin/unlinked", deleted: true });
    // A set of unequal ids is the scan's own.
    assert.notEqual(b.get(22)?.uids, a.get(22)?.uids);
    assert.deepEqual(b.get(22)?.uids, { real: 1000, effective: 0, saved: 1000, fs: 0 });
  });
});

describe("takeSnapshot: odd files and values", () => {
  test("invalid UTF-8 in comm, argv and exe survives byte for byte, and near-identical names stay distinct", () => {
    const a = Buffer.from([0x61, 0x62, 0xff, 0xfe]);
    const b = Buffer.from([0x61, 0x62, 0xfe, 0xff]);
    const root = tree({
      10: proc({ pid: 10, comm: a }, { cmdline: [a, Buffer.from([0xc3, 0x28])], exe: link(Buffer.concat([Buffer.from("/opt/"), a])) }),
      11: proc({ pid: 11, comm: b }),
    });
    const m = byPid(takeSnapshot(root, { plan: () => Field.cmdline | Field.exe, checkVisibility: false }).processes);
    assert.equal(m.get(10)?.comm, "ab\xff\xfe");
    assert.equal(m.get(11)?.comm, "ab\xfe\xff");
    assert.deepEqual(m.get(10)?.argv, ["ab\xff\xfe", "\xc3("]);
    assert.equal(m.get(10)?.exe?.path, "/opt/ab\xff\xfe");
    assert.equal(Buffer.from(m.get(10)?.comm ?? "", "latin1").equals(a), true);
  });

  test("hostile comm 'a) Z 1 1 1 1 1' keeps its real state and ppid", () => {
    const root = tree({ 12: proc({ pid: 12, comm: "a) Z 1 1 1 1 1", state: "S", ppid: 4242 }) });
    const [p] = takeSnapshot(root, { checkVisibility: false }).processes;
    assert.deepEqual([p?.comm, p?.state, p?.ppid], ["a) Z 1 1 1 1 1", "S", 4242]);
  });

  test("exe ' (deleted)' is stripped once and flagged", () => {
    const root = tree({ 13: proc({ pid: 13, comm: "ntpd" }, { exe: link("/usr/sbin/ntpd (deleted) (deleted)") }) });
    assert.deepEqual(readOneProcess(root, 13, Field.exe)?.exe, { path: "/usr/sbin/ntpd (deleted)", deleted: true });
  });

  test("cmdline longer than the cap: the start, marked truncated", () => {
    const root = tree({ 14: proc({ pid: 14, comm: "java" }, { cmdline: ["java", "x".repeat(100)] }) });
    const [p] = takeSnapshot(root, { plan: () => Field.cmdline, cmdlineCapBytes: 10, checkVisibility: false }).processes;
    assert.deepEqual([p?.argv, p?.argvTruncated], [["java", "xxxxx"], true]);
    const [q] = takeSnapshot(root, { plan: () => Field.cmdline, cmdlineCapBytes: 106, checkVisibility: false }).processes;
    assert.deepEqual([q?.argv?.[1]?.length, q?.argvTruncated], [100, undefined], "exactly at the cap is not truncated");
  });

  test("no attr/current (kernel without CONFIG_SECURITY): label unknown, the process is kept", () => {
    const root = tree({ 15: proc({ pid: 15, comm: "x" }, { "attr/current": null }) });
    const s = takeSnapshot(root, { plan: () => Field.label, checkVisibility: false });
    assert.deepEqual(pids(s.processes), [15]);
    assert.deepEqual([s.processes[0]?.labels, s.processes[0]?.unknownMask, s.processes[0]?.unknownWhy], [undefined, Field.label, { label: "ENOENT" }]);
    assert.deepEqual(s.skipped, { vanished: 0, denied: 0, parse: 0, other: 0 });
  });

  test("a file that cannot be read for another reason (a directory: EISDIR) is unknown and counted as other", () => {
    const root = tree({ 16: proc({ pid: 16, comm: "x" }, { cmdline: {} }) });
    const s = takeSnapshot(root, { plan: () => Field.cmdline, checkVisibility: false });
    assert.deepEqual([s.processes[0]?.unknownMask, s.processes[0]?.unknownWhy], [Field.cmdline, { cmdline: "EISDIR" }]);
    assert.deepEqual(s.skipped, { vanished: 0, denied: 0, parse: 0, other: 1 });
  });

  test("a status that does not parse drops the process, counted as parse; the scan goes on", () => {
    const root = tree({
      17: proc({ pid: 17, comm: "x" }, { status: "Name:\tx\nUid:\t0\n" }),
      18: proc({ pid: 18, comm: "y" }),
    });
    const s = takeSnapshot(root, { plan: () => Field.status, checkVisibility: false });
    assert.deepEqual([pids(s.processes), s.skipped.parse], [[18], 1]);
  });

  test("a vanished process in the middle of a plan (status gone) is skipped as vanished", () => {
    const root = tree({ 19: proc({ pid: 19, comm: "x" }, { status: null }) });
    const s = takeSnapshot(root, { plan: () => Field.status, checkVisibility: false });
    assert.deepEqual([s.processes.length, s.skipped.vanished], [0, 1]);
  });
});

describe("takeSnapshot in a child process (deadline, other uid)", () => {
  test("a FIFO as cmdline, stat of another process and attr/current does not hang the scan (O_NONBLOCK)", () => {
    const root = tree({
      20: proc({ pid: 20, comm: "hang" }, { cmdline: fifo(), "attr/current": fifo() }),
      21: { stat: fifo() },
      22: proc({ pid: 22, comm: "after" }),
    });
    const r = takeSnapshotInChild(root, { fields: Field.cmdline | Field.label, timeoutMs: 20_000 });
    assert.ok(r.ok, r.ok ? "" : `child did not finish: signal ${r.signal}, status ${r.status}: ${r.stderr}`);
    const m = byPid(r.snapshot.processes);
    assert.deepEqual([...m.keys()].sort(), [20, 22]);
    assert.deepEqual([m.get(20)?.argv, m.get(20)?.labels], [[], []], "an empty read, as from a zombie: no label");
    assert.equal(r.snapshot.skipped.parse, 1, "the FIFO stat reads empty and does not parse");
  });

  test("as nobody: EACCES fields are unknown with the reason; a denied stat is counted as unreadable", (t) => {
    if (!haveRoot(t)) return;
    const root = tree({
      30: proc({ pid: 30, comm: "secret" }, { status: denied(statusText({ pid: 30, name: "secret" })), cmdline: denied("secret\0"), "attr/current": denied("unconfined\n") }),
      31: proc({ pid: 31, comm: "hidden" }, { stat: denied(statLine({ pid: 31, comm: "hidden" })) }),
      32: proc({ pid: 32, comm: "open" }),
    });
    // root ignores modes: the same tree reads fully in-process
    assert.deepEqual(takeSnapshot(root, { plan: () => ALL, checkVisibility: false }).skipped, { vanished: 0, denied: 0, parse: 0, other: 0 });
    const r = takeSnapshotInChild(root, { uid: 65534, gid: 65534, fields: ALL });
    assert.ok(r.ok, r.ok ? "" : r.stderr);
    const m = byPid(r.snapshot.processes);
    assert.deepEqual([...m.keys()].sort(), [30, 32]);
    const p = m.get(30);
    assert.deepEqual([p?.readMask, p?.unknownMask, p?.unknownWhy], [ALL, Field.status | Field.cmdline | Field.label, { status: "EACCES", cmdline: "EACCES", label: "EACCES" }]);
    assert.deepEqual([p?.uids, p?.argv, p?.labels, p?.exe], [undefined, undefined, undefined, { path: "/usr/sbin/secret", deleted: false }]);
    assert.deepEqual([m.get(32)?.unknownMask, m.get(32)?.labels], [0, [UNCONFINED]]);
    assert.equal(r.snapshot.unreadable, 1);
    assert.deepEqual(r.snapshot.skipped, { vanished: 0, denied: 4, parse: 0, other: 0 });
  });
});

describe("checked-in scenarios", () => {
  const scan = (scenario: string) => byPid(takeSnapshot(fixtureRoot(scenario), { plan: () => ALL, checkVisibility: false }).processes);

  test("kernel-threads: long names intact, PF_KTHREAD seen, no exe is a value not an error", () => {
    const s = takeSnapshot(fixtureRoot("kernel-threads"), { plan: () => ALL, checkVisibility: false });
    assert.deepEqual(s.processes.map((p) => [p.pid, p.comm]).sort((a, b) => Number(a[0]) - Number(b[0])), [
      [2, "kthreadd"], [12, "kworker/u8:0-events_unbound"], [13, "kworker/R-mm_percpu_wq"], [14, "ksoftirqd/0"], [16, "rcu_exp_par_gp_kthread_worker/0"],
    ]);
    for (const p of s.processes) {
      assert.deepEqual([p.isKernelThread, p.hasNoExe, p.exe, p.argv, p.unknownWhy], [true, true, undefined, [], { label: "ENOENT" }], `pid ${p.pid}`);
    }
    assert.deepEqual(s.skipped, { vanished: 0, denied: 0, parse: 0, other: 0 });
  });

  test("odd-names: every name equals the kernel's comm file; none mistaken for a kernel thread", () => {
    const root = fixtureRoot("odd-names");
    const m = scan("odd-names");
    assert.equal(m.size, readdirSync(root).filter((n) => /^\d+$/.test(n)).length);
    for (const [pid, p] of m) {
      assert.equal(`${p.comm}\n`, readFileSync(`${root}/${pid}/comm`, "latin1"));
      assert.equal(p.isKernelThread, false);
    }
    assert.deepEqual([m.get(21911)?.comm, m.get(21911)?.state], ["a) Z 1 1 1 1 1", "S"]);
    assert.equal(m.get(21915)?.comm, "ab\xff\xfe");
    assert.equal(m.get(21917)?.comm, "pw-averyveryver", "15 bytes of the link name");
    assert.deepEqual(m.get(21921)?.exe, { path: "/tmp/pwcap/ntpd", deleted: true });
    assert.deepEqual(m.get(21923)?.uids, { real: 65534, effective: 65534, saved: 65534, fs: 65534 });
  });

  describe("selinux: the label is the whole context, NUL stripped; the domain is the type", () => {
    const cases: [number, string, string][] = [
      [1, "system_u:system_r:init_t:s0", "init_t"],
      [2, "system_u:system_r:kernel_t:s0", "kernel_t"],
      [790, "system_u:system_r:auditd_t:s0", "auditd_t"],
      [812, "system_u:system_r:sshd_t:s0-s0:c0.c1023", "sshd_t"],
      [905, "system_u:system_r:crond_t:s0-s0:c0.c1023", "crond_t"],
      [1203, "system_u:system_r:initrc_t:s0", "initrc_t"],
      [2210, "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "unconfined_t"],
      [2255, "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "unconfined_t"],
    ];
    const m = scan("selinux");
    test("every process listed", () => assert.deepEqual([...m.keys()].sort((a, b) => a - b), cases.map(([pid]) => pid)));
    for (const [pid, raw, domain] of cases) test(String(pid), () => assert.deepEqual(m.get(pid)?.labels, [{ module: "selinux", raw, domain }]));
    test("the fake sshd: same comm as the real one, another uid, exe and label", () => {
      const [real, fake] = [m.get(812), m.get(2255)];
      assert.deepEqual([real?.comm, real?.uids?.real, real?.exe?.path], ["sshd", 0, "/usr/sbin/sshd"]);
      assert.deepEqual([fake?.comm, fake?.uids?.real, fake?.exe?.path], ["sshd", 1000, "/home/alice/sshd"]);
      assert.deepEqual(real?.argv, ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"]);
    });
  });

  describe("apparmor: profile and mode, newline stripped; the domain is the profile", () => {
    const cases: [number, string, string][] = [
      [1, "unconfined", "unconfined"],
      [2, "unconfined", "unconfined"],
      [640, "/usr/sbin/ntpd (enforce)", "/usr/sbin/ntpd"],
      [702, "/usr/sbin/cupsd (complain)", "/usr/sbin/cupsd"],
      [1480, "lxc-container-default-cgns//&docker-default (enforce)", "lxc-container-default-cgns//&docker-default"],
      [2301, "unconfined", "unconfined"],
    ];
    const m = scan("apparmor");
    test("every process listed", () => assert.deepEqual([...m.keys()].sort((a, b) => a - b), cases.map(([pid]) => pid)));
    for (const [pid, raw, domain] of cases) test(String(pid), () => assert.deepEqual(m.get(pid)?.labels, [{ module: "apparmor", raw, domain }]));
  });
});

describe("takeSnapshot on the real /proc", () => {
  let worker: Worker | undefined;
  after(() => worker?.terminate());

  test("finds this test process with its pid, ppid and comm (ps as the oracle)", () => {
    const s = takeSnapshot("/proc", { plan: () => Field.status | Field.cmdline });
    const me = byPid(s.processes).get(process.pid);
    assert.ok(me !== undefined);
    const psComm = execFileSync("ps", ["-o", "comm=", "-p", String(process.pid)], { encoding: "latin1" }).trimEnd();
    assert.deepEqual([me.pid, me.ppid, me.comm, me.isKernelThread], [process.pid, process.ppid, psComm, false]);
    assert.equal(me.uids?.real, process.getuid?.());
    assert.deepEqual(me.argv?.slice(0, 1), [readFileSync("/proc/self/cmdline", "latin1").split("\0")[0]]);
  });

  test("threads are not listed as processes (a worker thread's TID is absent)", async () => {
    worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
    await new Promise((resolve) => worker?.once("online", resolve));
    const tids = readdirSync("/proc/self/task").map(Number).filter((tid) => tid !== process.pid);
    assert.ok(tids.length > 0, "this process has threads besides the main one");
    // a TID is reachable as /proc/<tid> although readdir does not list it
    assert.ok(tids.every((tid) => readFileSync(`/proc/${tid}/stat`, "latin1").startsWith(`${tid} (`)));
    const s = takeSnapshot("/proc");
    const listed = new Set(s.processes.map((p) => p.pid));
    assert.ok(listed.has(process.pid));
    assert.deepEqual(tids.filter((tid) => listed.has(tid)), []);
    const me = s.processes.find((p) => p.pid === process.pid);
    assert.ok((me?.threads ?? 0) > 1, "the threads are counted in the process instead");
  });

  test("as nobody: root's exe is unknown (EACCES), not 'no executable'", (t) => {
    if (!haveRoot(t)) return;
    const r = takeSnapshotInChild("/proc", { uid: 65534, gid: 65534, fields: Field.exe });
    assert.ok(r.ok, r.ok ? "" : r.stderr);
    const init = r.snapshot.processes.find((p) => p.pid === 1);
    assert.deepEqual([init?.exe, init?.hasNoExe, init?.unknownWhy], [undefined, undefined, { exe: "EACCES" }]);
    assert.ok(r.snapshot.skipped.denied > 0);
  });
});
