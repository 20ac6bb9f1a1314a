// listen= judged on records: which process counts, the near-miss reasons, unknown when the fd
// links could not be read, and the port's sockets for the detail. Records are plain data here.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { matchRule } from "../../src/evaluate/match.js";
import { evaluateRules } from "../../src/evaluate/verdict.js";
import { Field, type ListeningSocket, type ProcessRecord, type Snapshot } from "../../src/procfs/types.js";
import { parseOneLiner } from "../../src/rules/oneliner.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { ids, proc } from "../helpers/records.js";

const accounts = fixtureAccounts();
const ctx = { interpreters: makeInterpreterSet(DEFAULT_INTERPRETERS), excluded: new Set<number>() };
const rule = (arg: string) => parseOneLiner(arg, { accounts, source: { file: "argv", line: 1, column: 1 } });
const ALL = Field.status | Field.cmdline | Field.exe | Field.label | Field.sockets;
const MAPPED = `${"0".repeat(20)}ffff`;

function sock(proto: "tcp" | "udp", address: string, port: number, inode: number): ListeningSocket {
  const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(address);
  const key = v4
    ? MAPPED + address.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join("")
    : address === "::1" ? `${"0".repeat(31)}1` : address === "::" ? "0".repeat(32) : `${MAPPED}7f000001`;
  return { proto, family: v4 ? 4 : 6, address, addressKey: key, port, inode, uid: 0 };
}

const ANY25 = sock("tcp", "0.0.0.0", 25, 1);
const LO25 = sock("tcp", "127.0.0.1", 25, 2);
const V6ANY25 = sock("tcp", "::", 25, 3);
const MAPPED25 = sock("tcp", "::ffff:127.0.0.1", 25, 4);
const UDP53 = sock("udp", "127.0.0.1", 53, 5);
const LO8025 = sock("tcp", "127.0.0.1", 8025, 6);

const master = (listening: ListeningSocket[] | undefined, extra: Partial<ProcessRecord> = {}): ProcessRecord =>
  proc({ pid: 10, comm: "master", readMask: ALL, listening, ...extra });

