// Loading: the file (errno, UTF-8), the example file, the defaults a file or no file gives, the
// environment's OTLP settings, and the command line's rules added to the file's.
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { defaultConfig, DEFAULT_PROMETHEUS_PORT, loadConfig, mergeCliRules, type LoadResult } from "../../src/config/load.js";
import { type DaemonConfig, DEFAULT_RESOURCE_GROUPS } from "../../src/config/types.js";
import { formatProblem } from "../../src/output/problems.js";
import { SECURITY_CHECKS } from "../../src/rules/security-checks.js";
import { accounts, configOf, problemsOf } from "./fixture.js";

const EXAMPLE = join(process.cwd(), "examples", "procwatch.example.yaml");

const config = (r: LoadResult): DaemonConfig => {
  if ("problems" in r) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.config;
};
const problems = (r: LoadResult): string[] => ("problems" in r ? r.problems.map(formatProblem) : []);

describe("loadConfig reads the file", () => {
  test("the example file uses every key and is valid", () => {
    const c = config(loadConfig(EXAMPLE, { accounts, env: {} }));
    assert.equal(c.origin, EXAMPLE);
    assert.equal(c.intervalMs, 10_000);
    assert.equal(c.forCycles, 2);
    assert.equal(c.rules.length, 10);
    assert.deepEqual(c.rules.map((r) => r.label), [
      "sshd,user=root,exe=/usr/sbin/sshd", "cron", "telnetd", "postfix-master", "tor", "backup-job", "boinc,cpu=50-",
      "named,listen=udp/53", "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", "smtp-answers",
    ]);
    assert.equal(c.cpu?.maxPercent, 90);
    assert.deepEqual(c.cpu?.exemptUsers, ["backup"]);
    assert.deepEqual(c.security?.checks, [...SECURITY_CHECKS]);
    assert.equal(c.security?.deletedExeMaxUid, 999);
    assert.deepEqual(c.security?.deletedExeIgnore, ["/opt/build/"]);
    assert.deepEqual(c.security?.perCheck, { "deleted-exe": { exemptNames: ["containerd-shim"], exemptUsers: ["nobody"] } });
    assert.deepEqual(c.export, {
      prometheus: { enabled: true, host: "127.0.0.1", port: 9477 },
      otlp: { enabled: true, protocol: "http/protobuf", endpoint: "http://127.0.0.1:4318/v1/metrics", intervalMs: 10_000, timeoutMs: 5000 },
      topProcesses: 10,
      resourceMetrics: ["memory", "threads", "cpu", "starts", "start_time", "faults", "context_switches", "fds", "io"],
    });
  });

  test("examples/mail-server/procwatch.yaml is valid too", () => {
    const c = config(loadConfig(join(process.cwd(), "examples", "mail-server", "procwatch.yaml"), { accounts, env: {} }));
    assert.deepEqual(c.rules.map((r) => r.label), [
      "postfix-master", "postfix-smtp-listener", "tcp://127.0.0.1:25,banner=^220[ -]", "qmgr,user=postfix,exe=/usr/lib/postfix/sbin/qmgr",
      "smtpd,user=postfix", "sshd,user=root,exe=/usr/sbin/sshd", "tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_", "tor", "cron,user=root", "telnetd",
    ]);
    assert.equal(c.forCycles, 3);
  });

  test("every top-level and section key of the format appears in the example", () => {
    const text = readFileSync(EXAMPLE, "utf8");
    const keys = ["interval", "for_cycles", "proc_root", "interpreters", "rules", "name", "select", "count", "user", "group", "uid", "gid", "exe", "args", "label",
      "cpu", "warn", "max_percent", "lifetime", "exempt", "exempt_users", "include_normal_users", "default_exempt", "top", "security", "checks", "max_uid",
      "ignore", "selinuxfs", "export", "top_processes", "resource_metrics", "prometheus", "enabled", "listen", "allow_public", "otlp", "protocol", "endpoint", "timeout"];
    for (const key of keys) assert.match(text, new RegExp(`^\\s*(- )?${key}:`, "m"), key);
  });

  const unreadable: [string, (path: string) => Uint8Array, string][] = [
    ["missing file", () => readFileSync("/nonexistent/procwatch.yaml"), 'pw.yaml:1:1: "pw.yaml": cannot read the configuration file (ENOENT)'],
    ["a directory", () => readFileSync(tmpdir()), 'pw.yaml:1:1: "pw.yaml": cannot read the configuration file (EISDIR)'],
  ];
  for (const [what, readFile, expected] of unreadable) {
    test(`unreadable: ${what}`, () => assert.deepEqual(problems(loadConfig("pw.yaml", { accounts, env: {}, readFile })), [expected]));
  }

  test("resource_metrics: false exports none, true the default groups", () => {
    const read = (value: string) => config(loadConfig("pw.yaml", { accounts, env: {}, readFile: () => Buffer.from(`export:\n  resource_metrics: ${value}\n`) })).export.resourceMetrics;
    assert.deepEqual(read("false"), []);
    assert.deepEqual(read("true"), DEFAULT_RESOURCE_GROUPS);
    assert.deepEqual(read("[fds]"), ["fds"]);
  });

  test("a real file on disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "procwatch-config-"));
    try {
      const path = join(dir, "pw.yaml");
      writeFileSync(path, "rules:\n  - \"sshd:1-\"\n");
      assert.equal(config(loadConfig(path, { accounts, env: {} })).rules.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("invalid UTF-8 is located at its first bad byte", () => {
    const bytes = Buffer.concat([Buffer.from("rules:\n  - \"caf"), Buffer.from([0xe9]), Buffer.from(":1-\"\n")]);
    assert.deepEqual(problems(loadConfig("pw.yaml", { accounts, env: {}, readFile: () => bytes })), [
      'pw.yaml:2:9: "\uFFFD": not valid UTF-8: save the file as UTF-8 (process names are matched as UTF-8 bytes)',
    ]);
  });

  test("a file named argv is not taken for the command line", () => {
    assert.deepEqual(problems(loadConfig("argv", { accounts, env: {}, readFile: () => Buffer.from("") })).map((p) => p.slice(0, 12)), ['./argv:1:1: ']);
  });
});

describe("what a file leaves out", () => {
  test("rules: [] alone: the defaults, and no runaway or security check", () => {
    const c = configOf("rules: []\n");
    assert.deepEqual(c, {
      origin: "pw.yaml",
      rules: [],
      intervalMs: 10_000,
      forCycles: 1,
      procRoot: "/proc",
      interpreters: DEFAULT_INTERPRETERS,
      export: { prometheus: { enabled: true, host: "127.0.0.1", port: DEFAULT_PROMETHEUS_PORT }, otlp: { enabled: false, protocol: "http/protobuf" }, topProcesses: 10, resourceMetrics: DEFAULT_RESOURCE_GROUPS },
    });
  });

  test("cpu: without max_percent: no runaway check, CPU measured between scans", () => {
    assert.deepEqual(configOf("interval: 30s\ncpu:\n").cpu, {
      basis: { kind: "window", windowMs: 30_000 }, exemptNames: [], exemptUsers: [], includeNormalUsers: false, defaultExempt: true, top: 5,
    });
  });

  test("cpu: lifetime and the exemptions as the flags have them", () => {
    assert.deepEqual(configOf("cpu:\n  max_percent: 150.5\n  lifetime: true\n  exempt: [make]\n  exempt_users: [backup, 1000]\n  include_normal_users: true\n  default_exempt: false\n  top: 3\n").cpu, {
      maxPercent: 150.5, basis: { kind: "lifetime" }, exemptNames: ["make"], exemptUsers: ["backup", "1000"], includeNormalUsers: true, defaultExempt: false, top: 3,
    });
  });

  const securityCases: [string, string, readonly string[] | undefined][] = [
    ["security: alone is every check", "security:\n", [...SECURITY_CHECKS]],
    ["checks: all", "security:\n  checks: all\n", [...SECURITY_CHECKS]],
    ["a list, in the checks' order", "security:\n  checks: [deleted-exe, gid0-not-uid0]\n", ["gid0-not-uid0", "deleted-exe"]],
    ["all in a list", "security:\n  checks: [all]\n", [...SECURITY_CHECKS]],
    ["a mapping", "security:\n  checks:\n    selinux-enforcing:\n    deleted-exe: {}\n", ["deleted-exe", "selinux-enforcing"]],
    ["an empty list: no security checks", "security:\n  checks: []\n", undefined],
  ];
  for (const [what, yaml, checks] of securityCases) test(`security: ${what}`, () => assert.deepEqual(configOf(yaml).security?.checks, checks));

  test("security: exemptions for every check and for one", () => {
    assert.deepEqual(configOf("security:\n  checks:\n    gid0-not-uid0: { exempt: [su] }\n  exempt: [sshd]\n  exempt_users: [daemon]\n  selinuxfs: /selinux\n").security, {
      checks: ["gid0-not-uid0"], exemptNames: ["sshd"], exemptUsers: ["daemon"], deletedExeIgnore: [], selinuxfs: "/selinux",
      perCheck: { "gid0-not-uid0": { exemptNames: ["su"], exemptUsers: [] } },
    });
  });

  const listens: [string, string, { host: string; port: number }][] = [
    ["loopback IPv4", "listen: \"127.0.0.1:9100\"", { host: "127.0.0.1", port: 9100 }],
    ["another loopback address", "listen: \"127.0.0.53:9100\"", { host: "127.0.0.53", port: 9100 }],
    ["loopback IPv6", "listen: \"[::1]:9477\"", { host: "::1", port: 9477 }],
    ["localhost", "listen: \"localhost:9477\"", { host: "localhost", port: 9477 }],
    ["public with allow_public", "listen: \"0.0.0.0:9477\"\n    allow_public: true", { host: "0.0.0.0", port: 9477 }],
    ["public IPv6 with allow_public", "listen: \"[2001:db8::1]:9477\"\n    allow_public: true", { host: "2001:db8::1", port: 9477 }],
  ];
  for (const [what, yaml, address] of listens) {
    test(`prometheus listen: ${what}`, () => assert.deepEqual(configOf(`export:\n  prometheus:\n    ${yaml}\n`).export.prometheus, { enabled: true, ...address }));
  }

  const prometheusSwitch: [string, string, NodeJS.ProcessEnv, boolean][] = [
    ["on by default", "rules: []", {}, true],
    ["OTEL_METRICS_EXPORTER without prometheus turns it off", "rules: []", { OTEL_METRICS_EXPORTER: "otlp" }, false],
    ["OTEL_METRICS_EXPORTER=none turns it off", "rules: []", { OTEL_METRICS_EXPORTER: "none" }, false],
    ["OTEL_METRICS_EXPORTER=prometheus,otlp keeps it", "rules: []", { OTEL_METRICS_EXPORTER: "prometheus, otlp" }, true],
    ["the file's enabled: true wins over OTEL_METRICS_EXPORTER", "export:\n  prometheus: { enabled: true }", { OTEL_METRICS_EXPORTER: "none" }, true],
    ["OTEL_SDK_DISABLED=true wins over the file", "export:\n  prometheus: { enabled: true }", { OTEL_SDK_DISABLED: "true" }, false],
  ];
  for (const [what, yaml, env, expected] of prometheusSwitch) {
    test(`prometheus: ${what}`, () => assert.equal(configOf(`${yaml}\n`, env).export.prometheus.enabled, expected));
  }

  test("prometheus off: the listener stays (for /verdicts), /metrics goes", () => {
    assert.deepEqual(configOf("export:\n  prometheus: { enabled: false }\n").export.prometheus, { enabled: false, host: "127.0.0.1", port: DEFAULT_PROMETHEUS_PORT });
  });

  const C = "http://c:4318/v1/metrics";
  const otlp: [string, string, NodeJS.ProcessEnv, object][] = [
    ["no file setting, no variable: off, protobuf (the spec's default)", "rules: []", {}, { enabled: false, protocol: "http/protobuf" }],
    ["OTEL_EXPORTER_OTLP_ENDPOINT turns it on, /v1/metrics appended", "rules: []", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { enabled: true, protocol: "http/protobuf", endpoint: C }],
    ["the base URL keeps its path", "rules: []", { OTEL_EXPORTER_OTLP_ENDPOINT: "https://c/otlp/" }, { enabled: true, protocol: "http/protobuf", endpoint: "https://c/otlp/v1/metrics" }],
    ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT turns it on, used verbatim", "rules: []", { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/m" }, { enabled: true, protocol: "http/protobuf", endpoint: "http://c:4318/m" }],
    ["the metrics endpoint wins over the base", "rules: []", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://b:4318", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: C }, { enabled: true, protocol: "http/protobuf", endpoint: C }],
    ["an empty variable is unset", "rules: []", { OTEL_EXPORTER_OTLP_ENDPOINT: "" }, { enabled: false, protocol: "http/protobuf" }],
    ["the metrics protocol variable wins", "rules: []", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json" }, { enabled: true, protocol: "http/json", endpoint: C }],
    ["an endpoint in the file turns it on", "export:\n  otlp:\n    endpoint: http://f:4318/v1/metrics", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { enabled: true, protocol: "http/protobuf", endpoint: "http://f:4318/v1/metrics" }],
    ["enabled: false wins over the variable", "export:\n  otlp:\n    enabled: false", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { enabled: false, protocol: "http/protobuf", endpoint: C }],
    ["the file's protocol wins over the variable", "export:\n  otlp:\n    protocol: http/json", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }, { enabled: true, protocol: "http/json", endpoint: C }],
    ["interval and timeout", "export:\n  otlp:\n    enabled: true\n    interval: 1m\n    timeout: 10s", {}, { enabled: true, protocol: "http/protobuf", intervalMs: 60_000, timeoutMs: 10_000 }],
    ["the file's interval and timeout win over the variables", "export:\n  otlp:\n    enabled: true\n    interval: 1m\n    timeout: 10s",
      { OTEL_METRIC_EXPORT_INTERVAL: "5000", OTEL_EXPORTER_OTLP_TIMEOUT: "2000" }, { enabled: true, protocol: "http/protobuf", intervalMs: 60_000, timeoutMs: 10_000 }],
    ["timeouts, interval, compression and headers from the variables, specific over generic", "export:\n  otlp:\n    enabled: true", {
      OTEL_EXPORTER_OTLP_TIMEOUT: "9000", OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "3000", OTEL_METRIC_EXPORT_INTERVAL: "20000", OTEL_METRIC_EXPORT_TIMEOUT: "15000",
      OTEL_EXPORTER_OTLP_COMPRESSION: "none", OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=generic,x-a=1", OTEL_EXPORTER_OTLP_METRICS_HEADERS: "api-key=Bearer%20s3cret",
    }, {
      enabled: true, protocol: "http/protobuf", timeoutMs: 3000, intervalMs: 20_000, exportTimeoutMs: 15_000, compression: "gzip",
      headers: { "api-key": "Bearer s3cret" },
    }],
    ["OTEL_METRICS_EXPORTER=otlp turns it on (default URL)", "rules: []", { OTEL_METRICS_EXPORTER: "otlp" }, { enabled: true, protocol: "http/protobuf" }],
    ["OTEL_METRICS_EXPORTER=prometheus keeps it off despite an endpoint", "rules: []", { OTEL_METRICS_EXPORTER: "prometheus", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { enabled: false, protocol: "http/protobuf", endpoint: C }],
    ["OTEL_METRICS_EXPORTER=none", "rules: []", { OTEL_METRICS_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { enabled: false, protocol: "http/protobuf", endpoint: C }],
    ["OTEL_SDK_DISABLED=true wins even over the file", "export:\n  otlp:\n    enabled: true", { OTEL_SDK_DISABLED: "true" }, { enabled: false, protocol: "http/protobuf" }],
  ];
  for (const [what, yaml, env, expected] of otlp) test(`otlp: ${what}`, () => assert.deepEqual(configOf(`${yaml}\n`, env).export.otlp, expected));

  test("aliases share a list", () => {
    const c = configOf("cpu:\n  exempt: &mine [make, cc1]\nsecurity:\n  exempt: *mine\n");
    assert.deepEqual(c.security?.exemptNames, ["make", "cc1"]);
  });

  test("interval as a bare number is seconds", () => assert.equal(configOf("interval: 15\n").intervalMs, 15_000));
});

describe("defaultConfig: procwatch run without a file", () => {
  test("every security check, runaways over 90%, Prometheus on loopback, OTLP off", () => {
    assert.deepEqual(config(defaultConfig({ env: {} })), {
      origin: "built-in defaults",
      rules: [],
      intervalMs: 10_000,
      forCycles: 1,
      procRoot: "/proc",
      interpreters: DEFAULT_INTERPRETERS,
      cpu: { maxPercent: 90, basis: { kind: "window", windowMs: 10_000 }, exemptNames: [], exemptUsers: [], includeNormalUsers: false, defaultExempt: true, top: 5 },
      security: { checks: [...SECURITY_CHECKS], exemptNames: [], exemptUsers: [], deletedExeIgnore: [], selinuxfs: "/sys/fs/selinux" },
      export: { prometheus: { enabled: true, host: "127.0.0.1", port: 9477 }, otlp: { enabled: false, protocol: "http/protobuf" }, topProcesses: 10, resourceMetrics: DEFAULT_RESOURCE_GROUPS },
    });
  });

  test("OTLP from the environment", () => {
    const c = config(defaultConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" } }));
    assert.deepEqual(c.export.otlp, { enabled: true, protocol: "http/protobuf", endpoint: "http://c:4318/v1/metrics" });
  });

  test("an unusable protocol variable is a problem", () => {
    assert.deepEqual(problems(defaultConfig({ env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/v1/metrics", OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "grpc" } })), [
      'environment: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=grpc": unsupported OTLP protocol: procwatch sends OTLP over HTTP only (http/json, http/protobuf); a Collector\'s OTLP/HTTP receiver listens on 4318, gRPC on 4317',
    ]);
  });
});

describe("mergeCliRules: the command line's rules join the file's", () => {
  const file = configOf("rules:\n  - \"sshd:1-\"\n  - name: master\n    select: /usr/lib/postfix/sbin/master\n    count: 1-1\n");

  test("added after the file's, source argv", () => {
    const c = config(mergeCliRules(file, ["cron:1-", "tor:1-1"], { accounts }));
    assert.deepEqual(c.rules.map((r) => `${r.label} ${r.source.file}:${r.source.line}`), ["sshd pw.yaml:2", "master pw.yaml:3", "cron argv:1", "tor argv:2"]);
    assert.equal(c.origin, "pw.yaml and the command line");
  });

  test("no rule arguments: the config as it was", () => assert.equal(config(mergeCliRules(file, [], { accounts })), file));

  const cases: [string, string[], string[]][] = [
    ["a bad rule", ["cron:1-", "sshd:x-"], ['argument 2: "sshd:x-": minimum "x" is not a whole number']],
    ["a duplicate of a file rule", ["cron:1-", "sshd:2-"], ['argument 2: "sshd:2-": duplicate rule label "sshd" (first at pw.yaml:2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
    ["a duplicate of a named file rule", ["master:1-"], ['argument 1: "master:1-": duplicate rule label "master" (first at pw.yaml:3:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name']],
    ["a duplicate among the arguments", ["cron:1-", "cron:2-"], ['argument 2: "cron:2-": duplicate of argument 1 ("cron:1-")']],
    ["all of them", ["sshd:1-", "x:1-,user=nosuchuser", "sshd:3-"], [
      'argument 1: "sshd:1-": duplicate rule label "sshd" (first at pw.yaml:2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name',
      'argument 2: "x:1-,user=nosuchuser": unknown user "nosuchuser"',
      'argument 3: "sshd:3-": duplicate of argument 1 ("sshd:1-")',
    ]],
  ];
  for (const [what, args, expected] of cases) test(what, () => assert.deepEqual(problems(mergeCliRules(file, args, { accounts })), expected));
});

describe("problems format", () => {
  test("file problems are file:line:column", () => assert.deepEqual(problemsOf("for_cycles: x\n"), [
    'pw.yaml:1:13: "x": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)',
  ]));
});
