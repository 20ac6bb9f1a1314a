// Probes judged and printed: up or down with the reason (refused, timed out, wrong banner shown
// escaped and cut, closed, other errors), in mon, Nagios and JSON, and the daemon's debounce.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { confirmProbes, evaluateProbe, type ProbeVerdict } from "../../src/evaluate/probe.js";
import { formatJson } from "../../src/output/json.js";
import { formatMon } from "../../src/output/mon.js";
import { formatNagios } from "../../src/output/nagios.js";
import { BANNER_SHOWN, probeLine, probeTokens } from "../../src/output/probe.js";
import type { TcpProbeResult } from "../../src/probe/tcp.js";
import { parseRuleText } from "../../src/rules/list.js";
import type { ProbeRule } from "../../src/rules/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";

const accounts = fixtureAccounts();
const probe = (arg: string): ProbeRule => parseRuleText(arg, { accounts, source: { file: "argv", line: 1, column: 1 } }) as ProbeRule;
const SSH = probe("tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_");
const PLAIN = probe("tcp://::1:6379");
const judge = (rule: ProbeRule, result: TcpProbeResult, timeoutMs = rule.timeoutMs): ProbeVerdict =>
  evaluateProbe(rule, { result, timeoutMs, ...(timeoutMs < rule.timeoutMs ? { cutBy: "--timeout" } : {}) });

describe("up or down, and why", () => {
  const cases: [string, ProbeRule, TcpProbeResult, string, number?][] = [
    ["connected, no banner asked", PLAIN, { end: "connected", connectMs: 0.42 }, "tcp://::1:6379: up in 0.4 ms"],
    ["the banner matches", SSH, { end: "banner", connectMs: 0.3, bannerMs: 1.25, banner: "SSH-2.0-OpenSSH_9.2p1" }, "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: up in 1.3 ms (banner matched)"],
    ["refused", SSH, { end: "refused" }, "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection refused (nothing listens there)"],
    ["no answer to the connect", PLAIN, { end: "timeout" }, "tcp://::1:6379: no answer to connect within 2s"],
    ["silent after connecting", SSH, { end: "timeout", connectMs: 0.2, banner: "" }, "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connected in 0.2 ms, but no banner line within 2s"],
    ["half a line, then silence", SSH, { end: "timeout", connectMs: 0.2, banner: "SSH-2.0-Open" }, 'tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connected in 0.2 ms, but no banner line within 2s; received "SSH-2.0-Open" so far'],
    ["wrong banner", SSH, { end: "banner", connectMs: 0.2, bannerMs: 0.9, banner: "SSH-1.99-Cisco-1.25" }, 'tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: wrong banner "SSH-1.99-Cisco-1.25" (expected banner=^SSH-2.0-OpenSSH_)'],
    ["wrong banner, then closed", SSH, { end: "closed", connectMs: 0.2, banner: "554 go away" }, 'tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: wrong banner "554 go away" (expected banner=^SSH-2.0-OpenSSH_), then the connection was closed'],
    ["closed before any banner", SSH, { end: "closed", connectMs: 0.2, banner: "" }, "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection closed by the service before any banner (connected in 0.2 ms)"],
    ["reset", PLAIN, { end: "error", code: "ECONNRESET" }, "tcp://::1:6379: connection reset (ECONNRESET)"],
    ["no IPv6 here", PLAIN, { end: "error", code: "EADDRNOTAVAIL" }, "tcp://::1:6379: connection failed (EADDRNOTAVAIL)"],
    ["cut short by the check's --timeout", PLAIN, { end: "timeout" }, "tcp://::1:6379: no answer to connect within 800ms (cut short by --timeout; timeout=2s)", 800],
    ["no time left at all", PLAIN, { end: "timeout" }, "tcp://::1:6379: not probed: no time left before --timeout", 0],
  ];
  for (const [name, rule, result, line, timeoutMs] of cases) {
    test(name, () => assert.equal(probeLine(judge(rule, result, timeoutMs)), line));
  }

  test("a service that greets and closes is up when its greeting matches", () => {
    const v = judge(probe("tcp://127.0.0.1:13,banner=^Mon"), { end: "closed", connectMs: 0.2, banner: "Mon Nov 30 10:00:00 2026" });
    assert.deepEqual([v.state, v.failure], ["ok", undefined]);
  });

  test("the banner is escaped (control bytes, '|', '%', invalid UTF-8) and cut to BANNER_SHOWN bytes", () => {
    const hostile = judge(SSH, { end: "banner", connectMs: 1, bannerMs: 2, banner: "220 x\x1b[31m|%\xff\nOK: forged" });
    assert.equal(probeLine(hostile), 'tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: wrong banner "220 x%1B[31m%7C%25%FF%0AOK: forged" (expected banner=^SSH-2.0-OpenSSH_)');
    const long = judge(SSH, { end: "banner", connectMs: 1, bannerMs: 2, banner: "A".repeat(500) });
    assert.equal(probeLine(long), `tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: wrong banner "${"A".repeat(BANNER_SHOWN)}..." (expected banner=^SSH-2.0-OpenSSH_)`);
  });

  test("summary tokens: the probe and the kind of failure, no timings (mon's alertevery compares summaries)", () => {
    const vs = [judge(SSH, { end: "refused" }), judge(PLAIN, { end: "connected", connectMs: 1 }), judge(probe("tcp://127.0.0.1:25,banner=^220 a b"), { end: "timeout", connectMs: 1, banner: "" })];
    assert.deepEqual(probeTokens(vs), ["tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_:refused", "tcp://127.0.0.1:25,banner=^220%20a%20b:timeout"]);
  });
});

