// Debian's real ps.monitor as the oracle for procwatch check: same processes, same rules, same
// verdict and the same failing rules/counts, wherever ps.monitor is right; where it is known to
// be wrong (0 bounds, zombies, loose parsing, -w as a script name), procwatch's documented
// behaviour. Also runs examples/ps.monitor, the drop-in shim, with ps.monitor-style arguments.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, runCli } from "../helpers/cli.js";
import { havePsMonitor, PS_MONITOR, PS_MONITOR_SHIM, runMonitor } from "../helpers/mon.js";
import { childrenOf, ProcessPool, uniqueName, waitForComm } from "../helpers/procs.js";

const pool = new ProcessPool();
after(() => pool.cleanup());

/** Names with 0, 1, 2 and 3 running processes; `Z` has one zombie, `Y` one zombie and one live process. */
const names = { N0: uniqueName("o"), N1: uniqueName("o"), N2: uniqueName("o"), N3: uniqueName("o"), Z: uniqueName("z"), Y: uniqueName("y") };
type Placeholder = keyof typeof names;

/** "N2:1-1" → "pwo1a2b3c4d:1-1": the placeholder before ':' (or anywhere) becomes the unique name. */
function fill(rule: string): string {
  return rule.replace(/\b(N[0-3]|Z|Y)\b/g, (p) => names[p as Placeholder]);
}

before(async () => {
  for (let i = 1; i <= 3; i++) for (let k = 0; k < i; k++) await pool.start(names[`N${i}` as Placeholder]);
  await startZombie(names.Z);
  await pool.start(names.Y);
  await startZombie(names.Y);
});

/** A process named `name` that has exited but is never reaped: sh execs into sleep, which never waits. */
async function startZombie(name: string): Promise<void> {
  const link = pool.link(name);
  const parent = pool.spawnCommand("/bin/sh", ["-c", `'${link}' 0 & exec sleep 600`]);
  const deadline = Date.now() + 5000;
  while (!childrenOf(parent.pid as number).some((c) => c.state === "Z" && c.comm === name)) {
    if (Date.now() > deadline) throw new Error(`no zombie ${name} under pid ${parent.pid}`);
    await sleep(5);
  }
}

interface Outcome {
  readonly code: number | null;
  /** Summary tokens (ps.monitor's order is random and ends with a space: compared as a set). */
  readonly failing: readonly string[];
  /** Detail lines up to the bound ("x:2 > 1"); the "(RANGE)" part differs on purpose. */
  readonly bounds: readonly string[];
}

