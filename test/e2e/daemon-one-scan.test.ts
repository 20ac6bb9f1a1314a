// One scan, one truth, from a real `procwatch run` on a fixture /proc tree: the daemon scans once
// (its interval is long), the tree changes (another exe and user), and /verdicts in every format
// still tells what that scan saw: a request reads nothing from /proc.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sample, startDaemon } from "../helpers/daemon.js";
import { link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const root = tempProcRoot();
after(() => removeProcTree(root));

function writeTree(exe: string, uid: number): void {
  removeProcTree(root);
  makeProcTree(root, {
    4501: { stat: statLine({ pid: 4501, comm: "pwonescan" }), status: statusText({ pid: 4501, name: "pwonescan", uid }), cmdline: [exe], exe: link(exe) },
    uptime: "9000.00 100.00\n",
    stat: "cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1700000000\n",
  });
}

test("/verdicts answers about its scan, whatever /proc says by the time the request comes", async () => {
  writeTree("/usr/sbin/first", 0);
  const d = await startDaemon(["--interval", "10m", "--proc-root", root, "--security", "gid0-not-uid0", "pwonescan:2-"]);
  try {
    await d.until("the first scan", async () => ((sample((await d.get("/metrics")).body, "procwatch_scans_total") ?? 0) >= 1 ? true : undefined));
    writeTree("/usr/sbin/second", 65534);
    const answer = async (format: string) => JSON.parse((await d.get(`/verdicts?format=${format}`)).body) as { scan: { seq: number }; text: string };
    const [mon, nagios, json] = [await answer("mon"), await answer("nagios"), await answer("json")];
    assert.deepEqual([mon.scan.seq, nagios.scan.seq, json.scan.seq], [1, 1, 1]);
    assert.equal(mon.text, "pwonescan:1\npwonescan:1 < 2 (2-)\n  pid 4501 name pwonescan user root exe /usr/sbin/first\n");
    assert.equal(nagios.text.split("\n").slice(1).join("\n"), "pwonescan:1 < 2 (2-)\n  pid 4501 name pwonescan user root exe /usr/sbin/first\n");
    const rule = (JSON.parse(json.text) as { rules: { matches: { pid: number; name: string; user: string; exe: string }[] }[] }).rules[0];
    assert.deepEqual(rule?.matches.map((m) => [m.pid, m.name, m.user, m.exe]), [[4501, "pwonescan", "root", "/usr/sbin/first"]]);
  } finally {
    await d.stop();
  }
});