describe("in each format, beside the count rules", () => {
  const down = judge(SSH, { end: "refused" });
  const up = judge(PLAIN, { end: "connected", connectMs: 0.42 });

  test("mon: down probes after the failing rules in the summary, one detail line each; all up is silent", () => {
    assert.deepEqual(formatMon({ verdicts: [], probes: [down, up] }, { names: accounts, detailLimit: 10 }), {
      text: "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_:refused\ntcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection refused (nothing listens there)\n",
      exitCode: 1,
    });
    assert.deepEqual(formatMon({ verdicts: [], probes: [up] }, { names: accounts, detailLimit: 10 }), { text: "", exitCode: 0 });
  });

  test("Nagios: a down probe is CRITICAL; perfdata is the response time in seconds, U when down", () => {
    const r = formatNagios({ verdicts: [], probes: [down, up] }, { names: accounts, detailLimit: 10 });
    assert.equal(r.exitCode, 2);
    assert.equal(r.text, [
      "PROCS CRITICAL: tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection refused (nothing listens there) | 'tcp___127.0.0.1_22_banner__SSH-2.0-OpenS'=U;;;0;2.000 'tcp_____1_6379'=0.000420s;;;0;2.000",
      "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection refused (nothing listens there)",
      "",
    ].join("\n"));
    const ok = formatNagios({ verdicts: [], probes: [up] }, { names: accounts, detailLimit: 10 });
    assert.deepEqual(ok, { text: "PROCS OK: tcp://::1:6379: up in 0.4 ms | 'tcp_____1_6379'=0.000420s;;;0;2.000\n", exitCode: 0 });
  });

  test("Nagios: a '|' in a banner or a pattern never reaches line 1 raw", () => {
    const v = judge(probe("tcp://127.0.0.1:25,banner=^(220|421)"), { end: "banner", connectMs: 1, bannerMs: 2, banner: "554 a|b" });
    const first = formatNagios({ verdicts: [], probes: [v] }, { names: accounts, detailLimit: 10 }).text.split("\n")[0] ?? "";
    assert.equal(first.split("|").length, 2, first);
    assert.match(first, /wrong banner "554 a%7Cb" \(expected banner=\^\(220%7C421\)\)/);
  });

  test("JSON: state, failure, timings and the escaped banner", () => {
    const wrong = judge(SSH, { end: "banner", connectMs: 0.2, bannerMs: 0.9, banner: "SSH-1.99-x\x07" });
    const doc = JSON.parse(formatJson({ verdicts: [], probes: [wrong, up] }, undefined, accounts).text) as { ok: boolean; probes: unknown[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.probes, [
      { probe: "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", label: "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", state: "fail", failure: "banner", status: 'wrong banner "SSH-1.99-x%07" (expected banner=^SSH-2.0-OpenSSH_)', connectMs: 0.2, bannerMs: 0.9, banner: "SSH-1.99-x%07", timeoutMs: 2000 },
      { probe: "tcp://::1:6379", label: "tcp://::1:6379", state: "ok", failure: null, status: "up in 0.4 ms", connectMs: 0.42, bannerMs: null, banner: null, timeoutMs: 2000 },
    ]);
  });
});

describe("the daemon's debounce (for_cycles)", () => {
  const down = judge(SSH, { end: "refused" });
  const up = judge(SSH, { end: "banner", connectMs: 1, bannerMs: 2, banner: "SSH-2.0-OpenSSH_9" });
  const states = (w: ProbeVerdict[][], n: number) => confirmProbes(w, n).map((v) => [v.state, v.failure ?? null]);
  test("down only after N scans down in a row; the failure is kept for the detail meanwhile", () => {
    assert.deepEqual(states([[down]], 1), [["fail", "refused"]]);
    assert.deepEqual(states([[down]], 2), [["ok", "refused"]]);
    assert.deepEqual(states([[up], [down]], 2), [["ok", "refused"]]);
    assert.deepEqual(states([[down], [down]], 2), [["fail", "refused"]]);
    assert.deepEqual(states([[down], [up]], 2), [["ok", null]]);
  });
  test("an unconfirmed failure reads as such", () => {
    assert.equal(probeLine(confirmProbes([[down]], 2)[0] as ProbeVerdict), "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_: connection refused (nothing listens there) (not yet confirmed by enough scans)");
  });
});
