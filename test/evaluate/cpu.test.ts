import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type CpuFigures, lifetimeFigures, windowFigures } from "../../src/evaluate/cpu.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { confirmRunaways, evaluateRunaway, type RunawaySettings } from "../../src/evaluate/runaway.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import type { ProcessRecord, Snapshot } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const snap = (atSec: number, processes: ProcessRecord[], uptimeSec?: number): Snapshot => ({
  atNs: BigInt(atSec * 1e9), atMs: atSec * 1000, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 },
  visibility: { kind: "full" }, unreadable: 0, ...(uptimeSec === undefined ? {} : { uptimeSec }),
});

describe("window figures", () => {
  const before = snap(10, [
    proc({ pid: 1, comm: "a", startTicks: 500, cpuTicks: 100 }),
    proc({ pid: 2, comm: "b", startTicks: 600, cpuTicks: 1000 }),
    proc({ pid: 3, comm: "c", startTicks: 700, cpuTicks: 50 }),
  ]);
  const figures = windowFigures(before, BigInt(12 * 1e9), 100);
  const cases: [string, ProcessRecord, number | undefined][] = [
    ["200 ticks in 2 s at 100 Hz is one full CPU", proc({ pid: 1, comm: "a", startTicks: 500, cpuTicks: 300 }), 100],
    ["idle", proc({ pid: 3, comm: "c", startTicks: 700, cpuTicks: 50 }), 0],
    ["two threads busy", proc({ pid: 3, comm: "c", startTicks: 700, cpuTicks: 450 }), 200],
    ["a reused PID (new start time) has no figure, never a negative one", proc({ pid: 2, comm: "b2", startTicks: 1900, cpuTicks: 3 }), undefined],
    ["a process seen once has no figure, not 0", proc({ pid: 9, comm: "new", startTicks: 1100, cpuTicks: 0 }), undefined],
  ];
  for (const [what, rec, want] of cases) test(what, () => assert.equal(figures(rec), want));

  test("the figures do not keep the previous snapshot's records alive", async () => {
    // The daemon keeps its latest figures for a whole scan interval: holding the records there
    // doubled its live heap. Collect with V8's gc, exposed for this test only.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const make = (): { figures: CpuFigures; record: WeakRef<ProcessRecord> } => {
      const rec = proc({ pid: 7, comm: "held", startTicks: 500, cpuTicks: 100 });
      return { figures: windowFigures(snap(10, [rec]), BigInt(12 * 1e9), 100), record: new WeakRef(rec) };
    };
    const { figures: f, record } = make();
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(record.deref(), undefined);
    assert.equal(f(proc({ pid: 7, comm: "held", startTicks: 500, cpuTicks: 300 })), 100, "the figures still hold what they need");
  });

  test("another tick rate (250 Hz) is honoured", () => {
    const f = windowFigures(before, BigInt(12 * 1e9), 250);
    assert.equal(f(proc({ pid: 1, comm: "a", startTicks: 500, cpuTicks: 600 })), 100);
  });
});

describe("lifetime figures", () => {
  test("CPU seconds over age: 250 s of CPU in 500 s is 50%", () => {
    const f = lifetimeFigures(1000, 100);
    assert.equal(f(proc({ pid: 1, comm: "a", startTicks: 50_000, cpuTicks: 25_000 })), 50);
  });
  test("younger than one tick, or no uptime: no figure", () => {
    assert.equal(lifetimeFigures(1000, 100)(proc({ pid: 1, comm: "a", startTicks: 100_000, cpuTicks: 0 })), undefined);
    assert.equal(lifetimeFigures(undefined, 100)(proc({ pid: 1, comm: "a", startTicks: 10, cpuTicks: 5 })), undefined);
  });
  test("the tick rate comes from the caller (CLK_TCK), never a hard-coded 100", () => {
    assert.equal(lifetimeFigures(1000, 250)(proc({ pid: 1, comm: "a", startTicks: 125_000, cpuTicks: 62_500 })), 50);
  });
});

