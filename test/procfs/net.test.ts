// /proc/net socket tables and fd links: the listening rows of each table (byte order, IPv4-mapped
// IPv6, wide sl columns, UDP's "listening"), the sockets a process holds, other network
// namespaces, and what is read at all (nothing without a listen= rule).
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { findSocketHolders } from "../../src/procfs/fd.js";
import { formatAddress, parseNetTable, readNetTables } from "../../src/procfs/net.js";
import { readOneProcess, takeSnapshot } from "../../src/procfs/snapshot.js";
import { Field, type ListeningSocket } from "../../src/procfs/types.js";
import { ProcParseError } from "../../src/procfs/errors.js";
import { fixtureRoot, link, statLine, statusText, takeSnapshotInChild, TreePool } from "../helpers/proctree.js";

const ROOT = fixtureRoot("sockets");
const pool = new TreePool();
after(() => pool.cleanup());

const brief = (s: readonly ListeningSocket[]): string[] => s.map((x) => `${x.proto}${x.family} ${x.address} ${x.port} #${x.inode} uid ${x.uid}`);

describe("socket tables (fixture captured layout, x86 byte order)", () => {
  test("every listening row of the four tables, and nothing else", () => {
    const all = readNetTables(`${ROOT}/net`, true);
    assert.ok(Array.isArray(all));
    assert.deepEqual(brief(all), [
      "tcp4 0.0.0.0 25 #20001 uid 0",
      "tcp4 127.0.0.1 3306 #20002 uid 110",
      // 20003/20004 are the two ends of a connection on port 25, 20008 is TIME_WAIT: not listening
      "tcp4 0.0.0.0 8080 #20005 uid 0",
      "tcp4 127.0.0.1 9000 #20006 uid 1000",
      "tcp4 127.0.0.1 9000 #20007 uid 1000",
      // "12345:" is wider than sl's four columns; the inode is above 2^32
      "tcp4 10.0.0.2 80 #4294967297 uid 0",
      "tcp6 :: 22 #20010 uid 0",
      "tcp6 ::1 631 #20011 uid 0",
      "tcp6 ::ffff:127.0.0.1 6379 #20012 uid 999",
      "tcp6 2001:db8::1 443 #20013 uid 0",
      // UDP: bound and unconnected (07, no remote port); the connected 20022 and unbound 20023 are not
      "udp4 0.0.0.0 53 #20020 uid 0",
      "udp4 127.0.0.1 53 #20021 uid 0",
      "udp6 ::1 53 #20024 uid 0",
    ]);
  });

  test("IPv4 and IPv4-mapped IPv6 share a key; the address bytes follow the CPU's byte order", () => {
    const v4 = parseNetTable("  sl  local_address rem_address   st\n   0: 0100007F:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n", "tcp", 4, "t", true);
    const mapped = parseNetTable("  sl  local_address remote_address st\n   0: 0000000000000000FFFF00000100007F:0019 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 8 1\n", "tcp", 6, "t", true);
    assert.equal(v4[0]?.addressKey, mapped[0]?.addressKey);
    assert.deepEqual([v4[0]?.address, mapped[0]?.address], ["127.0.0.1", "::ffff:127.0.0.1"]);
    // s390x prints the same address as 7F000001 (big endian).
    const be = parseNetTable("  sl  local_address rem_address   st\n   0: 7F000001:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n", "tcp", 4, "t", false);
    assert.equal(be[0]?.address, "127.0.0.1");
    const be6 = parseNetTable("  sl  local_address remote_address st\n   0: 20010DB8000000000000000000000001:01BB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 9 1\n", "tcp", 6, "t", false);
    assert.equal(be6[0]?.address, "2001:db8::1");
  });

  const malformed: [string, string][] = [
    ["no header", "   0: 0100007F:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n"],
    ["short row", "  sl  local_address\n   0: 0100007F:0019 00000000:0000 0A\n"],
    ["IPv6 address in the IPv4 table", "  sl  local_address\n   0: 00000000000000000000000001000000:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n"],
    ["state not hex", "  sl  local_address\n   0: 0100007F:0019 00000000:0000 LISTEN 0:0 0:0 0 0 0 7 1\n"],
    ["port not 4 hex digits", "  sl  local_address\n   0: 0100007F:19 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n"],
  ];
  for (const [name, text] of malformed) {
    test(`malformed: ${name} → ProcParseError (a half-read table could hide the socket asked for)`, () => {
      assert.throws(() => parseNetTable(text, "tcp", 4, "/proc/net/tcp", true), ProcParseError);
    });
  }

  const addresses: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "::1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"],
    // a single zero group is not compressed; on a tie the first run is (RFC 5952 §4.2)
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"],
    [[0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1], "2001::1:1:0:0:1"],
    [[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "fe80::"],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1], "::ffff:10.0.0.1"],
  ];
  for (const [bytes, text] of addresses) test(`formatAddress ${text}`, () => assert.equal(formatAddress(bytes), text));

  test("IPv6 switched off (no tcp6/udp6) is no IPv6 sockets; a missing tcp is a failure", () => {
    const header = "  sl  local_address rem_address   st\n";
    const v4only = pool.make({ net: { tcp: `${header}   0: 0100007F:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n`, udp: header } });
    assert.deepEqual(brief(readNetTables(`${v4only}/net`, true) as ListeningSocket[]), ["tcp4 127.0.0.1 25 #7 uid 0"]);
    const none = pool.make({ net: { udp: header } });
    assert.deepEqual(readNetTables(`${none}/net`, true), { failure: "vanished", code: "ENOENT", file: "tcp" });
  });
});

