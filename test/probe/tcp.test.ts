// One TCP probe against real loopback servers: how each kind of answer ends the probe, with the
// connect and banner times, the banner bytes as received, and one connection each.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BANNER_CAP_BYTES, probeTcp } from "../../src/probe/tcp.js";
import { closedPort, greets, haveIpv6Loopback, type Listener, silent, startListenerProcess, tcpServer } from "../helpers/listeners.js";
import { ProcessPool, uniqueName, waitFor } from "../helpers/procs.js";

const servers: Listener[] = [];
const pool = new ProcessPool();
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pool.cleanup();
});

async function serve(onConnection: Parameters<typeof tcpServer>[0], host?: string): Promise<Listener> {
  const s = await tcpServer(onConnection, host);
  servers.push(s);
  return s;
}

const matches = (re: RegExp) => ({ isEnough: (line: string) => re.test(line) });

describe("ends", () => {
  test("connect only: ends at the handshake, reads nothing", async () => {
    const s = await serve(greets("SSH-2.0-x\r\n"));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000 });
    assert.equal(r.end, "connected");
    assert.ok(typeof r.connectMs === "number" && r.connectMs >= 0);
    assert.deepEqual([r.banner, r.bannerMs], [undefined, undefined]);
  });

  test("a banner line: the first line, CR LF removed, with its time", async () => {
    const s = await serve(greets("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nsecond line\r\n"));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^nothing$/) });
    assert.deepEqual([r.end, r.banner], ["banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2"]);
    assert.ok((r.bannerMs ?? -1) >= (r.connectMs ?? Infinity));
  });

  test("a greeting without a newline (MySQL's binary handshake) ends as soon as the pattern matches", async () => {
    // No 0x0a byte anywhere (a real MySQL greeting starts with protocol version 10 = 0x0a, which
    // would end the line by itself), and the server stays silent and connected afterwards: only
    // the pattern can end this probe before its timeout.
    const greeting = Buffer.concat([Buffer.from([0x4a, 0, 0, 0, 0x09]), Buffer.from("8.0.36\0mysql_native_password")]);
    assert.equal(greeting.includes(0x0a), false);
    const s = await serve(greets(greeting));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 5000, banner: matches(/mysql_native_password/) });
    assert.equal(r.end, "banner");
    assert.ok(r.banner?.endsWith("mysql_native_password"), r.banner);
  });

  test("the same greeting with a pattern it does not match waits for the timeout", async () => {
    const greeting = Buffer.concat([Buffer.from([0x4a, 0, 0, 0, 0x09]), Buffer.from("8.0.36\0mysql_native_password")]);
    const s = await serve(greets(greeting));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 200, banner: matches(/caching_sha2_password/) });
    assert.equal(r.end, "timeout");
  });

  test("silence after the connect: timeout, connected, empty banner", async () => {
    const s = await serve(silent());
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 150, banner: matches(/^SSH-/) });
    assert.equal(r.end, "timeout");
    assert.ok(r.connectMs !== undefined);
    assert.equal(r.banner, "");
  });

  test("half a line and then silence: timeout with what came so far", async () => {
    const s = await serve(greets("220 mail.exa"));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 150, banner: matches(/ESMTP/) });
    assert.deepEqual([r.end, r.banner], ["timeout", "220 mail.exa"]);
  });

  test("a service that closes at once: closed, nothing received", async () => {
    const s = await serve((c) => c.end());
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^220/) });
    assert.deepEqual([r.end, r.banner], ["closed", ""]);
  });

  test("a greeting without newline, then close: closed, the greeting kept", async () => {
    const s = await serve((c) => c.end("554 go away"));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^220/) });
    assert.deepEqual([r.end, r.banner], ["closed", "554 go away"]);
  });

  test("a closed port: refused", async () => {
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: await closedPort(), timeoutMs: 2000 });
    assert.deepEqual([r.end, r.connectMs], ["refused", undefined]);
  });

  test("a flood without newline: cut at the cap", async () => {
    const s = await serve(greets(Buffer.alloc(10_000, 0x41)));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^B/) });
    assert.deepEqual([r.end, r.banner?.length], ["banner", BANNER_CAP_BYTES]);
  });

  test("bytes come back as they were sent (latin1 byte string), control bytes and invalid UTF-8 included", async () => {
    const s = await serve(greets(Buffer.from([0x32, 0x32, 0x30, 0x1b, 0x5b, 0xff, 0xfe, 0x7c, 0x0d, 0x0a])));
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^x/) });
    assert.equal(r.banner, "220\x1b[\xff\xfe|");
  });

  test("a connect that gets no answer at all (the accept queue is full, SYNs are dropped): timeout before connecting", async () => {
    const blocked = await startListenerProcess(pool, uniqueName("bq"), { neverAccept: true, lifetimeMs: 30_000 });
    // backlog 1: the kernel queues two handshakes; after that a SYN is dropped.
    const fill = await Promise.all([0, 1].map(() => probeTcp({ host: "127.0.0.1", family: 4, port: blocked.port, timeoutMs: 1000, banner: matches(/x/) })));
    assert.deepEqual(fill.map((f) => f.connectMs !== undefined), [true, true]);
    const r = await probeTcp({ host: "127.0.0.1", family: 4, port: blocked.port, timeoutMs: 300 });
    assert.deepEqual([r.end, r.connectMs], ["timeout", undefined]);
    await pool.kill(blocked.child);
  });
});

describe("one connection per probe", () => {
  test("a probe opens exactly one connection, and closes it", async () => {
    let connections = 0;
    let closed = 0;
    const s = await serve((c) => {
      connections++;
      c.on("close", () => closed++);
      c.write("220 ok\r\n");
    });
    await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000, banner: matches(/^220/) });
    await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000 });
    await waitFor(() => (closed === 2 ? true : undefined));
    assert.deepEqual([connections, closed], [2, 2]);
  });
});

describe("IPv6 loopback", () => {
  let v6 = false;
  before(async () => {
    v6 = await haveIpv6Loopback();
  });
  test("::1: a banner and a refusal", async (t) => {
    if (!v6) return t.skip("no IPv6 loopback on this machine (no ::1, or IPv6 switched off)");
    const s = await serve(greets("SSH-2.0-v6\r\n"), "::1");
    const r = await probeTcp({ host: "::1", family: 6, port: s.port, timeoutMs: 2000, banner: matches(/^SSH-2\.0-/) });
    assert.deepEqual([r.end, r.banner], ["banner", "SSH-2.0-v6"]);
    // the same port on IPv4 is another socket: nothing there
    const r4 = await probeTcp({ host: "127.0.0.1", family: 4, port: s.port, timeoutMs: 2000 });
    assert.equal(r4.end, "refused");
  });
});
