// Nagios plugin output: states and exit codes, status line, long output, perfdata, range
// conversion, safe labels, and the warn= qualifier that feeds WARNING.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { evaluateRunaway } from "../../src/evaluate/runaway.js";
import { type RuleVerdict, confirmFailures, evaluateRules } from "../../src/evaluate/verdict.js";
import { FIRST_LINE_CAP, LONG_OUTPUT_CAP, formatNagios, formatNagiosUnknown, perfLabels, toPluginRange, worstState } from "../../src/output/nagios.js";
import { Field, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { requestedFormat } from "../../src/cli/program.js";
import { RuleError } from "../../src/rules/errors.js";
import { countRules, parseRuleArgs } from "../../src/rules/list.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const snap = (processes: ProcessRecord[], extra: Partial<Snapshot> = {}): Snapshot => ({
  atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0, ...extra,
});

function verdicts(args: string[], processes: ProcessRecord[], extra: Partial<Snapshot> = {}): RuleVerdict[] {
  const { rules, errors } = parseRuleArgs(args, accounts);
  assert.deepEqual(errors, []);
  return evaluateRules(countRules(rules), snap(processes, extra), ctx);
}

function nagios(args: string[], processes: ProcessRecord[], extra: Partial<Snapshot> = {}) {
  return formatNagios({ verdicts: verdicts(args, processes, extra) }, { names: accounts, detailLimit: 10 });
}

const sshd = (pid: number) => proc({ pid, comm: "sshd" });
/** A cron whose exe is the file at /usr/sbin/cron (exeFile read, as for an exe= rule). */
const cron = (pid: number) => proc({
  pid, comm: "cron", exeFile: { running: { dev: 2049, ino: 7 }, atPath: { dev: 2049, ino: 7 } }, readMask: Field.status | Field.cmdline | Field.exe | Field.label | Field.exeFile,
});

describe("toPluginRange: inclusive MIN-MAX → plugin range (alert outside)", () => {
  const cases: [{ min?: number; max?: number }, string][] = [
    [{ min: 1 }, "1:"],
    [{ min: 10 }, "10:"],
    [{ max: 10 }, "~:10"],
    [{ min: 10, max: 20 }, "10:20"],
    [{ min: 0, max: 0 }, "0:0"],
    [{ min: 1, max: 1 }, "1:1"],
    [{ min: 0 }, "0:"],
    [{ max: 0 }, "~:0"],
  ];
  for (const [range, expected] of cases) test(`${JSON.stringify(range)} → ${expected}`, () => assert.equal(toPluginRange(range), expected));
});

describe("perfLabels: whitelist [A-Za-z0-9_.-], at most 40 characters, unique", () => {
  const cases: [string[], string[]][] = [
    [["sshd"], ["sshd"]],
    [["sshd,user=root"], ["sshd_user_root"]],
    [["/usr/sbin/sshd"], ["_usr_sbin_sshd"]],
    [["a'b", 'a"b', "a|b", "a b"], ["a_b", "a_b_2", "a_b_3", "a_b_4"]],
    [["a b", "a_b", "a_b_2"], ["a_b", "a_b_2", "a_b_2_2"]],
    [["x\n'=1;;; y|z"], ["x___1____y_z"]],
    [["démon", "😈"], ["d_mon", "_"]],
    [["x,args=" + "a".repeat(60)], ["x_args_" + "a".repeat(33)]],
    [["python3.11", "dbus-daemon"], ["python3.11", "dbus-daemon"]],
  ];
  for (const [labels, expected] of cases) test(JSON.stringify(labels), () => assert.deepEqual(perfLabels(labels), expected));
});

