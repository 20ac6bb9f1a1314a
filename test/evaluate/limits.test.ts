// Pure: rss=, fds=, threads=, age= judged on the matched processes, and unit=/cgroup=/container=
// matching against the cgroup the kernel reported. Records are built literally (the data type).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRules, type RuleVerdict } from "../../src/evaluate/verdict.js";
import { Field, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc, type RecordSpec } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.fds | Field.cgroup;
const snap = (processes: ProcessRecord[]): Snapshot => ({ atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0 });
/** Ages: pid → ms since start. */
function judge(arg: string, processes: ProcessRecord[], ages: Record<number, number> = {}): RuleVerdict {
  const rule = parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
  const [v] = evaluateRules([rule], snap(processes), ctx, undefined, { ageMs: (p) => ages[p.pid] });
  assert.ok(v !== undefined);
  return v;
}
const worker = (pid: number, extra: Omit<RecordSpec, "pid" | "comm"> = {}) => proc({ pid, comm: "worker", readMask: ALL, rssKib: 1024, fds: { open: 10, softLimit: 1024 }, ...extra });

describe("limits on the matched processes", () => {
  const cases: [string, ProcessRecord[], Record<number, number>, string, string[]][] = [
    ["worker:1-,rss=-2M", [worker(1), worker(2)], {}, "ok", []],
    ["worker:1-,rss=-2M", [worker(1), worker(2, { rssKib: 4096 })], {}, "fail", ["2: rss 4 MiB > 2 MiB"]],
    ["worker:1-,rss=2M-", [worker(1)], {}, "fail", ["1: rss 1 MiB < 2 MiB"]],
    ["worker:1-,fds=-100", [worker(1, { fds: { open: 101, softLimit: 1024 } })], {}, "fail", ["1: open fds 101 > 100"]],
    ["worker:1-,fds=-80%", [worker(1, { fds: { open: 900, softLimit: 1024 } })], {}, "fail", ["1: open fds 900 of 1024 = 87.9 percent > 80 percent"]],
    ["worker:1-,fds=-80%", [worker(1, { fds: { open: 900 } })], {}, "ok", []],
    ["worker:1-,threads=-4", [worker(1, { threads: 5 }), worker(2)], {}, "fail", ["1: threads 5 > 4"]],
    ["worker:1-,age=10m-", [worker(1), worker(2)], { 1: 3_600_000, 2: 42_000 }, "fail", ["2: up 42s < 10m"]],
    ["worker:1-,age=10m-", [worker(1)], { 1: 3_600_000 }, "ok", []],
    ["worker:1-,rss=-2M,threads=-1", [worker(1, { rssKib: 4096, threads: 3 })], {}, "fail", ["1: rss 4 MiB > 2 MiB, threads 3 > 1"]],
  ];
  for (const [arg, processes, ages, state, violations] of cases) {
    test(`${arg} → ${state} ${violations.join("; ")}`, () => {
      const v = judge(arg, processes, ages);
      assert.equal(v.state, state);
      assert.equal(v.countState, "ok", "limits never change the count");
      assert.deepEqual(v.limits?.violations.map((x) => `${x.process.pid}: ${x.reason}`), violations);
    });
  }

  test("a figure that could not be read makes the rule unknown, naming the process and why", () => {
    const hidden = worker(3, { fds: undefined, unknownMask: Field.fds, unknownWhy: { fds: "EACCES" } });
    const v = judge("worker:1-,fds=-100", [worker(1), hidden]);
    assert.equal(v.state, "unknown");
    assert.deepEqual(v.limits?.unknowns.map((x) => `${x.process.pid}: ${x.why}`), ["3: open fds unreadable (EACCES)"]);
  });

  test("a violation beats an unknown elsewhere: the rule fails", () => {
    const hidden = worker(3, { fds: undefined, unknownMask: Field.fds, unknownWhy: { fds: "EACCES" } });
    assert.equal(judge("worker:1-,fds=-100", [worker(1, { fds: { open: 500 } }), hidden]).state, "fail");
  });

  test("without clock facts age= is unknown, never a guess", () => {
    const rule = parseOneLiner("worker:1-,age=10m-", { accounts, source: { file: "argv", line: 1, column: 1 } });
    const [v] = evaluateRules([rule], snap([worker(1)]), ctx);
    assert.equal(v?.state, "unknown");
  });

  test("restarts= alone is the daemon's: a one-shot evaluation leaves the rule to its count", () => {
    const v = judge("worker:1-,restarts=-3/10m", [worker(1)]);
    assert.deepEqual([v.state, v.limits], ["ok", undefined]);
  });
});

describe("unit=, cgroup=, container=", () => {
  const ID = "4f0c2d9b7e1a3c5d6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d";
  const inUnit = worker(1, { cgroup: { path: "/system.slice/worker.service", unit: "worker.service" } });
  const byHand = worker(2, { cgroup: { path: "/user.slice/user-0.slice/session-3.scope", unit: "session-3.scope" } });
  const inContainer = worker(3, { cgroup: { path: `/system.slice/docker-${ID}.scope`, unit: `docker-${ID}.scope`, containerId: ID } });
  const all = [inUnit, byHand, inContainer];
  const cases: [string, number[], string[]][] = [
    ["worker:1-,unit=worker.service", [1], ["2: unit=worker.service: runs in unit session-3.scope (cgroup /user.slice/user-0.slice/session-3.scope)", `3: unit=worker.service: runs in unit docker-${ID}.scope (cgroup /system.slice/docker-${ID}.scope)`]],
    ["worker:0-0,unit!=worker.service", [2, 3], ["1: unit!=worker.service: runs in unit worker.service (cgroup /system.slice/worker.service)"]],
    ["worker:1-,cgroup=/system.slice/*", [1, 3], ["2: cgroup=/system.slice/*: runs in unit session-3.scope (cgroup /user.slice/user-0.slice/session-3.scope)"]],
    ["worker:1-,container=*", [3], ["1: container=*: runs not in a container", "2: container=*: runs not in a container"]],
    ["worker:1-,container!=*", [1, 2], [`3: container!=*: runs in container ${ID}`]],
    [`worker:1-,container=${ID.slice(0, 12)}*`, [3], ["1: container=4f0c2d9b7e1a*: runs not in a container", "2: container=4f0c2d9b7e1a*: runs not in a container"]],
  ];
  for (const [arg, counted, near] of cases) {
    test(arg, () => {
      const v = judge(arg, all);
      assert.deepEqual(v.matches.map((p) => p.pid), counted);
      assert.deepEqual(v.nearMisses.map((n) => `${n.process.pid}: ${n.reason}`), near);
    });
  }

  test("an unreadable cgroup is undecided", () => {
    const v = judge("worker:1-,unit=worker.service", [worker(4, { cgroup: undefined, unknownMask: Field.cgroup, unknownWhy: { cgroup: "EIO" } })]);
    assert.deepEqual([v.state, v.unknowns.map((u) => u.why)], ["unknown", ["cgroup unreadable (EIO)"]]);
  });
});