describe("which listening socket a listen= qualifier accepts", () => {
  const cases: [string, ListeningSocket[], string][] = [
    ["master:1-,listen=25", [ANY25], "yes"],
    ["master:1-,listen=25", [V6ANY25], "yes"],
    ["master:1-,listen=tcp/25", [LO25], "yes"],
    ["master:1-,listen=udp/25", [ANY25], "near: listen=udp/25: holds no socket listening on udp/25 (it listens on tcp/0.0.0.0:25)"],
    ["master:1-,listen=udp/53", [UDP53], "yes"],
    ["master:1-,listen=53", [UDP53], "near: listen=53: holds no socket listening on tcp/53 (it listens on udp/127.0.0.1:53)"],
    ["master:1-,listen=127.0.0.1:25", [LO25], "yes"],
    // IPv4-mapped: an IPv6 socket bound to ::ffff:127.0.0.1 accepts 127.0.0.1.
    ["master:1-,listen=127.0.0.1:25", [MAPPED25], "yes"],
    // An address is exact: 0.0.0.0 is its own address, and :: is not 0.0.0.0.
    ["master:1-,listen=127.0.0.1:25", [ANY25], "near: listen=127.0.0.1:25: holds no socket listening on tcp/127.0.0.1:25 (it listens on tcp/0.0.0.0:25)"],
    ["master:1-,listen=0.0.0.0:25", [ANY25], "yes"],
    ["master:1-,listen=0.0.0.0:25", [V6ANY25], "near: listen=0.0.0.0:25: holds no socket listening on tcp/0.0.0.0:25 (it listens on tcp/[::]:25)"],
    ["master:1-,listen=:::25", [V6ANY25], "yes"],
    ["master:1-,listen=::1:25", [V6ANY25], "near: listen=::1:25: holds no socket listening on tcp/[::1]:25 (it listens on tcp/[::]:25)"],
    ["master:1-,listen=25", [], "near: listen=25: holds no socket listening on tcp/25"],
    ["master:1-,listen=25", [LO8025, UDP53, LO8025], "near: listen=25: holds no socket listening on tcp/25 (it listens on tcp/127.0.0.1:8025, udp/127.0.0.1:53)"],
  ];
  for (const [arg, listening, want] of cases) {
    test(`${arg} vs ${listening.map((s) => `${s.proto}/${s.address}:${s.port}`).join(" ") || "nothing"}: ${want}`, () => {
      const o = matchRule(rule(arg), master(listening), ctx);
      assert.equal(o.kind === "near" ? `near: ${o.reason}` : o.kind, want);
    });
  }

  test("fd links unreadable: unknown with the errno; a socket table unreadable: unknown naming it", () => {
    const eacces = matchRule(rule("master:1-,listen=25"), master(undefined, { unknownMask: Field.sockets, unknownWhy: { sockets: "EACCES" } }), ctx);
    assert.deepEqual(eacces, { kind: "unknown", why: "listen=25: fd links unreadable (EACCES)" });
    const table = matchRule(rule("master:1-,listen=25"), master(undefined, { unknownMask: Field.sockets, unknownWhy: { sockets: "net/tcp6: EIO" } }), ctx);
    assert.deepEqual(table, { kind: "unknown", why: "listen=25: socket table net/tcp6: EIO" });
  });

  test("fd links unreadable but nothing in its namespace listens on the port: decided, a near miss", () => {
    const unreadable = { unknownMask: Field.sockets, unknownWhy: { sockets: "EACCES" } };
    const cases: [string, ListeningSocket[], string][] = [
      ["master:1-,listen=25", [], "near: listen=25: holds no socket listening on tcp/25: nothing listens on it in its network namespace (fd links unreadable (EACCES))"],
      ["master:1-,listen=25", [LO8025, UDP53], "near: listen=25: holds no socket listening on tcp/25: nothing listens on it in its network namespace (fd links unreadable (EACCES))"],
      // Something listens there: it may be this process's, so still unknown.
      ["master:1-,listen=25", [LO25], "unknown: listen=25: fd links unreadable (EACCES)"],
      ["master:1-,listen=127.0.0.1:25", [MAPPED25], "unknown: listen=127.0.0.1:25: fd links unreadable (EACCES)"],
      ["master:1-,listen=127.0.0.1:25", [ANY25], "near: listen=127.0.0.1:25: holds no socket listening on tcp/127.0.0.1:25: nothing listens on it in its network namespace (fd links unreadable (EACCES))"],
      ["master:1-,listen=udp/53", [UDP53], "unknown: listen=udp/53: fd links unreadable (EACCES)"],
    ];
    for (const [arg, around, want] of cases) {
      const o = matchRule(rule(arg), master(undefined, { ...unreadable, namespaceListening: around }), ctx);
      assert.equal(o.kind === "near" ? `near: ${o.reason}` : o.kind === "unknown" ? `unknown: ${o.why}` : o.kind, want, `${arg} with ${around.length} sockets around`);
    }
  });

  test("a process in another network namespace is judged by its namespace's sockets, and says so", () => {
    const o = matchRule(rule("nginx:1-,listen=80"), proc({ pid: 11, comm: "nginx", readMask: ALL, listening: [LO8025], netNs: "net:[4026532999]" }), ctx);
    assert.deepEqual(o, { kind: "near", reason: "listen=80: holds no socket listening on tcp/80 in network namespace net:[4026532999] (it listens on tcp/127.0.0.1:8025)" });
  });
});

