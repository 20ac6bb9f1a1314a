// listen= through the whole check on the checked-in fixture tree (test/fixtures/proc/sockets): mon,
// Nagios, JSON and explain output, and who holds a port when the rule's process does not; and, as
// nobody on a fixture tree whose fd directories are root's, when unreadable fd links still decide.
import type { CheckRequest } from "../src/check/request.js";
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { after, describe, test } from "node:test";
import { runCheck } from "../src/check/run-check.js";
import { fixtureAccounts } from "./helpers/accounts.js";
import { runCli } from "./helpers/cli.js";
import { haveRoot } from "./helpers/e2e.js";
import { fixtureRoot, link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "./helpers/proctree.js";

const accounts = fixtureAccounts();
const ROOT = fixtureRoot("sockets");
const ids = (id: number) => ({ real: id, effective: id, saved: id, fs: id });

function check(rules: string[], format: CheckRequest["format"] = "mon", mode: CheckRequest["mode"] = "check") {
  return runCheck({ mode, rules, procRoot: ROOT, format, excludeRoots: [] }, { accounts });
}

describe("mon", () => {
  test("every daemon holds its port (IPv4, IPv6, IPv4-mapped, UDP, SO_REUSEPORT, prefork): exit 0, no output", async () => {
    const r = await check([
      "master:1-1,listen=25", "smtpd:1-,listen=25", "mysqld:1-1,listen=127.0.0.1:3306", "nginx:2-2,listen=8080",
      "pwreuse:2-2,listen=127.0.0.1:9000", "sshd:1-1,listen=:::22", "cupsd:1-1,listen=::1:631", "redis-server:1-1,listen=127.0.0.1:6379",
      "named:1-1,listen=udp/53", "named:1-1,listen=udp/::1:53", "sshd:1-1,listen=22,user=root",
    ]);
    assert.deepEqual(r, { text: "", exitCode: 0 });
  });

  test("another program holds the port: the detail names it (pid, name, user, exe); the daemon is a near miss", async () => {
    const r = await check(["master:1-1,listen=3306"]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.text, [
      "master,listen=3306:0",
      "master,listen=3306:0 < 1 (1-1)",
      "  port tcp/3306: held by pid 110 name mysqld user 110 exe /usr/sbin/mysqld (tcp/127.0.0.1:3306)",
      "  near miss: pid 100 name master user root exe /usr/lib/postfix/sbin/master: listen=3306: holds no socket listening on tcp/3306 (it listens on tcp/0.0.0.0:25)",
      "",
    ].join("\n"));
  });

  test("nothing listens on the port: said once, beside the near misses", async () => {
    const r = await check(["sshd:1-,listen=2222"]);
    assert.equal(r.text, [
      "sshd,listen=2222:0",
      "sshd,listen=2222:0 < 1 (1-)",
      "  port tcp/2222: nothing listens on it",
      "  near miss: pid 140 name sshd user root exe /usr/sbin/sshd: listen=2222: holds no socket listening on tcp/2222 (it listens on tcp/[::]:22)",
      // the fake sshd (python as nobody) holds only a client connection
      "  near miss: pid 180 name sshd user nobody exe /usr/bin/python3.11: listen=2222: holds no socket listening on tcp/2222",
      "",
    ].join("\n"));
  });

  test("too many holders: the matches are the holders, no extra port line", async () => {
    const r = await check(["nginx:1-1,listen=8080"]);
    assert.equal(r.text.split("\n").slice(1, 4).join("\n"), [
      "nginx,listen=8080:2 > 1 (1-1)",
      "  pid 120 name nginx user root exe /usr/sbin/nginx",
      "  pid 121 name nginx user 33 exe /usr/sbin/nginx",
    ].join("\n"));
    assert.doesNotMatch(r.text, /port tcp\/8080/);
  });

  test("a container's nginx listens on 80 in its own network namespace, not on the host's 8080", async () => {
    const r = await check(["nginx:3-,listen=8080"]);
    assert.match(r.text, /near miss: pid 190 name nginx user root exe \/usr\/sbin\/nginx: listen=8080: holds no socket listening on tcp\/8080 in network namespace net:\[4026532999\] \(it listens on tcp\/0\.0\.0\.0:80\)/);
  });

  test("a UDP port asked for as TCP is another port", async () => {
    const r = await check(["named:1-,listen=53"]);
    assert.match(r.text, /^  port tcp\/53: nothing listens on it$/m);
    assert.match(r.text, /listen=53: holds no socket listening on tcp\/53 \(it listens on udp\/0\.0\.0\.0:53, udp\/127\.0\.0\.1:53, udp\/\[::1\]:53\)/);
  });
});

describe("nagios and json", () => {
  test("Nagios: CRITICAL, the holder in the long output, a count in perfdata", async () => {
    const r = await check(["master:1-1,listen=3306", "master:1-1,listen=25"], "nagios");
    assert.equal(r.exitCode, 2);
    assert.equal(r.text.split("\n")[0], "PROCS CRITICAL: master,listen=3306:0 < 1 (1-1) | 'master_listen_3306'=0;;1:1;0; 'master_listen_25'=1;;1:1;0;");
    assert.match(r.text, /^  port tcp\/3306: held by pid 110 name mysqld user 110 exe \/usr\/sbin\/mysqld \(tcp\/127\.0\.0\.1:3306\)$/m);
  });

  test("JSON: the port's sockets for every listen= rule; holders for the failing one", async () => {
    const r = await check(["master:1-1,listen=3306", "nginx:2-2,listen=8080"], "json");
    const doc = JSON.parse(r.text) as { ok: boolean; rules: { label: string; state: string; listen: Record<string, unknown> }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.rules[0]?.listen, {
      listen: "3306",
      sockets: [{ proto: "tcp", address: "127.0.0.1", port: 3306, inode: 20002, uid: 110 }],
      holders: [{ pid: 110, ppid: 1, comm: "mysqld", name: "mysqld", state: "S", user: "110", uids: ids(110), gids: ids(110), exe: "/usr/sbin/mysqld", socket: "tcp/127.0.0.1:3306" }],
      moreHolders: 0,
      unreadableHolders: 0,
    });
    assert.deepEqual(doc.rules[1]?.listen, {
      listen: "8080",
      sockets: [{ proto: "tcp", address: "0.0.0.0", port: 8080, inode: 20005, uid: 0 }],
    });
  });

  test("explain --pid lists the sockets a process listens on, and its network namespace when not procwatch's", async () => {
    const explain = async (pid: number) => (await runCheck({ mode: "explain-pid", pid, rules: [], procRoot: ROOT, format: "mon", excludeRoots: [] }, { accounts })).text.split("\n").filter((l) => l.startsWith("listening"));
    assert.deepEqual(await explain(170), ["listening udp/0.0.0.0:53, udp/127.0.0.1:53, udp/[::1]:53"]);
    assert.deepEqual(await explain(190), ["listening tcp/0.0.0.0:80 (network namespace net:[4026532999])"]);
    assert.deepEqual(await explain(200), ["listening none"]);
  });

  test("explain lists the port's holders with every match and near miss", async () => {
    const r = await check(["cupsd:1-,listen=::1:25"], "mon", "explain-rules");
    assert.equal(r.text, [
      "rule cupsd:1-,listen=::1:25: fail, 0 matching (range 1-)",
      "  near miss: pid 150 name cupsd user root exe /usr/sbin/cupsd: listen=::1:25: holds no socket listening on tcp/[::1]:25 (it listens on tcp/[::1]:631)",
      "  port tcp/[::1]:25: nothing listens on it",
      "",
    ].join("\n"));
  });
});

describe("as nobody, fd links unreadable: nothing listening on the port decides", () => {
  const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  const row = (port: number, inode: number) =>
    `   0: 00000000:${port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
  const tables = (tcp: string) => ({ tcp: HEADER + tcp, tcp6: HEADER, udp: HEADER, udp6: HEADER });
  const root = tempProcRoot();
  after(() => removeProcTree(root));
  const daemon = (pid: number, net: object) => ({
    stat: statLine({ pid, comm: "pwsshd" }), status: statusText({ pid, name: "pwsshd", uid: 0 }),
    cmdline: ["/usr/sbin/pwsshd", "-D"], exe: link("/usr/sbin/pwsshd"), fd: { 3: link("socket:[40001]") }, net,
  });
  // 500 in procwatch's network namespace, where tcp/22 listens; 510 in a container's, where only
  // tcp/2200 does. Both root's: nobody reads neither's fd links.
  makeProcTree(root, { 500: daemon(500, link("../net")), 510: daemon(510, tables(row(2200, 40002))), net: tables(row(22, 40001)) });
  chmodSync(`${root}/500/fd`, 0o700);
  chmodSync(`${root}/510/fd`, 0o700);
  const NOBODY = { uid: 65534, gid: 65534 };
  const unreadable = "nothing listens on it in its network namespace (fd links unreadable (EACCES))";

  test("no socket on the port in any process's namespace: count 0, CRITICAL", async (t) => {
    if (!haveRoot(t)) return;
    const r = await runCli(["check", "--proc-root", root, "pwsshd:1-,listen=2222"], NOBODY);
    assert.equal(r.stdout, [
      "pwsshd,listen=2222:0",
      "pwsshd,listen=2222:0 < 1 (1-)",
      "  port tcp/2222: nothing listens on it",
      `  near miss: pid 500 name pwsshd user root exe /usr/sbin/pwsshd: listen=2222: holds no socket listening on tcp/2222: ${unreadable}`,
      `  near miss: pid 510 name pwsshd user root exe /usr/sbin/pwsshd: listen=2222: holds no socket listening on tcp/2222: ${unreadable}`,
      "",
    ].join("\n"));
    const n = await runCli(["check", "--proc-root", root, "--format", "nagios", "pwsshd:1-,listen=2222"], NOBODY);
    assert.deepEqual([n.code, n.stdout.split("\n")[0]], [2, "PROCS CRITICAL: pwsshd,listen=2222:0 < 1 (1-) | 'pwsshd_listen_2222'=0;;1:;0;"]);
  });

  test("a socket on the port in the process's own namespace: that process stays undecided, the other is decided", async (t) => {
    if (!haveRoot(t)) return;
    const r = await runCli(["check", "--proc-root", root, "pwsshd:1-,listen=22"], NOBODY);
    assert.equal(r.stdout, [
      "pwsshd,listen=22:unknown",
      "pwsshd,listen=22:0 unknown: 1 more processes could not be checked (1-)",
      "  port tcp/22: listening (socket owner root), held by a process whose fd links procwatch cannot read (2 processes unreadable; run as root)",
      "  undecided: pid 500 name pwsshd user root exe /usr/sbin/pwsshd: listen=22: fd links unreadable (EACCES)",
      `  near miss: pid 510 name pwsshd user root exe /usr/sbin/pwsshd: listen=22: holds no socket listening on tcp/22: ${unreadable}`,
      "",
    ].join("\n"));
    // The container's port is not procwatch's: there 510 may hold it, 500 cannot.
    const c = await runCli(["check", "--proc-root", root, "--format", "json", "pwsshd:1-,listen=2200"], NOBODY);
    const doc = JSON.parse(c.stdout) as { rules: { state: string; undecidedProcesses: { pid: number }[]; nearMisses: { pid: number }[] }[] };
    assert.deepEqual([doc.rules[0]?.state, doc.rules[0]?.undecidedProcesses.map((p) => p.pid), doc.rules[0]?.nearMisses.map((p) => p.pid)], ["unknown", [510], [500]]);
  });
});
