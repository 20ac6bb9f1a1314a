// One scan, one truth: what the daemon answers about a scan (/verdicts in mon, Nagios and JSON)
// comes from that scan alone. The fixture tree changes between the scan and the request (another
// exe, another user, the port's holder gone) and every answer stays word for word the same; the
// next scan sees the change. Also: JSON lists at most the detail limit per rule, with the rest counted.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createScanner, DAEMON_DETAIL_LIMIT, type ScanSettings } from "../../src/measure/cycle.js";
import { formatObservation } from "../../src/daemon/run.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const roots: string[] = [];
after(() => roots.forEach(removeProcTree));

const TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
/** tcp 0.0.0.0:7777 (0x1E61) in LISTEN (0A), owner uid 0, inode 30001. */
const LISTEN_7777 = "   0: 00000000:1E61 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30001 1 0000000000000000 100 0 0 10 0\n";
const FIRSTS = 12;

/** 12 pwfirst processes running `exe`; a python script holding tcp/7777; a pwlisten that holds nothing. */
function writeTree(root: string, exe: string, uid: number, withHolder: boolean): void {
  removeProcTree(root);
  const spec: Record<string, object | string> = {};
  for (let i = 0; i < FIRSTS; i++) {
    const pid = 4401 + i;
    spec[pid] = { stat: statLine({ pid, comm: "pwfirst" }), status: statusText({ pid, name: "pwfirst", uid }), cmdline: [exe], exe: link(exe) };
  }
  if (withHolder) {
    spec[4450] = {
      stat: statLine({ pid: 4450, comm: "python3" }), status: statusText({ pid: 4450, name: "python3", uid: 0 }),
      cmdline: ["python3", "/opt/pwholder.py"], exe: link("/usr/bin/python3.11"), fd: { 3: link("socket:[30001]") },
    };
  }
  spec[4460] = {
    stat: statLine({ pid: 4460, comm: "pwlisten" }), status: statusText({ pid: 4460, name: "pwlisten", uid: 0 }),
    cmdline: ["/usr/sbin/pwlisten"], exe: link("/usr/sbin/pwlisten"), fd: {},
  };
  makeProcTree(root, {
    ...spec,
    net: { tcp: TCP_HEADER + (withHolder ? LISTEN_7777 : ""), tcp6: TCP_HEADER, udp: TCP_HEADER, udp6: TCP_HEADER },
    uptime: "9000.00 100.00\n",
    stat: "cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1700000000\n",
  });
}

function settings(root: string): ScanSettings {
  return scanSettings(root, ["pwfirst:13-", "pwlisten:1-,listen=7777"], { accounts });
}

test("every format of one scan says what the scan saw, even after /proc changed under it", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, "/usr/sbin/first", 0, true);
  const scanner = createScanner(settings(root));
  const obs = await scanner.scan();
  const answers = () => (["mon", "nagios", "json"] as const).map((f) => formatObservation(obs, f, accounts));
  const before = answers();

  writeTree(root, "/usr/sbin/second", 65534, false);
  assert.deepEqual(answers(), before, "the answer about scan 1 does not change with /proc");

  const mon = before[0]?.text ?? "";
  assert.equal(mon.split("\n").slice(0, 4).join("\n"), [
    "pwfirst:12 pwlisten,listen=7777:0",
    "pwfirst:12 < 13 (13-)",
    "  pid 4401 name pwfirst user root exe /usr/sbin/first",
    "  pid 4402 name pwfirst user root exe /usr/sbin/first",
  ].join("\n"));
  assert.ok(mon.includes("\n  port tcp/7777: held by pid 4450 name pwholder.py user root exe /usr/bin/python3.11 (tcp/0.0.0.0:7777)\n"), mon);
  assert.match(before[1]?.text ?? "", /^ {2}port tcp\/7777: held by pid 4450 name pwholder\.py user root exe \/usr\/bin\/python3\.11 \(tcp\/0\.0\.0\.0:7777\)$/m);

  // The next scan sees the change: the fixture did change, and the answers follow the scan.
  const next = await scanner.scan();
  const mon2 = formatObservation(next, "mon", accounts).text;
  assert.match(mon2, /^ {2}pid 4401 name pwfirst user nobody exe \/usr\/sbin\/second$/m);
  assert.match(mon2, /^ {2}port tcp\/7777: nothing listens on it$/m);
});

test("JSON lists at most the detail limit of a rule's matches, and counts the rest", async () => {
  const root = tempProcRoot();
  roots.push(root);
  writeTree(root, "/usr/sbin/first", 0, true);
  const obs = await createScanner(settings(root)).scan();
  const doc = JSON.parse(formatObservation(obs, "json", accounts).text) as { rules: { count: number; matches: { pid: number; name: string; user: string; exe: string }[]; moreMatches: number }[] };
  const rule = doc.rules[0];
  assert.equal(rule?.count, FIRSTS);
  assert.deepEqual(rule?.matches.map((m) => [m.pid, m.name, m.user, m.exe]),
    Array.from({ length: DAEMON_DETAIL_LIMIT }, (_, i) => [4401 + i, "pwfirst", "root", "/usr/sbin/first"]));
  assert.equal(rule?.moreMatches, FIRSTS - DAEMON_DETAIL_LIMIT);
});
