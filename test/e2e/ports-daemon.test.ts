// `procwatch run` with a listen= rule and probes, against real loopback listeners: probe status and
// connect/banner times on /metrics, the port rule's count, both following the server through its
// death; /verdicts names what broke; and a slow probe never stalls the listener (the event loop).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sample, startDaemon } from "../helpers/daemon.js";
import { closedPort, type Listener, startListenerProcess, tcpServer } from "../helpers/listeners.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const pool = new ProcessPool();
const servers: Listener[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pool.cleanup();
});

test("probe status and latencies, and the port's owner, follow a real server through its death", async () => {
  const name = uniqueName("dp");
  const s = await startListenerProcess(pool, name, { banner: "SSH-2.0-OpenSSH_9.2\r\n" });
  const closed = await closedPort();
  const probe = `tcp://127.0.0.1:${s.port},banner=^SSH-2.0-`;
  const refused = `tcp://127.0.0.1:${closed}`;
  const rule = `${name},listen=${s.port}`;
  const d = await startDaemon(["--interval", "1s", `${name}:1-1,listen=${s.port}`, probe, refused]);
  try {
    const metrics = async (): Promise<string> => (await d.get("/metrics")).body;
    const m = await d.until("probe up, the other refused, the port's owner counted", async () => {
      const text = await metrics();
      return sample(text, "procwatch_probe_status", { procwatch_probe_name: probe }) === 0
        && sample(text, "procwatch_probe_status", { procwatch_probe_name: refused }) === 2
        && sample(text, "procwatch_rule_process_count", { procwatch_rule_name: rule }) === 1 ? text : undefined;
    });
    const connect = sample(m, "procwatch_probe_duration", { procwatch_probe_name: probe, procwatch_probe_phase: "connect" });
    const banner = sample(m, "procwatch_probe_duration", { procwatch_probe_name: probe, procwatch_probe_phase: "banner" });
    assert.ok(connect !== undefined && banner !== undefined && connect >= 0 && banner >= connect, `connect ${connect} banner ${banner}`);
    // a refused probe never connected: no latency series at all
    assert.equal(sample(m, "procwatch_probe_duration", { procwatch_probe_name: refused, procwatch_probe_phase: "connect" }), undefined);

    await pool.kill(s.child);
    await d.until("the probe down and the rule failing", async () => {
      const text = await metrics();
      return sample(text, "procwatch_probe_status", { procwatch_probe_name: probe }) === 2
        && sample(text, "procwatch_rule_status", { procwatch_rule_name: rule }) === 2 ? true : undefined;
    });
    const served = JSON.parse((await d.get("/verdicts?format=mon")).body) as { text: string };
    const tokens = served.text.split("\n")[0]?.split(" ") ?? [];
    for (const t of [`${rule}:0`, `${probe}:refused`, `${refused}:refused`]) assert.ok(tokens.includes(t), served.text);
    assert.match(served.text, new RegExp(`^  port tcp/${s.port}: nothing listens on it$`, "m"));
  } finally {
    d.child.kill("SIGKILL");
  }
});

test("a probe waiting for a silent service never blocks the daemon's listener, and scans do not overlap", async () => {
  let open = 0;
  let maxOpen = 0;
  let connections = 0;
  const mute = await tcpServer((c) => {
    connections++;
    maxOpen = Math.max(maxOpen, ++open);
    c.on("close", () => open--);
  });
  servers.push(mute);
  const label = `tcp://127.0.0.1:${mute.port},banner=^SSH-`;
  const d = await startDaemon(["--interval", "1s", `${label},timeout=3s`]);
  try {
    await d.until("the probe timed out once", async () => (sample((await d.get("/metrics")).body, "procwatch_probe_status", { procwatch_probe_name: label }) === 2 ? true : undefined), 20_000);
    // A probe waits one scan interval at most (its 3 s timeout is cut to the 1 s interval), so
    // the next scan is never late by more than that; it says so.
    const served = JSON.parse((await d.get("/verdicts?format=mon")).body) as { text: string };
    assert.match(served.text, new RegExp(`^${label.replace(/[.^$*+?()[\]{}|\\]/g, "\\$&")}: connected in [\\d.]+ m?s, but no banner line within \\d+ms \\(cut short by the scan interval; timeout=3s\\)$`, "m"));
    // The daemon spends most of its time inside the probe's wait now; every request is still served.
    for (let i = 0; i < 5; i++) {
      const r = await d.get("/healthz", 1500);
      assert.equal(r.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // One scan at a time, each waiting for its probe: probes never overlap.
    await d.until("a second scan's probe", () => (connections >= 2 ? true : undefined), 20_000);
    assert.equal(maxOpen, 1);
  } finally {
    d.child.kill("SIGKILL");
  }
});