describe("fd links are read last, only for processes the rest of the rule did not exclude", () => {
  const unread = Field.status | Field.cmdline | Field.exe | Field.label;
  test("user= is decided first: a wrong user is a near miss without reading fd links", () => {
    const o = matchRule(rule("master:1-,listen=25,user=root"), proc({ pid: 12, comm: "master", uids: ids(65534), readMask: unread }), ctx);
    assert.deepEqual(o, { kind: "near", reason: "user=root: real uid 65534, effective uid 65534" });
  });
  test("the rest holds: the sockets are needed", () => {
    assert.deepEqual(matchRule(rule("master:1-,user=root,listen=25"), proc({ pid: 12, comm: "master", readMask: unread }), ctx), { kind: "need", fields: Field.sockets });
  });
  test("another name: not even a candidate", () => {
    assert.deepEqual(matchRule(rule("master:1-,listen=25"), proc({ pid: 13, comm: "pickup", readMask: 0 }), ctx), { kind: "no" });
  });
  test("an undecided selector (exe unreadable: CAP_DAC_READ_SEARCH without CAP_SYS_PTRACE) is decided by fd links that show no such socket", () => {
    const exeUnreadable = { exe: undefined, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } };
    const path = rule("/usr/lib/postfix/sbin/master:1-,listen=25");
    assert.deepEqual(matchRule(path, proc({ pid: 15, comm: "master", ...exeUnreadable, readMask: Field.exe }), ctx), { kind: "need", fields: Field.sockets });
    assert.deepEqual(matchRule(path, proc({ pid: 15, comm: "master", ...exeUnreadable, readMask: ALL, listening: [LO8025] }), ctx), { kind: "no" });
    // holding the port does not tell which file it runs: still undecided
    assert.deepEqual(matchRule(path, proc({ pid: 15, comm: "master", ...exeUnreadable, readMask: ALL, listening: [ANY25] }), ctx), { kind: "unknown", why: "exe unreadable (EACCES)" });
  });

  test("an unknown elsewhere still reads the sockets: a definite 'not listening' beats it", () => {
    const noExe = proc({ pid: 14, comm: "master", exe: undefined, readMask: unread, unknownMask: Field.exe, unknownWhy: { exe: "EACCES" } });
    assert.deepEqual(matchRule(rule("master:1-,exe=/usr/lib/postfix/sbin/master,listen=25"), noExe, ctx), { kind: "need", fields: Field.sockets });
    const read = { ...noExe, readMask: ALL, listening: [] };
    assert.deepEqual(matchRule(rule("master:1-,exe=/usr/lib/postfix/sbin/master,listen=25"), read, ctx), { kind: "near", reason: "listen=25: holds no socket listening on tcp/25" });
  });
});

describe("the verdict's port report: the sockets on the port whoever holds them", () => {
  const snap = (processes: ProcessRecord[], listening: Snapshot["listening"]): Snapshot => ({
    atNs: 0n, atMs: 0, processes, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" }, unreadable: 0,
    ...(listening === undefined ? {} : { listening }),
  });
  test("counted, and the port's sockets listed (IPv4 and IPv6 both, for listen=PORT)", () => {
    const [v] = evaluateRules([rule("master:1-1,listen=25")], snap([master([ANY25])], [ANY25, V6ANY25, LO8025]), ctx);
    assert.equal(v?.state, "ok");
    assert.deepEqual(v?.listen, { text: "25", spec: { proto: "tcp", port: 25 }, sockets: [ANY25, V6ANY25] });
  });
  test("nothing listens: an empty list; tables unreadable: the error", () => {
    const [empty] = evaluateRules([rule("master:1-1,listen=25")], snap([master([])], [LO8025]), ctx);
    assert.deepEqual([empty?.state, empty?.listen?.sockets], ["fail", []]);
    const [broken] = evaluateRules([rule("master:1-1,listen=25")], snap([master([])], { error: "net/tcp: EACCES" }), ctx);
    assert.deepEqual(broken?.listen?.sockets, { error: "net/tcp: EACCES" });
  });
  test("unknown fd links make the count undecided, never 0", () => {
    const [v] = evaluateRules([rule("master:1-1,listen=25")], snap([master(undefined, { unknownMask: Field.sockets, unknownWhy: { sockets: "EACCES" } })], [ANY25]), ctx);
    assert.deepEqual([v?.state, v?.count, v?.undecided], ["unknown", 0, 1]);
  });
  test("unknown fd links where nothing listens on the port: the count is decided, and a minimum of 1 fails", () => {
    const unread = master(undefined, { unknownMask: Field.sockets, unknownWhy: { sockets: "EACCES" }, namespaceListening: [LO8025] });
    const [v] = evaluateRules([rule("master:1-1,listen=25")], snap([unread], [LO8025]), ctx);
    assert.deepEqual([v?.state, v?.count, v?.undecided, v?.nearMisses.length], ["fail", 0, 0, 1]);
  });
});
