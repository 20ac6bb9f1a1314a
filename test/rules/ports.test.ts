// listen= and probe rules: what each spelling means, and every mistake named with its reason.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isLoopback, parseIpAddress } from "../../src/rules/address.js";
import { RuleError } from "../../src/rules/errors.js";
import { parseRuleArgs, parseRuleText, probeRules } from "../../src/rules/list.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { DEFAULT_PROBE_TIMEOUT_MS } from "../../src/rules/probe.js";
import type { ProbeRule } from "../../src/rules/types.js";
import { fixtureAccounts } from "../helpers/accounts.js";

const accounts = fixtureAccounts();
const source = { file: "argv", line: 1, column: 1 };
const MAPPED = `${"0".repeat(20)}ffff`;

describe("addresses: literals only, IPv4 keyed as IPv4-mapped so both tables compare", () => {
  const cases: [string, 4 | 6, string][] = [
    ["127.0.0.1", 4, `${MAPPED}7f000001`],
    ["0.0.0.0", 4, `${MAPPED}00000000`],
    ["::1", 6, `${"0".repeat(31)}1`],
    ["::", 6, "0".repeat(32)],
    ["::ffff:127.0.0.1", 6, `${MAPPED}7f000001`],
    ["2001:DB8::1", 6, "20010db8000000000000000000000001"],
    ["fe80:0:0:0:0:0:0:1", 6, "fe800000000000000000000000000001"],
  ];
  for (const [text, family, key] of cases) {
    test(text, () => assert.deepEqual(parseIpAddress(text), { text, family, key }));
  }
  const bad: [string, string][] = [
    ["localhost", '"localhost" is not an IP address (write an IPv4 or IPv6 literal such as 127.0.0.1 or ::1; host names are not looked up)'],
    ["127.0.0.256", '"127.0.0.256": each part of an IPv4 address is at most 255'],
    ["127.000.0.1", '"127.000.0.1": leading zeros are ambiguous (octal to some tools)'],
    ["1::2::3", '"1::2::3" is not an IPv6 address'],
    ["1:2:3:4:5:6:7", '"1:2:3:4:5:6:7" is not an IPv6 address'],
    ["fe80::1%eth0", '"fe80::1%eth0": zone ids (the interface after a percent sign) are not supported'],
  ];
  for (const [text, reason] of bad) test(`${text}: ${reason}`, () => assert.equal(parseIpAddress(text), reason));

  test("loopback: 127/8, ::1 and IPv4-mapped 127/8; not 10/8 or ::", () => {
    const loop = (t: string): boolean => {
      const a = parseIpAddress(t);
      assert.ok(typeof a !== "string");
      return isLoopback(a);
    };
    assert.deepEqual(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.2", "10.0.0.1", "::", "::2", "128.0.0.1"].map(loop), [true, true, true, true, false, false, false, false]);
  });
});

describe("listen=[tcp/|udp/][ADDR:]PORT", () => {
  const cases: [string, unknown][] = [
    ["master:1-1,listen=25", { proto: "tcp", port: 25 }],
    ["named:1-,listen=udp/53", { proto: "udp", port: 53 }],
    ["x:1-,listen=tcp/8080", { proto: "tcp", port: 8080 }],
    ["x:1-,listen=127.0.0.1:25", { proto: "tcp", address: { text: "127.0.0.1", family: 4, key: `${MAPPED}7f000001` }, port: 25 }],
    // IPv6 needs no brackets (sh and zsh glob them): the port follows the last ':'.
    ["x:1-,listen=::1:25", { proto: "tcp", address: { text: "::1", family: 6, key: `${"0".repeat(31)}1` }, port: 25 }],
    ["x:1-,listen=[::1]:25", { proto: "tcp", address: { text: "::1", family: 6, key: `${"0".repeat(31)}1` }, port: 25 }],
    ["x:1-,listen=:::22", { proto: "tcp", address: { text: "::", family: 6, key: "0".repeat(32) }, port: 22 }],
    ["x:1-,listen=udp/0.0.0.0:53", { proto: "udp", address: { text: "0.0.0.0", family: 4, key: `${MAPPED}00000000` }, port: 53 }],
    ["x:1-,listen=65535", { proto: "tcp", port: 65535 }],
  ];
  for (const [arg, spec] of cases) {
    test(arg, () => {
      const rule = parseOneLiner(arg, { accounts, source });
      const q = rule.qualifiers.find((x) => x.key === "listen");
      assert.ok(q?.key === "listen");
      assert.deepEqual(q.listen, spec);
    });
  }

  test("the label keeps listen= (two ports of one daemon are two rules), and it combines with path selectors and user=", () => {
    const r = parseOneLiner("/usr/lib/postfix/sbin/master:1-,user=root,listen=25", { accounts, source });
    assert.equal(r.label, "/usr/lib/postfix/sbin/master,user=root,listen=25");
    assert.deepEqual(r.qualifiers.map((q) => q.key), ["user", "listen"]);
  });

  const bad: [string, string][] = [
    ["x:1-,listen=", 'qualifier "listen" has an empty value'],
    ["x:1-,listen=smtp", 'listen=: port "smtp" is not a number from 1 to 65535'],
    ["x:1-,listen=0", 'listen=: port "0" is not a number from 1 to 65535'],
    ["x:1-,listen=65536", 'listen=: port "65536" is not a number from 1 to 65535'],
    ["x:1-,listen=127.0.0.1", 'listen=: port "127.0.0.1" is not a number from 1 to 65535 (an address needs its port: ADDR:PORT)'],
    ["x:1-,listen=sctp/25", 'listen=: unknown protocol "sctp" (tcp/ or udp/; tcp when left out)'],
    ["x:1-,listen=localhost:25", 'listen=: "localhost" is not an IP address (write an IPv4 or IPv6 literal such as 127.0.0.1 or ::1; host names are not looked up)'],
    ["x:1-,listen=::1", 'listen=: ":" is not an IPv6 address (the port follows the last \':\': ::1:25 or [::1]:25)'],
    ["x:1-,listen=[::1]25", 'listen=: "[::1]25": expected [IPV6]:PORT'],
    ["x:1-,listen=:25", 'listen=: ":25": no address before \':\' (leave out \':\' for any address: 25)'],
    ["x:1-,listen=25,listen=26", 'qualifier "listen" given twice'],
  ];
  for (const [arg, reason] of bad) {
    test(`${arg}: ${reason}`, () => assert.throws(() => parseOneLiner(arg, { accounts, source }), (err: unknown) => err instanceof RuleError && err.reason === reason));
  }
});

describe("probes: tcp://ADDR:PORT[,banner=REGEX][,timeout=D][,remote=yes]", () => {
  const probe = (arg: string): ProbeRule => {
    const r = parseRuleText(arg, { accounts, source });
    assert.equal(r.kind, "probe");
    return r as ProbeRule;
  };
  const cases: [string, { label: string; host: string; family: 4 | 6; port: number; banner?: string; timeoutMs: number; isRemote: boolean }][] = [
    ["tcp://127.0.0.1:22", { label: "tcp://127.0.0.1:22", host: "127.0.0.1", family: 4, port: 22, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS, isRemote: false }],
    ["tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", { label: "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", host: "127.0.0.1", family: 4, port: 22, banner: "^SSH-2.0-OpenSSH_", timeoutMs: 2000, isRemote: false }],
    // timeout= and remote= say how, not what: out of the label, as warn= is for counts.
    ["tcp://::1:25,banner=^220 ,timeout=5s", { label: "tcp://::1:25,banner=^220 ", host: "::1", family: 6, port: 25, banner: "^220 ", timeoutMs: 5000, isRemote: false }],
    ["tcp://[::1]:631", { label: "tcp://[::1]:631", host: "::1", family: 6, port: 631, timeoutMs: 2000, isRemote: false }],
    ["tcp://localhost:6379,timeout=250ms", { label: "tcp://localhost:6379", host: "127.0.0.1", family: 4, port: 6379, timeoutMs: 250, isRemote: false }],
    ["tcp://192.0.2.7:25,remote=yes,banner=^220", { label: "tcp://192.0.2.7:25,banner=^220", host: "192.0.2.7", family: 4, port: 25, banner: "^220", timeoutMs: 2000, isRemote: true }],
    // A banner regex may hold ',' and ':' like args= (a qualifier starts only at ",key=").
    ["tcp://127.0.0.1:21,banner=^220[ -].*FTP", { label: "tcp://127.0.0.1:21,banner=^220[ -].*FTP", host: "127.0.0.1", family: 4, port: 21, banner: "^220[ -].*FTP", timeoutMs: 2000, isRemote: false }],
  ];
  for (const [arg, want] of cases) {
    test(arg, () => {
      const r = probe(arg);
      assert.deepEqual({ label: r.label, host: r.host, family: r.address.family, port: r.port, ...(r.banner === undefined ? {} : { banner: r.banner.text }), timeoutMs: r.timeoutMs, isRemote: r.isRemote }, want);
      assert.equal(r.text, arg);
    });
  }

  test("the banner regex matches bytes: a UTF-8 pattern matches the UTF-8 a service sends", () => {
    const r = probe("tcp://127.0.0.1:7,banner=^caf\u00e9$");
    assert.ok(r.banner?.pattern.test(Buffer.from("caf\u00e9", "utf8").toString("latin1")));
  });

  const bad: [string, string][] = [
    ["udp://127.0.0.1:53", 'unsupported probe "udp://": procwatch probes tcp:// only (a UDP service answers only a request in its own protocol)'],
    ["http://127.0.0.1:80", 'unsupported probe "http://": procwatch probes tcp:// only (a UDP service answers only a request in its own protocol)'],
    ["tcp://127.0.0.1", 'port "127.0.0.1" is not a number from 1 to 65535 (an address needs its port: ADDR:PORT)'],
    ["tcp://22", "no address: write tcp://127.0.0.1:22 (or ::1)"],
    ["tcp://127.0.0.1:22/", 'nothing may follow the port (got "127.0.0.1:22/"): a probe connects and reads a banner, it sends no request'],
    ["tcp://example.com:22", '"example.com" is not an IP address (write an IPv4 or IPv6 literal such as 127.0.0.1 or ::1; host names are not looked up)'],
    ["tcp://0.0.0.0:22", "0.0.0.0 means any address: nothing can connect to it; probe 127.0.0.1 or ::1"],
    ["tcp://:::22", ":: means any address: nothing can connect to it; probe 127.0.0.1 or ::1"],
    ["tcp://224.0.0.1:22,remote=yes", "224.0.0.1 is a multicast or broadcast address: no TCP service answers there"],
    ["tcp://10.0.0.5:22", "10.0.0.5 is not a loopback address: procwatch probes only this host's loopback unless the rule says remote=yes (then it connects to that address once per check)"],
    ["tcp://127.0.0.1:22,remote=no", 'remote= takes only "yes" (got "no")'],
    ["tcp://127.0.0.1:22,banner=(a)\\1", "banner=: regular expression has a backreference \"\\1\": it needs backtracking, which is refused so that no pattern can stall a scan"],
    ["tcp://127.0.0.1:22,banner=(", "banner=: invalid regular expression (/(/l: Unterminated group)"],
    ["tcp://127.0.0.1:22,banner=", 'qualifier "banner" has an empty value'],
    ["tcp://127.0.0.1:22,timeout=2m", 'timeout=: "2m" is longer than 1m'],
    ["tcp://127.0.0.1:22,timeout=1ms", 'timeout=: "1ms" is shorter than 10ms'],
    ["tcp://127.0.0.1:22,user=root", 'unknown probe qualifier "user" (known: banner, timeout, remote)'],
    ["tcp://127.0.0.1:22,timeout=1s,timeout=2s", 'qualifier "timeout" given twice'],
  ];
  for (const [arg, reason] of bad) {
    test(`${arg}: ${reason}`, () => assert.throws(() => parseRuleText(arg, { accounts, source }), (err: unknown) => err instanceof RuleError && err.reason === reason));
  }

  test("probes and counts mix on one command line, in order; a duplicate label is refused", () => {
    const parsed = parseRuleArgs(["sshd:1-,listen=22", "tcp://127.0.0.1:22,banner=^SSH-", "tcp://127.0.0.1:22,banner=^SSH-,timeout=1s"], accounts);
    assert.deepEqual(parsed.rules.map((r) => r.kind), ["count", "probe"]);
    assert.deepEqual(probeRules(parsed.rules).map((r) => r.label), ["tcp://127.0.0.1:22,banner=^SSH-"]);
    assert.deepEqual(parsed.errors.map((e) => e.reason), ['duplicate of argument 2 ("tcp://127.0.0.1:22,banner=^SSH-")']);
  });
});