describe("states and exit codes", () => {
  test("OK: every rule with its count and range, perfdata for each, no long output", () => {
    const r = nagios(["sshd:1-", "cron:1-5", "telnetd:0-0"], [sshd(1), cron(2), cron(3)]);
    assert.deepEqual(r, {
      exitCode: 0,
      text: "PROCS OK: sshd:1 (1-), cron:2 (1-5), telnetd:0 (0-0) | 'sshd'=1;;1:;0; 'cron'=2;;1:5;0; 'telnetd'=0;;0:0;0;\n",
    });
  });

  test("CRITICAL: only failing rules on line 1; mon's details as long output", () => {
    const r = nagios(["sshd:1-,user=root", "cron:1-5", "telnetd:0-0"], [
      proc({ pid: 9, comm: "sshd", uids: ids(65534, 0), exe: { path: "/tmp/x/sshd", deleted: false } }),
      cron(2),
      proc({ pid: 7, comm: "telnetd" }),
    ]);
    assert.equal(r.exitCode, 2);
    assert.equal(r.text, [
      "PROCS CRITICAL: sshd,user=root:0 < 1 (1-), telnetd:1 > 0 (0-0) | 'sshd_user_root'=0;;1:;0; 'cron'=1;;1:5;0; 'telnetd'=1;;0:0;0;",
      "sshd,user=root:0 < 1 (1-)",
      "  near miss: pid 9 name sshd user nobody (effective root) exe /tmp/x/sshd: user=root: real uid 65534, effective uid 0",
      "telnetd:1 > 0 (0-0)",
      "  pid 7 name telnetd user root exe /usr/sbin/telnetd",
      "",
    ].join("\n"));
  });

  test("WARNING: outside warn= but inside the rule's range", () => {
    const r = nagios(["cron:1-5,warn=1-2", "sshd:1-"], [cron(1), cron(2), cron(3), sshd(4)]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.text, [
      "PROCS WARNING: cron:3 > 2 (warn 1-2, crit 1-5) | 'cron'=3;1:2;1:5;0; 'sshd'=1;;1:;0;",
      "cron:3 > 2 (warn 1-2, crit 1-5)",
      "  pid 1 name cron user root exe /usr/sbin/cron",
      "  pid 2 name cron user root exe /usr/sbin/cron",
      "  pid 3 name cron user root exe /usr/sbin/cron",
      "",
    ].join("\n"));
  });

  test("warn= below the minimum: WARNING at 1 for 2-, CRITICAL at 0 for 1-", () => {
    assert.match(nagios(["cron:1-,warn=2-"], [cron(1)]).text, /^PROCS WARNING: cron:1 < 2 \(warn 2-, crit 1-\) \| 'cron'=1;2:;1:;0;\n/);
    assert.equal(nagios(["cron:1-,warn=2-"], [cron(1), cron(2)]).exitCode, 0);
    assert.match(nagios(["cron:1-,warn=2-"], []).text, /^PROCS CRITICAL: cron:0 < 1 \(warn 2-, crit 1-\) \| 'cron'=0;2:;1:;0;\n/);
  });

  test("UNKNOWN: an undecidable rule, count U in perfdata, the undecided process in long output", () => {
    const hidden = proc({ pid: 5, comm: "sshd", exe: undefined, unknownMask: 4, unknownWhy: { exe: "EACCES" } });
    const r = nagios(["sshd:1-1,exe=/usr/sbin/sshd", "cron:0-"], [hidden]);
    assert.equal(r.exitCode, 3);
    assert.equal(r.text, [
      "PROCS UNKNOWN: sshd,exe=/usr/sbin/sshd:0 unknown: 1 more processes could not be checked (1-1) | 'sshd_exe__usr_sbin_sshd'=U;;1:1;0; 'cron'=0;;0:;0;",
      "sshd,exe=/usr/sbin/sshd:0 unknown: 1 more processes could not be checked (1-1)",
      "  undecided: pid 5 name sshd user root exe ? (EACCES): exe unreadable (EACCES)",
      "",
    ].join("\n"));
  });

  test("hidepid: every count is U, the reason is in long output", () => {
    const r = nagios(["sshd:1-"], [sshd(1)], { visibility: { kind: "hidden", reason: "hidepid=2: other users' processes are invisible" } });
    assert.equal(r.exitCode, 0);
    assert.equal(r.text, "PROCS OK: sshd:1 (1-) | 'sshd'=U;;1:;0;\n");
    const bad = nagios(["sshd:0-0"], [], { visibility: { kind: "hidden", reason: "hidepid=2: other users' processes are invisible" } });
    assert.equal(bad.text, [
      "PROCS UNKNOWN: sshd:0 unknown: an unknown number of more processes could not be checked (0-0) | 'sshd'=U;;0:0;0;",
      "sshd:0 unknown: an unknown number of more processes could not be checked (0-0)",
      "  undecided: hidepid=2: other users' processes are invisible",
      "",
    ].join("\n"));
  });

  test("worst state wins as in max_state_alt: CRITICAL > WARNING > UNKNOWN > OK", () => {
    assert.equal(worstState(["OK", "UNKNOWN", "WARNING"]), "WARNING");
    assert.equal(worstState(["UNKNOWN", "CRITICAL", "WARNING"]), "CRITICAL");
    assert.equal(worstState(["OK", "UNKNOWN"]), "UNKNOWN");
    assert.equal(worstState([]), "OK");
    const hidden = proc({ pid: 5, comm: "x", exe: undefined, unknownMask: 4, unknownWhy: { exe: "EACCES" } });
    const r = nagios(["x:1-1,exe=/x", "cron:1-5,warn=2-"], [hidden, cron(1)]);
    assert.equal(r.exitCode, 1);
    assert.match(r.text, /^PROCS WARNING: x,exe=\/x:0 unknown: 1 more processes could not be checked \(1-1\), cron:1 < 2 \(warn 2-, crit 1-5\) \| /);
  });

  test("no rules: UNKNOWN, a plugin with nothing to check is misconfigured", () => {
    assert.deepEqual(formatNagios({ verdicts: [] }, { names: accounts, detailLimit: 10 }), {
      exitCode: 3, text: "PROCS UNKNOWN: no rules given (usage: procwatch check --format nagios RULE...)\n",
    });
  });

  test("formatNagiosUnknown escapes its reason and details", () => {
    assert.deepEqual(formatNagiosUnknown("bad |token\nx", ["a|b"]), { exitCode: 3, text: "PROCS UNKNOWN: bad %7Ctoken%0Ax\na%7Cb\n" });
  });
});

