// The rule index against trying every rule on every process (the plain evaluator kept here as the
// reference): on generated rule sets and processes, every rule the index leaves out answers "no",
// evaluateRules gives the same verdicts as the plain loop, and the scan plan asks for the same
// fields. Generated from fixed seeds, so a failure names a seed that reproduces it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fieldsNeeded, type MatchContext, matchRule } from "../../src/evaluate/match.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { indexRules } from "../../src/evaluate/rule-index.js";
import { evaluateRules, evaluateState, hiddenProcesses, type RuleVerdict } from "../../src/evaluate/verdict.js";
import { scanPlan } from "../../src/measure/judge.js";
import { Field, type ListeningSocket, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import type { CountRule } from "../../src/rules/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const interpreters = makeInterpreterSet([...DEFAULT_INTERPRETERS, "lua5.*"]);
const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile | Field.sockets | Field.scriptFile | Field.cgroup;

/** mulberry32: a small seeded generator, so every case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Names that collide on purpose: a 15-byte comm and the longer names it may stand for, scripts
// that are also comms, an interpreter's own name, a kernel thread's name.
const COMMS = ["sshd", "cron", "master", "systemd-journal", "python3", "perl", "node", "lua5.4", "kworker/0:1", "foo.py", "svc0001", "a-very-long-nam"];
const NAMES = [...COMMS, "systemd-journald", "systemd-journalx", "a-very-long-name-indeed", "bar.pl", "svc0002", "python3.11", "tool"];
const PATHS = ["/usr/sbin/sshd", "/usr/sbin/cron", "/usr/lib/postfix/sbin/master", "/usr/bin/python3.11", "/usr/bin/perl", "/usr/local/bin/foo.py",
  "/opt/bar.pl", "/usr/sbin/svc0001", "/usr/lib/systemd/systemd-journald", "/usr/bin/a-very-long-name-indeed"];
const GLOBS = ["/usr/sbin/*", "/usr/*/sshd", "/usr/local/bin/f?o.py", "/usr/sbin/svc000[12]", "/usr/lib/postfix/sbin/mas\\ter", "/opt/*.pl", "/*", "/usr/bin/python3*"];
const QUALIFIERS = ["user=root", "user=nobody", "uid=0", "group=adm", "exe=/usr/sbin/*", "exe=/usr/sbin/sshd", "args=-D", "args=^x", "label=*:sshd_t:*", "domain=sshd_t", "listen=25", "listen=udp/53", "unit=ssh.service"];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function generateRules(r: () => number, n: number): CountRule[] {
  const rules: CountRule[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const selector = x < 0.45 ? pick(r, NAMES) : x < 0.75 ? pick(r, PATHS) : pick(r, GLOBS);
    const two = [pick(r, QUALIFIERS), pick(r, QUALIFIERS)];
    // a key at most once per rule (the parser refuses repeats)
    const quals = r() < 0.4 ? [pick(r, QUALIFIERS)] : r() < 0.15 ? two.filter((q, j) => j === 0 || q.split("=")[0] !== two[0]?.split("=")[0]) : [];
    const range = pick(r, ["1-", "0-0", "1-2", "-3", "2-5"]);
    const text = [`${selector}:${range}`, ...quals].join(",");
    rules.push(parseOneLiner(text, { accounts, source: { file: "argv", line: i + 1, column: 1 } }) as CountRule);
  }
  return rules;
}

const LISTEN25: ListeningSocket = { proto: "tcp", family: 4, address: "0.0.0.0", addressKey: `${"0".repeat(20)}ffff00000000`, port: 25, inode: 1, uid: 0 };

/** A process with every field read (as a scan leaves it for the rules that need them), some of
 * them unreadable, or, with `partial`, with only some fields read yet (as the plan sees it). */
function generateProcess(r: () => number, pid: number, partial: boolean): ProcessRecord {
  const comm = pick(r, COMMS);
  const kernel = comm === "kworker/0:1" && r() < 0.8;
  const argvChoices: (string[] | undefined)[] = [
    [comm], [comm, "-D"], ["python3", "-u", "/usr/local/bin/foo.py"], ["perl", "/opt/bar.pl"], ["node", "/usr/sbin/sshd"],
    ["lua5.4", "script"], ["/usr/lib/systemd/systemd-journald"], ["python3", "-c", "x"], ["x -d"], undefined,
  ];
  const argv = kernel ? [] : pick(r, argvChoices);
  const exeChoice = r();
  const exePath = pick(r, PATHS.concat(["/tmp/x", "/usr/sbin/svc0002"]));
  const exe = kernel || exeChoice < 0.15 ? undefined : { path: exePath, deleted: r() < 0.1 };
  const hasNoExe = kernel || (exe === undefined && exeChoice < 0.05);
  const labels = r() < 0.2 ? undefined : [{ module: "selinux", raw: pick(r, ["system_u:system_r:sshd_t:s0", "u:r:init_t:s0"]), domain: pick(r, ["sshd_t", "init_t"]) }];
  const same = { dev: 1, ino: pid };
  const unknownWhy = { exe: "EACCES", cmdline: "EACCES", status: "EACCES", label: "EINVAL", exeFile: "EACCES", sockets: "EACCES", scriptFile: "EACCES", cgroup: "EACCES" };
  const readMask = partial ? pick(r, [0, Field.status, Field.exe, Field.cmdline, Field.exe | Field.cmdline, Field.exe | Field.cmdline | Field.status, ALL & ~Field.exeFile, ALL & ~Field.sockets]) : ALL;
  const has = (f: number): boolean => (readMask & f) !== 0;
  return proc({
    pid,
    comm,
    isKernelThread: kernel,
    state: r() < 0.1 ? "Z" : "S",
    threads: r() < 0.5 ? 1 : 3,
    uids: has(Field.status) && r() < 0.9 ? ids(pick(r, [0, 0, 65534, 1000]), pick(r, [0, 65534])) : undefined,
    gids: has(Field.status) ? ids(pick(r, [0, 4])) : undefined,
    argv: has(Field.cmdline) ? argv : undefined,
    exe: has(Field.exe) ? exe : undefined,
    hasNoExe: has(Field.exe) && hasNoExe ? true : undefined,
    labels: has(Field.label) ? labels : undefined,
    exeFile: has(Field.exeFile) && exe !== undefined && r() < 0.9 ? { running: same, atPath: r() < 0.8 ? same : { dev: 1, ino: 0 } } : undefined,
    listening: has(Field.sockets) && r() < 0.9 ? (r() < 0.5 ? [LISTEN25] : []) : undefined,
    readMask,
    unknownMask: 0,
    unknownWhy,
  });
}

function snapshotOf(processes: ProcessRecord[], hidden: boolean): Snapshot {
  return {
    atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 },
    visibility: { kind: "full" }, unreadable: hidden ? 2 : 0, listening: [LISTEN25],
  };
}