describe("runaways", () => {
  const settings = (over: Partial<RunawaySettings> = {}): RunawaySettings => ({
    maxPercent: 90, exemptNames: new Set(["gzip"]), exemptUids: new Set([107]), normalUsers: { min: 1000, max: 60000 }, top: 5, ...over,
  });
  const processes = [
    proc({ pid: 1, comm: "spin", uids: ids(0), cpuTicks: 95 }),
    proc({ pid: 2, comm: "gzip", uids: ids(0), cpuTicks: 99 }),
    proc({ pid: 3, comm: "tor", uids: ids(107), cpuTicks: 99 }),
    proc({ pid: 4, comm: "xz", uids: ids(1000), cpuTicks: 99 }),
    proc({ pid: 5, comm: "calm", uids: ids(0), cpuTicks: 10 }),
    proc({ pid: 6, comm: "hog", uids: ids(65534), cpuTicks: 190 }),
    proc({ pid: 7, comm: "python3", argv: ["python3", "/opt/boinc_worker.py"], uids: ids(0), cpuTicks: 150 }),
  ];
  // figures straight from cpuTicks: 1 tick = 1% here
  const scale = { basis: { kind: "window" as const, windowMs: 1000 }, clockTicks: 100, figures: (p: ProcessRecord) => p.cpuTicks };
  const s = snap(1, processes, 500);

  test("exempt by name, by user and as an ordinary user; highest first", () => {
    const r = evaluateRunaway(s, scale, settings(), ctx);
    assert.deepEqual(r.offenders.map((o) => [o.process.pid, o.percent]), [[6, 190], [7, 150], [1, 95]]);
    assert.equal(r.exempted, 3);
    assert.equal(r.measured, 7);
  });

  test("an interpreter's script name can be exempt", () => {
    const r = evaluateRunaway(s, scale, settings({ exemptNames: new Set(["boinc_worker.py"]) }), ctx);
    assert.deepEqual(r.offenders.map((o) => o.process.pid), [6, 2, 1]);
  });

  test("ordinary users count when their range is dropped (--cpu-include-normal-users)", () => {
    const { normalUsers: _drop, ...rest } = settings();
    const r = evaluateRunaway(s, scale, rest, ctx);
    assert.ok(r.offenders.some((o) => o.process.pid === 4));
  });

  test("procwatch's own processes are never runaways", () => {
    const r = evaluateRunaway(s, scale, settings(), { ...ctx, excluded: new Set([6, 7]) });
    assert.deepEqual(r.offenders.map((o) => o.process.pid), [1]);
  });

  test("with --recheck only the same process (pid + start time) over the limit twice is reported", () => {
    const first = evaluateRunaway(s, scale, settings(), ctx);
    const again = snap(3, [proc({ pid: 6, comm: "hog", uids: ids(65534), cpuTicks: 190, startTicks: 9999 }), processes[0] as ProcessRecord], 502);
    const second = evaluateRunaway(again, scale, settings(), ctx);
    assert.deepEqual(confirmRunaways(first, second).offenders.map((o) => o.process.pid), [1]);
  });

  test("elapsed time comes from the uptime and the start time", () => {
    const r = evaluateRunaway(s, scale, settings(), ctx);
    assert.equal(r.offenders.find((o) => o.process.pid === 1)?.ageSec, 500 - 1001 / 100);
  });
});

describe("cpu= on a count rule bounds the total of the matched processes", () => {
  const accounts = fixtureAccounts();
  const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
  const workers = [proc({ pid: 1, comm: "boinc", cpuTicks: 30 }), proc({ pid: 2, comm: "boinc", cpuTicks: 40 })];
  const figures = (p: ProcessRecord) => p.cpuTicks;
  const cases: [string, string, string][] = [
    ["boinc:1-,cpu=50-", "ok", "70% busy"],
    ["boinc:1-,cpu=80-", "fail", "working too little"],
    ["boinc:1-,cpu=-60", "fail", "spinning"],
    ["boinc:3-,cpu=50-", "fail", "the count still counts"],
  ];
  for (const [arg, state, what] of cases) {
    test(`${arg}: ${what}`, () => {
      const [v] = evaluateRules([rule(arg)], snap(1, workers), ctx, figures);
      assert.equal(v?.state, state);
      assert.equal(v?.cpu?.percent, 70);
    });
  }
  test("a matched process without a figure makes the total unknown, never a made-up 0", () => {
    const [v] = evaluateRules([rule("boinc:1-,cpu=80-")], snap(1, workers), ctx, (p) => (p.pid === 2 ? undefined : p.cpuTicks));
    assert.deepEqual([v?.state, v?.cpu?.percent, v?.cpu?.unmeasured], ["unknown", 30, 1]);
  });
  test("the label keeps cpu= (a busy check is its own rule)", () => {
    assert.equal(rule("boinc:1-,cpu=50-").label, "boinc,cpu=50-");
    assert.deepEqual(rule("named:1-1,cpu=-80").cpu, { max: 80 });
  });
});