describe("hostile text cannot inject perfdata or lines", () => {
  const evil = "x'|a=1;2;3\nPROCS OK: fine | b=2";
  const rawBars = (s: string) => s.split("|").length - 1;

  test("in a process name and exe path", () => {
    const r = nagios(["y:0-0"], [proc({ pid: 3, comm: "y", exe: { path: `/tmp/${evil}`, deleted: false } })]);
    const lines = r.text.split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[0], "PROCS CRITICAL: y:1 > 0 (0-0) | 'y'=1;;0:0;0;");
    assert.equal(lines[2], "  pid 3 name y user root exe /tmp/x'%7Ca=1;2;3%0APROCS OK: fine %7C b=2");
    assert.equal(rawBars(lines.slice(1).join("\n")), 0);
  });

  test("in rule labels (argv is hostile too)", () => {
    const r = nagios([`${evil}:1-`, `q'x:0-`], []);
    const lines = r.text.split("\n");
    assert.equal(rawBars(lines[0] ?? ""), 1);
    assert.equal(rawBars(lines.slice(1).join("\n")), 0);
    assert.equal(lines[0], "PROCS CRITICAL: x'%7Ca=1;2;3%0APROCS%20OK:%20fine%20%7C%20b=2:0 < 1 (1-) | 'x__a_1_2_3_PROCS_OK__fine___b_2'=0;;1:;0; 'q_x'=0;;0:;0;");
    const perf = (lines[0] ?? "").split(" | ")[1] ?? "";
    assert.match(perf, /^('[A-Za-z0-9_.-]+'=\d+;[0-9:~]*;[0-9:~]+;0; ?)+$/);
  });
});

describe("caps: line 1 and long output stay far below Nagios' 8 KiB first-line limit", () => {
  test("many long failing rules: status text says 'and N more', perfdata fits, long output capped", () => {
    const args = Array.from({ length: 300 }, (_, i) => `n${i}${"x".repeat(30)}:1-`);
    const r = nagios(args, []);
    const [first, ...rest] = r.text.split("\n");
    assert.ok(Buffer.byteLength(first ?? "") <= FIRST_LINE_CAP);
    assert.match(first ?? "", /, and \d+ more \| 'n0x+'=0;;1:;0; /);
    assert.ok(Buffer.byteLength(rest.join("\n")) <= LONG_OUTPUT_CAP);
    assert.match(r.text, /\n\.\.\. and \d+ more lines\n$/);
    assert.equal(r.exitCode, 2);
  });

  test("a huge rule label is cut on line 1 without breaking an escape", () => {
    const r = nagios([`${"|".repeat(2000)}:1-`], []);
    const first = r.text.split("\n")[0] ?? "";
    assert.match(first, /^PROCS CRITICAL: (%7C)+\.\.\. \| '_{40}'=0;;1:;0;$/);
  });
});