/** The plain evaluator: every rule tried on every process, as before the index (no CPU rules). */
function plainEvaluateRules(rules: readonly CountRule[], snapshot: Snapshot, ctx: MatchContext): RuleVerdict[] {
  const hidden = hiddenProcesses(snapshot);
  return rules.map((rule) => {
    const matches: ProcessRecord[] = [];
    const nearMisses: { process: ProcessRecord; reason: string }[] = [];
    const unknowns: { process: ProcessRecord; why: string }[] = [];
    for (const p of snapshot.processes) {
      const o = matchRule(rule, p, ctx);
      if (o.kind === "yes") matches.push(p);
      else if (o.kind === "near") nearMisses.push({ process: p, reason: o.reason });
      else if (o.kind === "unknown") unknowns.push({ process: p, why: o.why });
      else if (o.kind === "need") throw new Error(`generated process ${p.pid} lacks fields for ${rule.text}`);
    }
    const undecided = unknowns.length + hidden.count;
    const countState = evaluateState(rule.range, matches.length, undecided);
    const q = rule.qualifiers.find((x) => x.key === "listen");
    const listening = snapshot.listening;
    const listen = q === undefined || q.key !== "listen" || listening === undefined || "error" in listening ? undefined
      : { text: q.text, spec: q.listen, sockets: listening.filter((s) => s.proto === q.listen.proto && s.port === q.listen.port && (q.listen.address === undefined || q.listen.address.key === s.addressKey)) };
    return {
      rule, state: countState, countState, count: matches.length, undecided, matches, nearMisses, unknowns,
      ...(hidden.why === undefined ? {} : { hiddenWhy: hidden.why }),
      ...(listen === undefined ? {} : { listen }),
    };
  });
}