describe("the sockets a process holds (Field.sockets)", () => {
  const listening = (pid: number): string[] | undefined => {
    const rec = readOneProcess(ROOT, pid, Field.sockets);
    return rec?.listening?.map((s) => `${s.proto}/${s.address}:${s.port}`);
  };
  const cases: [string, number, string[]][] = [
    ["postfix master: its listening socket; a unix socket (not in any table) and a pipe are ignored", 100, ["tcp/0.0.0.0:25"]],
    ["smtpd child: the inherited listening socket, not the accepted connection on the same port", 101, ["tcp/0.0.0.0:25"]],
    ["nginx master and worker hold one socket", 121, ["tcp/0.0.0.0:8080"]],
    ["SO_REUSEPORT: each process its own socket on one port", 131, ["tcp/127.0.0.1:9000"]],
    ["redis on an IPv4-mapped address", 160, ["tcp/::ffff:127.0.0.1:6379"]],
    ["named: UDP on IPv4 and IPv6; its connected UDP socket is no listener", 170, ["udp/0.0.0.0:53", "udp/127.0.0.1:53", "udp/::1:53"]],
    ["a client connection is no listener", 180, []],
    ["no open files at all", 200, []],
    // A container's process: its own namespace's table (190/net/tcp), not procwatch's.
    ["another network namespace", 190, ["tcp/0.0.0.0:80"]],
  ];
  for (const [name, pid, want] of cases) test(name, () => assert.deepEqual(listening(pid), want));

  test("a process in another network namespace says which", () => {
    assert.equal(readOneProcess(ROOT, 190, Field.sockets)?.netNs, "net:[4026532999]");
    assert.equal(readOneProcess(ROOT, 100, Field.sockets)?.netNs, undefined);
  });

  test("who holds given sockets: every process's fd links, in PID order", () => {
    assert.deepEqual(findSocketHolders(ROOT, new Set([20001, 20005])), {
      holders: [{ pid: 100, inode: 20001 }, { pid: 101, inode: 20001 }, { pid: 120, inode: 20005 }, { pid: 121, inode: 20005 }],
      unreadable: 0,
    });
  });
});

describe("what a scan reads", () => {
  test("without a listen= rule, no socket table and no fd link is read", () => {
    // A tree whose tables would make any read fail: the scan must not notice them.
    const root = pool.make({
      net: { tcp: "garbage\n" },
      7: { stat: statLine({ pid: 7, comm: "sshd" }), status: statusText({ pid: 7, name: "sshd" }), fd: { 3: link("socket:[1]") } },
    });
    const s = takeSnapshot(root, { plan: () => Field.status, checkVisibility: false });
    assert.equal(s.listening, undefined);
    assert.equal(s.processes[0]?.listening, undefined);
    assert.equal(s.processes[0]?.readMask, Field.status);
  });

  test("readListening gives procwatch's own tables; an unparsable table is an error, not an empty list", () => {
    assert.equal((takeSnapshot(ROOT, { readListening: true, checkVisibility: false }).listening as ListeningSocket[]).length, 13);
    const root = pool.make({ net: { tcp: "garbage\n" } });
    assert.deepEqual(takeSnapshot(root, { readListening: true, checkVisibility: false }).listening, { error: "net/tcp: EPARSE" });
  });

  test("an unreadable socket table makes the process's sockets unknown, with the table named", () => {
    const root = pool.make({
      net: { tcp: "garbage\n" },
      7: { stat: statLine({ pid: 7, comm: "sshd" }), status: statusText({ pid: 7, name: "sshd" }), fd: { 3: link("socket:[1]") } },
    });
    const rec = takeSnapshot(root, { plan: () => Field.sockets, checkVisibility: false }).processes[0];
    assert.equal(rec?.listening, undefined);
    assert.deepEqual([rec?.unknownMask, rec?.unknownWhy], [Field.sockets, { sockets: "net/tcp: EPARSE" }]);
  });

  test("fd links another user may not read: sockets unknown (EACCES), never an empty list", (t) => {
    if (process.geteuid?.() !== 0) return t.skip("needs root to run the reader as nobody");
    const root = pool.make({
      net: { tcp: "  sl  local_address rem_address   st\n   0: 0100007F:0019 00000000:0000 0A 0:0 0:0 0 0 0 7 1\n", udp: "  sl  local_address\n" },
      7: { stat: statLine({ pid: 7, comm: "master" }), status: statusText({ pid: 7, name: "master" }), fd: { 3: link("socket:[7]") } },
      8: { stat: statLine({ pid: 8, comm: "master" }), status: statusText({ pid: 8, name: "master" }), fd: {} },
    });
    // Another user's fd directory: the kernel's ptrace check, here mode 000.
    chmodSync(join(root, "8", "fd"), 0o000);
    const r = takeSnapshotInChild(root, { fields: Field.sockets, uid: 65534 });
    assert.ok(r.ok, r.ok ? "" : r.stderr);
    const [seven, eight] = r.snapshot.processes;
    assert.deepEqual(seven?.listening?.map((s) => s.port), [25]);
    assert.deepEqual([eight?.listening, eight?.unknownWhy], [undefined, { sockets: "EACCES" }]);
    assert.equal(r.snapshot.skipped.denied, 1);
  });
});