describe("the warn= qualifier", () => {
  const parse = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });

  const cases: [string, string, { min?: number; max?: number }, { min?: number; max?: number }][] = [
    ["cron:1-5,warn=2-4", "cron", { min: 1, max: 5 }, { min: 2, max: 4 }],
    ["sshd:1-,warn=2-", "sshd", { min: 1 }, { min: 2 }],
    ["x:-10,warn=-8", "x", { max: 10 }, { max: 8 }],
    ["sshd:1-,warn=2-,user=root", "sshd,user=root", { min: 1 }, { min: 2 }],
    ["sshd:1-,user=root,warn=1-3", "sshd,user=root", { min: 1 }, { min: 1, max: 3 }],
    ["x:0-0,warn=0-0", "x", { min: 0, max: 0 }, { min: 0, max: 0 }],
  ];
  for (const [arg, label, range, warn] of cases) {
    test(arg, () => {
      const rule = parse(arg);
      assert.equal(rule.label, label, "warn= is not part of the label");
      assert.deepEqual(rule.range, range);
      assert.deepEqual(rule.warn, warn);
      assert.ok(rule.qualifiers.every((q) => (q.key as string) !== "warn"));
    });
  }

  test("a rule without warn= has no warn range", () => assert.equal(parse("sshd:1-").warn, undefined));

  const errors: [string, string][] = [
    ["x:1-,warn=5-2", "warn=: empty range: minimum 5 is above maximum 2"],
    ["x:1-,warn=abc", `warn=: expected MIN-MAX, e.g. 1-, 1-5, -3 or 0-0; got "abc"`],
    ["x:1-,warn=-", "warn=: the range needs at least one bound (1-, -3, 1-5)"],
    ["x:1-,warn=", 'qualifier "warn" has an empty value'],
    ["x:1-,warn=2-,warn=3-", 'qualifier "warn" given twice'],
    ["x:1-3,warn=5-", "warn=: 5- shares no count with the rule's range 1-3, so every count would be WARNING or CRITICAL"],
    ["x:5-,warn=-2", "warn=: -2 shares no count with the rule's range 5-, so every count would be WARNING or CRITICAL"],
  ];
  for (const [arg, reason] of errors) {
    test(`${arg}: ${reason}`, () => {
      assert.throws(() => parse(arg), (err: unknown) => err instanceof RuleError && err.reason === reason);
    });
  }

  test("warn= does not make a second rule: same selector with and without warn= is a duplicate", () => {
    const { errors: errs } = parseRuleArgs(["sshd:1-", "sshd:1-,warn=2-"], accounts);
    assert.equal(errs[0]?.reason, 'duplicate of argument 1 ("sshd:1-")');
  });

  test("warnState is judged like state; state itself ignores warn=", () => {
    const [v] = verdicts(["cron:1-5,warn=2-"], [cron(1)]);
    assert.equal(v?.state, "ok");
    assert.equal(v?.warnState, "fail");
    const [plain] = verdicts(["cron:1-5"], [cron(1)]);
    assert.equal(plain?.warnState, undefined);
    const hidden = proc({ pid: 5, comm: "cron", exe: undefined, unknownMask: 4, unknownWhy: { exe: "EACCES" } });
    const [undecided] = verdicts(["cron:1-5,warn=3-,exe=/usr/sbin/cron"], [cron(1), cron(2), hidden]);
    assert.deepEqual([undecided?.state, undecided?.warnState], ["ok", "unknown"]);
  });

  test("--recheck confirms warnings too: a warning in the second scan only counts if the first was not clean", () => {
    const clean = verdicts(["cron:1-5,warn=2-"], [cron(1), cron(2)]);
    const warn = verdicts(["cron:1-5,warn=2-"], [cron(1)]);
    const crit = verdicts(["cron:1-5,warn=2-"], []);
    assert.deepEqual(confirmFailures(clean, warn).map((v) => [v.state, v.warnState]), [["ok", "ok"]]);
    assert.deepEqual(confirmFailures(warn, crit).map((v) => [v.state, v.warnState]), [["ok", "fail"]]);
    assert.deepEqual(confirmFailures(crit, crit).map((v) => [v.state, v.warnState]), [["fail", "fail"]]);
    assert.deepEqual(confirmFailures(clean, crit).map((v) => [v.state, v.warnState]), [["ok", "ok"]]);
  });
});

