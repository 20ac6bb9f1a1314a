// procwatch check with listen= and probes against real listeners started here, on loopback only:
// named Node servers (their comm is the name, their exe the node binary), a greeting server, a
// wrong greeting, silence, a closed port; as root and as nobody; IPv6 where the machine has it.
// Every server stops by itself; the named ones are killed by PID in after().
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { runCheck } from "../../src/check/run-check.js";
import { runCli, runCommand } from "../helpers/cli.js";
import { haveRoot, haveTools } from "../helpers/e2e.js";
import { closedPort, greets, haveIpv6Loopback, type Listener, silent, startListenerProcess, tcpServer } from "../helpers/listeners.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
const servers: Listener[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pool.cleanup();
});

const NODE = realpathSync(process.execPath);
const NOBODY = { uid: 65534, gid: 65534 };

async function check(...args: string[]) {
  const r = await runCli(["check", ...args]);
  assert.equal(r.stderr, "", "nothing may reach stderr (mon merges it into the summary)");
  return r;
}

async function serve(onConnection: Parameters<typeof tcpServer>[0]): Promise<Listener> {
  const s = await tcpServer(onConnection);
  servers.push(s);
  return s;
}

describe("listen=: which process holds the listening socket", () => {
  let name: string;
  let other: string;
  let server: { pid: number; port: number };
  let otherServer: { pid: number; port: number };
  before(async () => {
    name = uniqueName("ls");
    other = uniqueName("lo");
    server = await startListenerProcess(pool, name);
    otherServer = await startListenerProcess(pool, other);
  });

  test("the named server holds its port: by name, by address, and by executable path", async () => {
    const r = await check(`${name}:1-1,listen=${server.port}`, `${name}:1-1,listen=127.0.0.1:${server.port}`, `${name}:1-1,listen=tcp/${server.port},user=root`);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
    // A path selector: of every node process on this machine exactly one holds that port. (Some
    // hosts have processes whose exe even root may not read, e.g. a container's PID 1: those
    // stay undecided unless their fd links show they hold no such socket, so 1- not 1-1.)
    const byPath = await check("--format", "json", `${NODE}:1-,listen=${server.port}`);
    const doc = JSON.parse(byPath.stdout) as { rules: { state: string; count: number; matches: { pid: number }[] }[] };
    assert.deepEqual([byPath.code, doc.rules[0]?.state, doc.rules[0]?.count, doc.rules[0]?.matches.map((m) => m.pid)], [0, "ok", 1, [server.pid]]);
  });

  test("another program holds the port: the detail names it with pid, name, user and exe; ours is a near miss", async () => {
    const r = await check(`${name}:1-1,listen=${otherServer.port}`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, [
      `${name},listen=${otherServer.port}:0`,
      `${name},listen=${otherServer.port}:0 < 1 (1-1)`,
      `  port tcp/${otherServer.port}: held by pid ${otherServer.pid} name ${other} user root exe ${NODE} (tcp/127.0.0.1:${otherServer.port})`,
      `  near miss: pid ${server.pid} name ${name} user root exe ${NODE}: listen=${otherServer.port}: holds no socket listening on tcp/${otherServer.port} (it listens on tcp/127.0.0.1:${server.port})`,
      "",
    ].join("\n"));
  });

  test("the port is right but the address is not: 0.0.0.0 is not 127.0.0.1", async () => {
    const r = await check(`${name}:1-,listen=0.0.0.0:${server.port}`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^  port tcp/0\\.0\\.0\\.0:${server.port}: nothing listens on it$`, "m"));
  });

  test("Nagios and JSON", async () => {
    const n = await check("--format", "nagios", `${name}:1-1,listen=${server.port}`, `${name}:1-1,listen=${otherServer.port}`);
    assert.equal(n.code, 2);
    assert.equal(n.stdout.split("\n")[0], `PROCS CRITICAL: ${name},listen=${otherServer.port}:0 < 1 (1-1) | '${name}_listen_${server.port}'=1;;1:1;0; '${name}_listen_${otherServer.port}'=0;;1:1;0;`);
    assert.match(n.stdout, new RegExp(`^  port tcp/${otherServer.port}: held by pid ${otherServer.pid} `, "m"));
    const j = await check("--format", "json", `${name}:1-1,listen=${otherServer.port}`);
    const doc = JSON.parse(j.stdout) as { rules: { listen: { holders: { pid: number; comm: string; exe: string }[] } }[] };
    assert.deepEqual(doc.rules[0]?.listen.holders.map((h) => [h.pid, h.comm, h.exe]), [[otherServer.pid, other, NODE]]);
  });

  test("as nobody, another user's fd links are unreadable: unknown (never a silent miss), Nagios UNKNOWN", async (t) => {
    if (!haveRoot(t)) return;
    const r = await runCli(["check", `${name}:1-1,listen=${server.port}`], NOBODY);
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `${name},listen=${server.port}:unknown`);
    assert.match(r.stdout, new RegExp(`^  port tcp/${server.port}: listening \\(socket owner root\\), held by a process whose fd links procwatch cannot read \\(\\d+ processes unreadable; run as root\\)$`, "m"));
    assert.match(r.stdout, new RegExp(`^  undecided: pid ${server.pid} name ${name} user root exe \\? \\(EACCES\\): listen=${server.port}: fd links unreadable \\(EACCES\\)$`, "m"));
    const n = await runCli(["check", "--format", "nagios", `${name}:1-1,listen=${server.port}`], NOBODY);
    assert.equal(n.code, 3);
    assert.match(n.stdout, new RegExp(`^PROCS UNKNOWN: ${name},listen=${server.port}:0 unknown: 1 more processes could not be checked \\(1-1\\) \\| '${name}_listen_${server.port}'=U;;1:1;0;$`, "m"));
  });

  test("as nobody, a port nothing listens on is decided: no process can hold it, unreadable fd links or not", async (t) => {
    if (!haveRoot(t)) return;
    const port = await closedPort();
    const r = await runCli(["check", `${name}:1-1,listen=${port}`], NOBODY);
    assert.equal(r.stdout, [
      `${name},listen=${port}:0`,
      `${name},listen=${port}:0 < 1 (1-1)`,
      `  port tcp/${port}: nothing listens on it`,
      `  near miss: pid ${server.pid} name ${name} user root exe ? (EACCES): listen=${port}: holds no socket listening on tcp/${port}: nothing listens on it in its network namespace (fd links unreadable (EACCES))`,
      "",
    ].join("\n"));
    assert.equal(r.code, 1);
    const n = await runCli(["check", "--format", "nagios", `${name}:1-1,listen=${port}`], NOBODY);
    assert.equal(n.code, 2, n.stdout);
    assert.equal(n.stdout.split("\n")[0], `PROCS CRITICAL: ${name},listen=${port}:0 < 1 (1-1) | '${name}_listen_${port}'=0;;1:1;0;`);
  });

  test("as nobody, nobody's own server is decided", async (t) => {
    if (!haveRoot(t)) return;
    const mine = uniqueName("ln");
    const s = await startListenerProcess(pool, mine, { uid: 65534 });
    const r = await runCli(["check", `${mine}:1-1,listen=${s.port},user=nobody`], NOBODY);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
  });

  test("a dead server's port: the count drops to 0 and nothing listens", async () => {
    const gone = uniqueName("lg");
    const s = await startListenerProcess(pool, gone);
    assert.equal((await check(`${gone}:1-1,listen=${s.port}`)).code, 0);
    await pool.kill(s.child);
    const r = await check(`${gone}:1-1,listen=${s.port}`);
    assert.equal(r.stdout, `${gone},listen=${s.port}:0\n${gone},listen=${s.port}:0 < 1 (1-1)\n  port tcp/${s.port}: nothing listens on it\n`);
  });

  test("UDP: listen=udp/PORT; the same port number over TCP is another port", async () => {
    const udp = uniqueName("lu");
    const s = await startListenerProcess(pool, udp, { proto: "udp" });
    assert.equal((await check(`${udp}:1-1,listen=udp/${s.port}`, `${udp}:1-1,listen=udp/127.0.0.1:${s.port}`)).code, 0);
    const r = await check(`${udp}:1-1,listen=${s.port}`);
    assert.match(r.stdout, new RegExp(`holds no socket listening on tcp/${s.port} \\(it listens on udp/127\\.0\\.0\\.1:${s.port}\\)`));
  });

  test("IPv6 loopback: listen=::1:PORT", async (t) => {
    if (!(await haveIpv6Loopback())) return t.skip("no IPv6 loopback on this machine (no ::1, or IPv6 switched off)");
    const v6 = uniqueName("l6");
    const s = await startListenerProcess(pool, v6, { host: "::1" });
    const r = await check(`${v6}:1-1,listen=::1:${s.port}`, `${v6}:1-1,listen=${s.port}`, `${v6}:1-1,listen=[::1]:${s.port}`);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
    const v4 = await check(`${v6}:1-1,listen=127.0.0.1:${s.port}`);
    assert.match(v4.stdout, new RegExp(`\\(it listens on tcp/\\[::1\\]:${s.port}\\)`));
  });
});

describe("the syntax needs no quoting in sh or in mon.cf", () => {
  // Unquoted words as an operator writes them; a banner pattern without \ * ? [ ( ) | $ { or a
  // space is one of them ('.' matches itself too).
  const words = ["tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", "tcp://::1:631,timeout=500ms", "tcp://localhost:25,banner=^220", "master:1-1,listen=25", "named:1-,listen=udp/53", "cupsd:1-,listen=::1:631", "x:1-,listen=:::22"];
  for (const shell of ["/bin/sh", "/bin/bash"]) {
    test(`${shell} passes every word through unchanged`, async (t) => {
      if (!haveTools(t, [shell], "apt-get install bash dash")) return;
      const r = await runCommand(shell, ["-c", `printf '%s\\n' ${words.join(" ")}`]);
      assert.deepEqual(r.stdout.split("\n").slice(0, -1), words);
    });
  }
  test("mon's Text::ParseWords (quotewords, as mon splits a monitor line) passes every word through unchanged", async (t) => {
    if (!haveTools(t, ["/usr/bin/perl"], "apt-get install perl")) return;
    const r = await runCommand("/usr/bin/perl", ["-MText::ParseWords", "-e", "print join(qq{\\n}, quotewords(q{\\s+}, 0, $ARGV[0])), qq{\\n}", words.join(" ")]);
    assert.deepEqual(r.stdout.split("\n").slice(0, -1), words);
  });
});

describe("probes", () => {
  let ok: Listener;
  let wrong: Listener;
  let mute: Listener;
  let closed: number;
  before(async () => {
    ok = await serve(greets("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
    wrong = await serve(greets("SSH-1.99-Cisco\x1b[31m|%\r\n"));
    mute = await serve(silent());
    closed = await closedPort();
  });

  test("an answering service with the right banner: exit 0, no output", async () => {
    const r = await check(`tcp://127.0.0.1:${ok.port},banner=^SSH-2.0-OpenSSH_`, `tcp://localhost:${ok.port}`);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
  });

  test("refused, timed out, wrong banner (escaped): each named in the summary and explained in the detail", async () => {
    const r = await check(
      `tcp://127.0.0.1:${ok.port},banner=^SSH-2.0-`,
      `tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-`,
      `tcp://127.0.0.1:${mute.port},banner=^SSH-,timeout=300ms`,
      `tcp://127.0.0.1:${closed}`,
    );
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], `tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-:banner tcp://127.0.0.1:${mute.port},banner=^SSH-:timeout tcp://127.0.0.1:${closed}:refused`);
    assert.equal(lines[1], `tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-: wrong banner "SSH-1.99-Cisco%1B[31m%7C%25" (expected banner=^SSH-2.0-)`);
    assert.match(lines[2] ?? "", new RegExp(`^tcp://127\\.0\\.0\\.1:${mute.port},banner=\\^SSH-: connected in [\\d.]+ m?s, but no banner line within 300ms$`));
    assert.equal(lines[3], `tcp://127.0.0.1:${closed}: connection refused (nothing listens there)`);
    assert.equal(lines.length, 5);
  });

  test("Nagios: CRITICAL, the failures on line 1, response times in perfdata", async () => {
    const r = await check("--format", "nagios", `tcp://127.0.0.1:${ok.port},banner=^SSH-2.0-`, `tcp://127.0.0.1:${closed}`);
    assert.equal(r.code, 2);
    assert.match(r.stdout, new RegExp(`^PROCS CRITICAL: tcp://127\\.0\\.0\\.1:${closed}: connection refused \\(nothing listens there\\) \\| 'tcp___127\\.0\\.0\\.1_${ok.port}_banner__SSH-2\\.0-'=\\d+\\.\\d{6}s;;;0;2\\.000 'tcp___127\\.0\\.0\\.1_${closed}'=U;;;0;2\\.000$`, "m"));
    const up = await check("--format", "nagios", `tcp://127.0.0.1:${ok.port},banner=^SSH-2.0-`);
    assert.equal(up.code, 0);
    assert.match(up.stdout, /^PROCS OK: tcp:\/\/127\.0\.0\.1:\d+,banner=\^SSH-2\.0-: up in [\d.]+ m?s \(banner matched\) \| /);
  });

  test("JSON: every probe with its state, times and banner", async () => {
    const r = await check("--format", "json", `tcp://127.0.0.1:${ok.port},banner=^SSH-2.0-`, `tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-`);
    const doc = JSON.parse(r.stdout) as { ok: boolean; probes: { state: string; failure: string | null; banner: string; connectMs: number }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.probes.map((p) => [p.state, p.failure, p.banner]), [["ok", null, "SSH-2.0-OpenSSH_9.2p1 Debian-2"], ["fail", "banner", "SSH-1.99-Cisco%1B[31m%7C%25"]]);
    assert.ok(doc.probes.every((p) => typeof p.connectMs === "number"));
  });

  test("ports and probes in one check say which part broke: the daemon is gone, its port is closed", async () => {
    const name = uniqueName("lp");
    const s = await startListenerProcess(pool, name, { banner: "220 pw ESMTP\r\n" });
    const rules = [`${name}:1-1,listen=${s.port}`, `tcp://127.0.0.1:${s.port},banner=^220 `];
    assert.deepEqual([(await check(...rules)).code], [0]);
    await pool.kill(s.child);
    const r = await check(...rules);
    assert.equal(r.stdout.split("\n")[0], `${name},listen=${s.port}:0 tcp://127.0.0.1:${s.port},banner=^220%20:refused`);
  });

  test("never more than one connection per probe per check, even with --recheck", async () => {
    let connections = 0;
    const counted = await serve((c) => {
      connections++;
      c.write("SSH-1.5-old\r\n");
    });
    const missing = uniqueName("lm");
    const r = await check("--recheck", "200ms", `${missing}:1-`, `tcp://127.0.0.1:${counted.port},banner=^SSH-2.0-`);
    assert.equal(r.code, 1);
    // the count rule was scanned twice; the probe connected once, and its verdict stands
    assert.match(r.stdout, /^\(failed in two scans 200ms apart; counts from the second; probes from the first, never repeated\)$/m);
    assert.equal(r.stdout.split("\n")[0], `${missing}:0 tcp://127.0.0.1:${counted.port},banner=^SSH-2.0-:banner`);
    assert.equal(connections, 1);
  });

  test("IPv6 loopback probes", async (t) => {
    if (!(await haveIpv6Loopback())) return t.skip("no IPv6 loopback on this machine (no ::1, or IPv6 switched off)");
    const v6 = await tcpServer(greets("SSH-2.0-v6\r\n"), "::1");
    servers.push(v6);
    const r = await check(`tcp://::1:${v6.port},banner=^SSH-2.0-`, `tcp://[::1]:${v6.port}`, `tcp://127.0.0.1:${v6.port}`);
    assert.equal(r.stdout.split("\n")[0], `tcp://127.0.0.1:${v6.port}:refused`);
  });

  test("a probe's wait ends before the check's deadline: it reads as a probe timeout, not a check timeout", async () => {
    const started = performance.now();
    const r = await runCheck({ mode: "check", rules: [`tcp://127.0.0.1:${mute.port},banner=^SSH-,timeout=30s`], procRoot: "/proc", format: "mon", excludeRoots: [process.pid], timeoutMs: 800 });
    assert.ok(performance.now() - started < 30_000);
    assert.equal(r.exitCode, 1);
    assert.match(r.text, new RegExp(`^tcp://127\\.0\\.0\\.1:${mute.port},banner=\\^SSH-: connected in [\\d.]+ m?s, but no banner line within \\d+ms \\(cut short by --timeout; timeout=30s\\)$`, "m"));
  });

  test("from the command line a hung service never outlives --timeout, and the probe says it was cut short", async () => {
    const r = await check("--timeout", "1s", `tcp://127.0.0.1:${mute.port},banner=^SSH-,timeout=20s`);
    assert.equal(r.code, 1);
    // The probe, not the supervisor, ends it: the verdict names the service, not a hung check.
    assert.match(r.stdout, new RegExp(`^tcp://127\\.0\\.0\\.1:${mute.port},banner=\\^SSH-: connected in [\\d.]+ m?s, but no banner line within \\d+ms \\(cut short by --timeout; timeout=20s\\)$`, "m"));
  });
});
