// Every character that can hide or reorder text, sent through every output procwatch has: mon,
// Nagios, json, explain, validate's messages, the Prometheus exposition of a real in-process
// exporter and the OTLP attributes an in-process MetricReader collects. None may appear raw.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { CheckRequest } from "../../src/check/request.js";
import { runCheck } from "../../src/check/run-check.js";
import { validateConfig } from "../../src/daemon/commands.js";
import { createScanner, type Observation } from "../../src/measure/cycle.js";
import { startTelemetry } from "../../src/telemetry/exporters.js";
import { ATTR, INSTRUMENTS } from "../../src/telemetry/instruments.js";
import { publishObservations } from "../../src/telemetry/publish.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { scanSettings } from "../helpers/scan-settings.js";
import { assertNoRaw, escaped, HIDDEN, RAW, strings } from "../helpers/hidden.js";
import { TestReader } from "../helpers/metric-reader.js";
import { cmdlineBytes, link, makeProcTree, removeProcTree, statLine, statusText, tempProcRoot } from "../helpers/proctree.js";

const accounts = fixtureAccounts();
const root = tempProcRoot();
const dir = mkdtempSync(join(tmpdir(), "procwatch-hidden-"));
after(() => {
  removeProcTree(root);
  rmSync(dir, { recursive: true, force: true });
});

const PID0 = 6100;
const nameOf = (ch: string): string => `pwh${ch}x`;

/** One process per character, its comm, exe and argv carrying it; `ticks` of CPU each. */
function writeTree(ticks: number): void {
  removeProcTree(root);
  const spec: Record<number | string, object | string> = { uptime: "5000.00 100.00\n" };
  HIDDEN.forEach(([, ch], i) => {
    const pid = PID0 + i;
    const name = nameOf(ch);
    spec[pid] = {
      stat: statLine({ pid, comm: name, utime: ticks, starttime: 700 }),
      status: statusText({ pid, name, uid: 0, gid: 0 }),
      cmdline: cmdlineBytes([`/usr/sbin/${name}`, `--mode=${ch}`]),
      exe: link(`/usr/sbin/${name}`),
      fd: {},
      "attr/current": "unconfined\n",
    };
  });
  makeProcTree(root, spec);
}
writeTree(1_000_000);

const cpu = {
  maxPercent: 50, basis: { kind: "lifetime" as const }, exemptNames: [], exemptUsers: [], includeNormalUsers: true,
  defaultExempt: false, top: HIDDEN.length, clockTicks: 100,
};

function request(ch: string, extra: Partial<CheckRequest>): CheckRequest {
  return { mode: "check", rules: [`${nameOf(ch)}:0-0`], procRoot: root, format: "mon", excludeRoots: [], detailLimit: 50, cpu, ...extra };
}

describe("check and explain escape every hiding character", () => {
  for (const [what, ch] of HIDDEN) {
    test(what, async () => {
      const mon = await runCheck(request(ch, {}), { accounts });
      assert.equal(mon.exitCode, 1);
      assertNoRaw(mon.text, "mon");
      assert.ok(mon.text.split("\n")[0]?.includes(`pwh${escaped(ch)}x:1`), mon.text);
      assert.ok(mon.text.includes(`exe /usr/sbin/pwh${escaped(ch)}x`), mon.text);

      const nagios = await runCheck(request(ch, { format: "nagios" }), { accounts });
      assert.equal(nagios.exitCode, 2);
      assertNoRaw(nagios.text, "nagios");
      assert.ok(nagios.text.includes(`exe /usr/sbin/pwh${escaped(ch)}x`), nagios.text);

      const json = await runCheck(request(ch, { format: "json" }), { accounts });
      assertNoRaw(json.text, "json text");
      const doc: unknown = JSON.parse(json.text);
      for (const s of strings(doc)) assert.equal(RAW.exec(s), null, `json string ${JSON.stringify(s)}`);
      assert.ok(strings(doc).includes(`pwh${escaped(ch)}x`), json.text);

      const rules = await runCheck(request(ch, { mode: "explain-rules" }), { accounts });
      assertNoRaw(rules.text, "explain RULE");
      assert.ok(rules.text.includes(`pwh${escaped(ch)}x`), rules.text);

      const pid = await runCheck(request(ch, { mode: "explain-pid", pid: PID0 + HIDDEN.findIndex(([, c]) => c === ch) }), { accounts });
      assertNoRaw(pid.text, "explain --pid");
      assert.ok(pid.text.includes(`--mode=${escaped(ch)}`), pid.text);
    });
  }
});