describe("requestedFormat: Nagios mode is known before commander parses (so its errors exit 3)", () => {
  const cases: [string[], string | undefined][] = [
    [["check", "--format", "nagios", "sshd:1-"], "nagios"],
    [["check", "--format=nagios", "sshd:1-"], "nagios"],
    [["check", "--format", "mon", "--format", "nagios"], "nagios"],
    [["check", "--format", "nagios", "--format=json"], "json"],
    [["check", "sshd:1-"], undefined],
    [["check", "--", "--format", "nagios"], undefined],
    [["explain", "--format", "nagios"], undefined],
    [["check", "--format"], undefined],
  ];
  for (const [args, expected] of cases) {
    test(args.join(" "), () => assert.equal(requestedFormat(["node", "cli.js", ...args]), expected));
  }
});

describe("CPU checks: their own states and perfdata", () => {
  const basis = { kind: "window" as const, windowMs: 5000 };
  const figures = (p: ProcessRecord) => p.cpuTicks;
  const runaway = (processes: ProcessRecord[]) => evaluateRunaway(snap(processes), { basis, figures, clockTicks: 100 }, {
    maxPercent: 90, exemptNames: new Set(), exemptUids: new Set(), top: 5,
  }, ctx);

  test("a runaway is CRITICAL, named without figures on line 1, with a cpu_runaway series", () => {
    const hog = proc({ pid: 42, comm: "hog", cpuTicks: 150 });
    const r = formatNagios({ verdicts: verdicts(["hog:1-"], [hog]), runaway: runaway([hog]), cpuBasis: basis }, { names: accounts, detailLimit: 10 });
    assert.equal(r.exitCode, 2);
    assert.deepEqual(r.text.split("\n"), [
      "PROCS CRITICAL: cpu: 1 runaway above 90% of one CPU over a 5s window: cpu:hog@root | 'hog'=1;;1:;0; 'cpu_runaway'=1;;0:0;0;",
      "cpu: 1 process above 90% of one CPU over a 5s window",
      "  pid 42 name hog user root 150.0% of one CPU over a 5s window exe /usr/sbin/hog args hog",
      "",
    ]);
  });

  test("no runaway: OK, and the series reads 0", () => {
    const calm = proc({ pid: 43, comm: "calm", cpuTicks: 3 });
    const r = formatNagios({ verdicts: [], runaway: runaway([calm]), cpuBasis: basis }, { names: accounts, detailLimit: 10 });
    assert.deepEqual([r.exitCode, r.text], [0, "PROCS OK: cpu: 0 runaway above 90% of one CPU over a 5s window | 'cpu_runaway'=0;;0:0;0;\n"]);
  });

  test("cpu= on a rule: CRITICAL when out of range, a <label>_cpu series in percent", () => {
    const { rules } = parseRuleArgs(["boinc:1-,cpu=50-"], accounts);
    const v = evaluateRules(countRules(rules), snap([proc({ pid: 7, comm: "boinc", cpuTicks: 12 })]), ctx, figures);
    const r = formatNagios({ verdicts: v, cpuBasis: basis }, { names: accounts, detailLimit: 10 });
    assert.equal(r.exitCode, 2);
    assert.equal(r.text.split("\n")[0],
      "PROCS CRITICAL: boinc,cpu=50-:1 (1-) cpu 12.0% < 50 (cpu=50-, % of one CPU over a 5s window) | 'boinc_cpu_50-'=1;;1:;0; 'boinc_cpu_50-_cpu'=12.0%;;50:;0;");
  });
});