/** A verdict in one line: rule, state, and the PIDs of each list with their reasons. */
function brief(v: RuleVerdict): string {
  return `${v.rule.text} ${v.state} ${v.count}/${v.undecided} yes[${v.matches.map((p) => p.pid).join()}]`
    + ` near[${v.nearMisses.map((n) => `${n.process.pid}:${n.reason}`).join()}] unknown[${v.unknowns.map((u) => `${u.process.pid}:${u.why}`).join()}]`;
}

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

describe("rule index: the same answers as trying every rule", () => {
  test("every rule the index leaves out answers no, for fully and partly read processes", () => {
    let checked = 0;
    let candidates = 0;
    for (const seed of SEEDS) {
      const r = random(seed);
      const rules = generateRules(r, 60);
      const index = indexRules(rules, interpreters);
      const ctx: MatchContext = { interpreters, excluded: new Set([7]) };
      for (let pid = 1; pid <= 150; pid++) {
        const rec = generateProcess(r, pid, pid % 2 === 0);
        const found = index.candidates(rec);
        assert.equal(new Set(found).size, found.length, `seed ${seed} pid ${pid}: a rule named twice`);
        const set = new Set(found);
        candidates += found.length;
        rules.forEach((rule, i) => {
          if (set.has(i)) return;
          checked++;
          assert.deepEqual(matchRule(rule, rec, ctx), { kind: "no" }, `seed ${seed}: ${rule.text} left out for ${JSON.stringify(rec)}`);
        });
      }
    }
    // The index must leave most rules out, or it indexes nothing.
    assert.ok(checked > candidates, `only ${checked} of ${checked + candidates} rule-process pairs left out`);
  });

  test("evaluateRules gives the plain evaluator's verdicts", () => {
    for (const seed of SEEDS) {
      const r = random(seed);
      const rules = generateRules(r, 80);
      const processes = Array.from({ length: 200 }, (_, i) => generateProcess(r, i + 1, false));
      const ctx: MatchContext = { interpreters, excluded: new Set([3, 4]) };
      const snap = snapshotOf(processes, seed % 3 === 0);
      const indexed = evaluateRules(rules, snap, ctx);
      const plain = plainEvaluateRules(rules, snap, ctx);
      // A short account first, so a difference reads (and diffs) quickly; then everything.
      assert.deepEqual(indexed.map(brief), plain.map(brief), `seed ${seed}`);
      assert.deepEqual(indexed, plain, `seed ${seed}`);
    }
  });

  test("the scan plan asks for the fields that trying every rule asks for", () => {
    for (const seed of SEEDS) {
      const r = random(seed);
      const rules = generateRules(r, 60);
      const plan = scanPlan(rules, { procRoot: "/nonexistent", interpreters, excludeRoots: [] }, undefined);
      const ctx: MatchContext = { interpreters, excluded: new Set() };
      for (let pid = 1; pid <= 150; pid++) {
        const rec = generateProcess(r, pid, true);
        let plain = 0;
        for (const rule of rules) plain |= fieldsNeeded(rule, rec, ctx);
        assert.equal(plan(rec), plain, `seed ${seed}: ${JSON.stringify(rec)}`);
      }
    }
  });
});