describe("validate escapes what its messages echo from the file", () => {
  const yamlEscape = (ch: string): string => `\\U${ch.codePointAt(0)?.toString(16).padStart(8, "0")}`;
  for (const [what, ch] of HIDDEN) {
    test(what, () => {
      const files: [string, string][] = [
        // a YAML escape: the loader refuses the character in rule text, quoting the rule
        ["escaped in a one-liner", `rules:\n  - "${nameOf(yamlEscape(ch))}:0-"\n`],
        ["escaped in a rule name", `rules:\n  - { name: "n${yamlEscape(ch)}", select: sshd, count: 1- }\n`],
        // raw bytes in the file: whatever the YAML parser or the loader says about them
        ["raw in a quoted one-liner", `rules:\n  - "${nameOf(ch)}:0-"\n  - "pwbad:5-1"\n`],
        ["raw in a key", `interval${ch}x: 10s\n`],
      ];
      let refused = 0;
      for (const [how, yaml] of files) {
        const path = join(dir, `${how.replace(/ /g, "-")}-${ch.codePointAt(0)}.yaml`);
        writeFileSync(path, yaml);
        const r = validateConfig(path, []);
        assertNoRaw(r.text, `validate, ${how}`);
        assert.equal(r.exitCode, 1, `${how}: ${r.text}`);
        if (r.text.includes(escaped(ch))) refused++;
      }
      assert.ok(refused >= 2, "the escaped character is named in the messages");
    });
  }
});

/** Two scans a CPU window apart: every process a runaway, every rule a series. */
async function observe(): Promise<Observation> {
  // Rules from the command line's parser: `check` accepts them (they match such names), so the
  // publisher must escape the label even though a daemon config refuses it.
  const settings = scanSettings(root, HIDDEN.map(([, ch]) => `${nameOf(ch)}:0-0`), { accounts, cpu: { ...cpu, basis: { kind: "window", windowMs: 1000 } } });
  const scanner = createScanner(settings);
  writeTree(0);
  await scanner.scan();
  writeTree(1_000_000);
  return scanner.scan();
}

function assertEveryCharacterEscaped(text: string, what: string): void {
  assertNoRaw(text, what);
  for (const [name, ch] of HIDDEN) {
    assert.ok(text.includes(`pwh${escaped(ch)}x`), `${what}: ${name} as ${escaped(ch)}`);
  }
}

test("the Prometheus exposition of a real exporter carries no hiding character", async () => {
  const latest = await observe();
  const telemetry = startTelemetry({
    export: {
      prometheus: { enabled: true, host: "127.0.0.1", port: 0 },
      otlp: { enabled: false, protocol: "http/json" },
      topProcesses: HIDDEN.length,
      resourceMetrics: [],
    },
    scanIntervalMs: 1000,
    version: "test",
    log: (line) => assert.fail(`unexpected log: ${line}`),
    env: {},
  });
  publishObservations(telemetry.meter, { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: HIDDEN.length });
  const handler = telemetry.metricsHandler;
  assert.ok(handler !== undefined);
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/metrics`, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      }).on("error", reject);
    });
    const rules = body.split("\n").filter((l) => l.startsWith("procwatch_rule_status{"));
    assert.equal(rules.length, HIDDEN.length, body);
    assertEveryCharacterEscaped(rules.join("\n"), "procwatch_rule_name");
    const perProcess = body.split("\n").filter((l) => l.startsWith(`${INSTRUMENTS.processCpu.prometheusName}{`));
    assert.equal(perProcess.length, HIDDEN.length, body);
    assertEveryCharacterEscaped(perProcess.join("\n"), ATTR.executableName.replaceAll(".", "_"));
    assertNoRaw(body, "the whole exposition");
  } finally {
    server.close();
    await telemetry.shutdown(1000);
  }
});

test("OTLP attributes collected in process carry no hiding character", async () => {
  const latest = await observe();
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  publishObservations(provider.getMeter("procwatch-test"), { latest: () => latest, exportFailures: () => 0, accounts, topProcesses: HIDDEN.length });
  const { resourceMetrics } = await reader.collect();
  const byMetric = new Map<string, string[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      byMetric.set(metric.descriptor.name, metric.dataPoints.flatMap((p) => strings(p.attributes)));
    }
  }
  assertEveryCharacterEscaped((byMetric.get("procwatch.rule.status") ?? []).join("\n"), "procwatch.rule.name");
  assertEveryCharacterEscaped((byMetric.get(INSTRUMENTS.processCpu.name) ?? []).join("\n"), ATTR.executableName);
  for (const [name, values] of byMetric) for (const v of values) assert.equal(RAW.exec(v), null, `${name}: ${JSON.stringify(v)}`);
  await provider.shutdown();
});