function outcome(r: { stdout: string; code: number | null }): Outcome {
  const [summary = "", ...detail] = r.stdout.split("\n");
  return {
    code: r.code,
    failing: summary.split(" ").filter((w) => w !== "").sort(),
    bounds: detail.filter((l) => /^\S+:\d+ [<>] \d+ \(/.test(l)).map((l) => l.slice(0, l.indexOf(" ("))).sort(),
  };
}

async function both(rules: readonly string[]): Promise<{ ps: Outcome; pw: Outcome; raw: string }> {
  const args = rules.map(fill);
  const [ps, pw] = await Promise.all([runMonitor(PS_MONITOR, args), runCli(["check", ...args])]);
  assert.equal(ps.stderr, "", `ps.monitor wrote to stderr: ${ps.stderr}`);
  assert.equal(pw.stderr, "", "procwatch check must keep stderr empty (mon merges it)");
  assert.equal(pw.signal, null);
  return { ps: outcome(ps), pw: outcome(pw), raw: `ps.monitor:\n${ps.stdout}procwatch:\n${pw.stdout}` };
}

describe("same verdict as ps.monitor where ps.monitor is right", () => {
  // Each rule list runs through both tools at once; a name appears once per list, because
  // ps.monitor keeps only the last rule for a name.
  // The exit code column only guards against a vacuous agreement (e.g. processes that never
  // started, so both tools count 0); the oracle is ps.monitor itself.
  const agree: readonly (readonly [readonly string[], 0 | 1])[] = [
    [["N1:1-"], 0],
    [["N1:1-1"], 0],
    [["N2:1-1"], 1],
    [["N2:2-"], 0],
    [["N2:3-"], 1],
    [["N2:-1"], 1],
    [["N2:-2"], 0],
    [["N2:2-3"], 0],
    [["N3:2-3"], 0],
    [["N1:2-3"], 1],
    [["N3:1-2"], 1],
    [["N3:-5"], 0],
    [["N0:1-"], 1],
    [["N0:1-1"], 1],
    [["N0:2-3"], 1],
    [["N0:-1"], 0],
    [["N1:1-", "N2:2-2", "N3:3-"], 0],
    [["N0:1-", "N1:1-1", "N2:3-", "N3:-2"], 1],
    [["N3:1-1", "N2:1-1", "N1:1-1", "N0:1-1"], 1],
  ];
  for (const [rules, code] of agree) {
    test(`${rules.join(" ") || "(no rules)"}`, async (t) => {
      if (!havePsMonitor(t)) return;
      const { ps, pw, raw } = await both(rules);
      assert.deepEqual(pw, ps, raw);
      assert.equal(ps.code, code, raw);
    });
  }

  test("ps.monitor -x PID and procwatch explain --pid name a process alike", async (t) => {
    if (!havePsMonitor(t)) return;
    const p = await pool.start(uniqueName("x"));
    const ps = await runMonitor(PS_MONITOR, ["-x", String(p.pid)]);
    const pw = await runCli(["explain", "--pid", String(p.pid)]);
    assert.equal(ps.stdout, `PID:${p.pid} has name "${p.name}"\n`);
    assert.equal(pw.stdout.split("\n")[2], `counted as ${p.name}`);
  });
});

describe("where ps.monitor is wrong, procwatch differs as documented", () => {
  const parseError = (rule: string, reason: RegExp) => ({ code: 1, stdout: new RegExp(`^Can't parse "${fill(rule)}": ${reason.source}\n$`) });
  const differ: readonly { rules: readonly string[]; ps: Outcome; pw: Outcome | { code: number; stdout: RegExp }; why: string }[] = [
    { why: "a 0 maximum is real: must not run", rules: ["N1:0-0"], ps: ok(), pw: fail(["N1:1"], ["N1:1 > 0"]) },
    { why: "a 0 maximum with several running", rules: ["N3:-0"], ps: ok(), pw: fail(["N3:3"], ["N3:3 > 0"]) },
    { why: "0-0 holds when none runs (both agree)", rules: ["N0:0-0"], ps: ok(), pw: ok() },
    { why: "a zombie is not running", rules: ["Z:1-1"], ps: ok(), pw: fail(["Z:0"], ["Z:0 < 1"]) },
    { why: "a zombie does not push the count over", rules: ["Y:1-1"], ps: fail(["Y:2"], ["Y:2 > 1"]), pw: ok() },
    { why: "a zombie alone may be required gone", rules: ["Z:0-0"], ps: ok(), pw: ok() },
    { why: "max 0 with min 1 is an empty range, not 'no maximum'", rules: ["N1:1-0"], ps: ok(), pw: parseError("N1:1-0", /.*/) },
    { why: "min > max is an error, not a rule that never passes", rules: ["N2:3-2"], ps: fail(["N2:2"], ["N2:2 < 3"]), pw: parseError("N2:3-2", /empty range: minimum 3 is above maximum 2/) },
    { why: "junk after the range is an error, not ignored", rules: ["N1:1-2junk"], ps: ok(), pw: parseError("N1:1-2junk", /.*/) },
    { why: "x:- (no bounds at all) is an error", rules: ["N0:-"], ps: ok(), pw: parseError("N0:-", /.*/) },
    { why: "no rules at all is a usage error, not a pass", rules: [], ps: ok(),
      pw: { code: 1, stdout: /^procwatch: no rules given: nothing to check \(give RULE\.\.\., --cpu-max PERCENT or --security LIST\)\n$/ } },
  ];
  for (const c of differ) {
    test(`${c.rules.join(" ")}: ${c.why}`, async (t) => {
      if (!havePsMonitor(t)) return;
      const args = c.rules.map(fill);
      const [ps, pw] = await Promise.all([runMonitor(PS_MONITOR, args), runCli(["check", ...args])]);
      assert.deepEqual(outcome(ps), fillOutcome(c.ps), `ps.monitor said:\n${ps.stdout}`);
      if ("stdout" in c.pw) {
        assert.equal(pw.code, c.pw.code);
        assert.match(pw.stdout, c.pw.stdout);
      } else {
        assert.deepEqual(outcome(pw), fillOutcome(c.pw), `procwatch said:\n${pw.stdout}`);
      }
    });
  }

  test("perl -w script.pl: ps.monitor counts '-w', procwatch counts the script", async (t) => {
    if (!havePsMonitor(t)) return;
    const script = `${uniqueName("p")}.pl`;
    const path = join(pool.directory, script);
    writeFileSync(path, "sleep 600;\n");
    const child = pool.spawnCommand("perl", ["-w", path]);
    await waitForComm(child.pid as number, "perl");
    const ps = await runMonitor(PS_MONITOR, ["-x", String(child.pid)]);
    assert.equal(ps.stdout, `PID:${child.pid} has name "-w"\n`);
    const pw = await runCli(["explain", "--pid", String(child.pid)]);
    assert.equal(pw.stdout.split("\n")[2], `counted as ${script}`);
    assert.equal((await runCli(["check", `${script}:1-1`])).code, 0);
    assert.equal((await runMonitor(PS_MONITOR, [`${script}:1-1`])).code, 1);
  });
});

function ok(): Outcome {
  return { code: 0, failing: [], bounds: [] };
}

function fail(failing: string[], bounds: string[]): Outcome {
  return { code: 1, failing, bounds };
}

function fillOutcome(o: Outcome): Outcome {
  return { code: o.code, failing: o.failing.map(fill).sort(), bounds: o.bounds.map(fill).sort() };
}

describe("examples/ps.monitor, the drop-in shim", () => {
  let bin: string;
  let procwatch: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), "procwatch-shim-"));
    procwatch = join(bin, "procwatch");
    writeFileSync(procwatch, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(procwatch, 0o755);
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  /** The shim as mon runs it: only the environment given here (no PATH unless given). */
  async function shim(args: readonly string[], env: Record<string, string>) {
    const r = await runMonitor(PS_MONITOR_SHIM, args.map(fill), { env });
    assert.equal(r.stderr, "", "the shim must keep stderr empty (mon merges it)");
    return r;
  }

  const cases: readonly (readonly string[])[] = [
    ["N1:1-1", "N0:1-", "N2:0-0"],
    ["N3:1-"],
    ["N1:1-", "localhost"],
    ["N2:3-2"],
    ["x-x:1-", "N0:1-"],
    [],
  ];
  for (const args of cases) {
    test(`ps.monitor ${args.join(" ")} gives procwatch check's exact result`, async () => {
      const want = await runCli(["check", ...args.map(fill)]);
      for (const env of [{ PROCWATCH: procwatch, PATH: "/usr/bin:/bin" }, { PATH: `${bin}:/usr/bin:/bin` }]) {
        const r = await shim(args, env);
        assert.deepEqual([r.code, r.stdout], [want.code, want.stdout], JSON.stringify(env));
      }
    });
  }

  test("-x PID gives procwatch explain --pid", async () => {
    const p = await pool.start(uniqueName("x"));
    const r = await shim(["-x", String(p.pid)], { PROCWATCH: procwatch });
    const want = await runCli(["explain", "--pid", String(p.pid)]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, want.stdout);
    assert.match(r.stdout, new RegExp(`^counted as ${p.name}$`, "m"));
  });

  test("-x without exactly one PID is a usage error, not a silent pass", async () => {
    for (const args of [["-x"], ["-x", "1", "N1:1-"]]) {
      const r = await shim(args, { PROCWATCH: procwatch });
      assert.deepEqual([r.code, r.stdout], [1, "ps.monitor: usage: ps.monitor -x PID\n"]);
    }
  });

  test("no procwatch to be found: a failure with a summary saying so", async () => {
    const r = await shim(["N1:1-"], { PATH: bin.replace(/$/, "-nonexistent") });
    assert.deepEqual([r.code, r.stdout], [1, "ps.monitor: procwatch not found (put it in PATH or set PROCWATCH=/path/to/procwatch on the service)\n"]);
  });
});


