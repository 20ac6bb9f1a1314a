// The daemon's probes, scan by scan, through the publisher and an in-process MetricReader: status
// per probe (debounced by for_cycles), connect and banner times as gauges, a phase the probe did
// not reach left out; a listen= rule is a rule like any other.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { createScanner, type Observation, type ScanSettings } from "../../src/measure/cycle.js";
import { INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { publishObservations } from "../../src/telemetry/publish.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { collect, TestReader } from "../helpers/metric-reader.js";
import { closedPort, greets, type Listener, silent, tcpServer } from "../helpers/listeners.js";
import { fixtureRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const servers: Listener[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

function settings(rules: string[], forCycles: number): ScanSettings {
  return scanSettings(fixtureRoot("sockets"), rules, { forCycles, accounts });
}

test("probe status and latencies, listen= rules, per scan", async () => {
  const ssh = await tcpServer(greets("SSH-2.0-OpenSSH_9.2\r\n"));
  const wrong = await tcpServer(greets("SSH-1.99-Cisco\r\n"));
  const mute = await tcpServer(silent());
  servers.push(ssh, wrong, mute);
  const closed = await closedPort();
  const probes = [
    `tcp://127.0.0.1:${ssh.port},banner=^SSH-2.0-`, `tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-`,
    `tcp://127.0.0.1:${mute.port},banner=^SSH-,timeout=100ms`, `tcp://127.0.0.1:${closed}`, `tcp://127.0.0.1:${ssh.port}`,
  ];
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let latest: Observation | undefined;
  publishObservations(provider.getMeter("procwatch-test"), { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: 5 });
  const scanner = createScanner(settings(["master:1-1,listen=25", ...probes], 1));
  latest = await scanner.scan();
  const m = await collect(reader);
  const name = (label: string, phase?: string) => JSON.stringify({ "procwatch.probe.name": label, ...(phase === undefined ? {} : { "procwatch.probe.phase": phase }) });
  assert.deepEqual([...(m.get(INSTRUMENTS.probeStatus.name) ?? [])], [
    [name(probes[0] as string), 0], [name(`tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-`), 2], [name(`tcp://127.0.0.1:${mute.port},banner=^SSH-`), 2],
    [name(probes[3] as string), 2], [name(probes[4] as string), 0],
  ]);
  const durations = m.get(INSTRUMENTS.probeDuration.name) ?? new Map<string, number>();
  // connect for everything that connected; banner only where it matched; nothing for the refused one
  assert.deepEqual([...durations.keys()], [
    name(probes[0] as string, "connect"), name(probes[0] as string, "banner"),
    name(`tcp://127.0.0.1:${wrong.port},banner=^SSH-2.0-`, "connect"), name(`tcp://127.0.0.1:${mute.port},banner=^SSH-`, "connect"),
    name(probes[4] as string, "connect"),
  ]);
  for (const v of durations.values()) assert.ok(v >= 0 && v < 100, `a loopback latency in seconds: ${v}`);
  // a listen= rule publishes like any rule
  assert.equal(m.get(INSTRUMENTS.ruleCount.name)?.get(JSON.stringify({ "procwatch.rule.name": "master,listen=25" })), 1);
});

test("for_cycles: a probe is reported down only after N scans down in a row", async () => {
  const port = await closedPort();
  const scanner = createScanner(settings([`tcp://127.0.0.1:${port}`], 2));
  const first = await scanner.scan();
  assert.deepEqual(first.measurement.probes?.map((v) => [v.state, v.failure]), [["ok", "refused"]]);
  const second = await scanner.scan();
  assert.deepEqual(second.measurement.probes?.map((v) => [v.state, v.failure]), [["fail", "refused"]]);
});
