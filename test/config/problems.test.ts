// Every class of configuration problem, with the whole message as the daemon logs it: file, line,
// column, token and reason. One line per case: [what, YAML text, expected problems].
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { problemsOf } from "./fixture.js";

type Case = readonly [string, string, readonly string[]];

function table(title: string, cases: readonly Case[], env: NodeJS.ProcessEnv = {}): void {
  describe(title, () => {
    for (const [what, text, expected] of cases) test(what, () => assert.deepEqual(problemsOf(text, env), expected));
  });
}

const EMPTY = "the file has no settings: an empty file is refused so that a truncated one cannot silently drop every rule; write at least one rule (rules: [\"sshd:1-\"]), or start without --config for the built-in defaults";
const TOP_KNOWN = "known: interval, for_cycles, proc_root, interpreters, rules, cpu, security, export";
const CHECKS_KNOWN = "known: gid0-not-uid0, deleted-exe, selinux-init-t, selinux-initrc-t, selinux-enforcing";
const PUBLIC = "not a loopback address: /metrics and /verdicts have no authentication and list this host's processes, users and executables; if other hosts must scrape it, set allow_public: true next to listen (and restrict it with a firewall)";
const GRPC = "unsupported OTLP protocol: procwatch sends OTLP over HTTP only (http/json, http/protobuf); a Collector's OTLP/HTTP receiver listens on 4318, gRPC on 4317";

table("the file as a whole", [
  ["empty file", "", [`pw.yaml:1:1: "": ${EMPTY}`]],
  ["only comments and blank lines", "# nothing yet\n\n", [`pw.yaml:1:1: "": ${EMPTY}`]],
  ["a list", "- sshd:1-\n", ['pw.yaml:1:1: "- sshd:1-": the file must be a mapping of settings (interval:, rules:, cpu:...), got a list']],
  ["a single value", "sshd:1-\n", ['pw.yaml:1:1: "sshd:1-": the file must be a mapping of settings (interval:, rules:, cpu:...), got a string']],
  ["an explicit null", "~\n", ['pw.yaml:1:1: "~": the file must be a mapping of settings (interval:, rules:, cpu:...), got nothing']],
  ["YAML: unclosed flow list", "rules: [\"sshd:1-\"\ninterval: 10s\n", ['pw.yaml:2:1: "interval: 10s": invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ["YAML: tab indentation", "cpu:\n\tmax_percent: 90\n", ['pw.yaml:2:1: "max_percent: 90": invalid YAML: Tabs are not allowed as indentation']],
  ["YAML: two documents", "interval: 10s\n---\nfor_cycles: 2\n", ['pw.yaml:2:1: "---": invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()']],
  ["YAML: unknown tag is reported, the rest still checked", "interval: !!seconds 10\nfor_cycles: 0\n", [
    'pw.yaml:1:11: "!!seconds 10": invalid YAML: Unresolved tag: tag:yaml.org,2002:seconds',
    'pw.yaml:2:13: "0": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)',
  ]],
  ["duplicate key at the top level", "interval: 10s\nrules: []\ninterval: 20s\n", ['pw.yaml:3:1: "interval": duplicate key (first at 1:1): one value would silently replace the other']],
  ["duplicate key in a section", "cpu:\n  top: 5\n  top: 6\n", ['pw.yaml:3:3: "top": duplicate key (first at 2:3): one value would silently replace the other']],
  ["alias of an undefined anchor", "rules: []\ncpu:\n  exempt: *common\n", ['pw.yaml:3:11: "*common": alias of an anchor that is not defined before it']],
]);

table("unknown keys", [
  ["near miss at the top level", "interval: 10s\nfor_cylces: 2\n", ['pw.yaml:2:1: "for_cylces": unknown key at the top level (did you mean "for_cycles"?)']],
  ["camelCase spelling", "forCycles: 2\n", ['pw.yaml:1:1: "forCycles": unknown key at the top level (did you mean "for_cycles"?)']],
  ["no near key: the known ones", "colour: red\n", [`pw.yaml:1:1: "colour": unknown key at the top level (${TOP_KNOWN})`]],
  ["a key of another section", "max_percent: 90\n", ['pw.yaml:1:1: "max_percent": unknown key at the top level: max_percent belongs under cpu']],
  ["deleted-exe's key under security", "security:\n  max_uid: 999\n", ['pw.yaml:2:3: "max_uid": unknown key under security: max_uid belongs under security.checks.deleted-exe']],
  ["under cpu", "cpu:\n  max_precent: 90\n", ['pw.yaml:2:3: "max_precent": unknown key under cpu (did you mean "max_percent"?)']],
  ["under export.prometheus", "export:\n  prometheus:\n    listn: \"127.0.0.1:9477\"\n", ['pw.yaml:3:5: "listn": unknown key under export.prometheus (did you mean "listen"?)']],
  ["under export.otlp", "export:\n  otlp:\n    url: http://127.0.0.1:4318/v1/metrics\n", ['pw.yaml:3:5: "url": unknown key under export.otlp (known: enabled, protocol, endpoint, interval, timeout)']],
  ["in a rule", "rules:\n  - select: sshd\n    count: 1-\n    usr: root\n", ['pw.yaml:4:5: "usr": unknown key in a rule (did you mean "user"?)']],
  ["in a check's settings", "security:\n  checks:\n    deleted-exe: { exmpt: [x] }\n", ['pw.yaml:3:20: "exmpt": unknown key under deleted-exe (did you mean "exempt"?)']],
  ["a key that is not a word", "[a, b]: 1\n", ['pw.yaml:1:1: "[a, b]": a key must be a plain word (known at the top level: interval, for_cycles, proc_root, interpreters, rules, cpu, security, export)']],
]);

table("wrong types", [
  ["a string where a list belongs", "cpu:\n  exempt: boinc\n", ['pw.yaml:2:11: "boinc": expected a list, got a string (a single item is written [boinc])']],
  ["a mapping where a list belongs", "rules:\n  sshd: 1-\n", ['pw.yaml:2:3: "sshd: 1-": expected a list, got a mapping']],
  ["a list where a mapping belongs", "cpu: [90]\n", ['pw.yaml:1:6: "[90]": expected a mapping (indented key: value lines), got a list']],
  ["a string where a mapping belongs", "export: prometheus\n", ['pw.yaml:1:9: "prometheus": expected a mapping (indented key: value lines), got a string']],
  ["yes is not a boolean in YAML 1.2", "cpu:\n  lifetime: yes\n", ['pw.yaml:2:13: "yes": expected true or false, got a string ("yes" is a string in YAML 1.2)']],
  ["a number where a boolean belongs", "cpu:\n  default_exempt: 0\n", ['pw.yaml:2:19: "0": expected true or false, got a number']],
  ["nothing where a boolean belongs: at the key", "cpu:\n  lifetime:\n", ['pw.yaml:2:3: "": expected true or false, got nothing']],
  ["a quoted number", "for_cycles: \"2\"\n", ['pw.yaml:1:13: "2": expected a whole number (consecutive failing scans before a failure is reported), got a string; remove the quotes']],
  ["a list where a single value belongs", "proc_root: [/proc]\n", ['pw.yaml:1:12: "[/proc]": expected a single value, got a list']],
  ["nothing where a value is needed", "proc_root:\n", ['pw.yaml:1:1: "proc_root": needs a value']],
  ["an empty string in a list", "cpu:\n  exempt: [\"\"]\n", ['pw.yaml:2:12: "": an empty string names nothing']],
]);

table("interval, for_cycles, proc_root, interpreters", [
  ["not a duration", "interval: 10 parsecs\n", ['pw.yaml:1:11: "10 parsecs": not a duration (a number with a unit: 500ms, 10s, 1m, 1h; a bare number is seconds)']],
  ["below 1s", "interval: 500ms\n", ['pw.yaml:1:11: "500ms": the scan interval must be from 1s to 1h']],
  ["above 1h", "interval: 2h\n", ['pw.yaml:1:11: "2h": the scan interval must be from 1s to 1h']],
  ["for_cycles 0", "for_cycles: 0\n", ['pw.yaml:1:13: "0": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)']],
  ["for_cycles negative", "for_cycles: -1\n", ['pw.yaml:1:13: "-1": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)']],
  ["for_cycles fraction", "for_cycles: 1.5\n", ['pw.yaml:1:13: "1.5": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)']],
  ["relative proc_root", "proc_root: host/proc\n", ['pw.yaml:1:12: "host/proc": proc_root must be an absolute path']],
  ["an interpreter path", "interpreters: [/usr/bin/python3]\n", ['pw.yaml:1:16: "/usr/bin/python3": an interpreter is a process name (comm), not a path']],
  ["an interpreter glob that does not compile", "interpreters: [\"python[3\"]\n", ['pw.yaml:1:16: "python[3": unclosed \'[\' in pattern "python[3"']],
]);

table("cpu", [
  ["percentage with %", "cpu:\n  max_percent: 90%\n", ['pw.yaml:2:16: "90%25": must be a percentage above 0 of one CPU, as a number without a percent sign (90; 100 = one full CPU; a multi-threaded process can exceed 100)']],
  ["percentage 0", "cpu:\n  max_percent: 0\n", ['pw.yaml:2:16: "0": must be a percentage above 0 of one CPU, as a number without a percent sign (90; 100 = one full CPU; a multi-threaded process can exceed 100)']],
  ["top 0", "cpu:\n  top: 0\n", ['pw.yaml:2:8: "0": must be a whole number from 1 to 999 (offenders listed in detail)']],
  ["unknown exempt user", "cpu:\n  exempt_users: [backup, nosuchuser]\n", ['pw.yaml:2:26: "nosuchuser": unknown user (neither in /etc/passwd nor known to getent)']],
  ["uid out of range", "cpu:\n  exempt_users: [4294967295]\n", ['pw.yaml:2:18: "4294967295": uid out of range (at most 4294967294)']],
]);

table("security", [
  ["unknown check, near miss", "security:\n  checks: [gid0-not-uid0, deleted-exes]\n", [`pw.yaml:2:27: "deleted-exes": unknown security check (did you mean "deleted-exe"? ${CHECKS_KNOWN}, all)`]],
  ["unknown check", "security:\n  checks: [fork-bomb]\n", [`pw.yaml:2:12: "fork-bomb": unknown security check (${CHECKS_KNOWN}, all)`]],
  ["a check listed twice", "security:\n  checks: [deleted-exe, deleted-exe]\n", ['pw.yaml:2:25: "deleted-exe": listed twice']],
  ["one check without brackets", "security:\n  checks: deleted-exe\n", [`pw.yaml:2:11: "deleted-exe": expected all, a list of checks or a mapping of checks to their settings; one check is written [deleted-exe] (${CHECKS_KNOWN})`]],
  ["unknown check in the mapping", "security:\n  checks:\n    deleted-exe: {}\n    gid0-not-uid: {}\n", ['pw.yaml:4:5: "gid0-not-uid": unknown security check (did you mean "gid0-not-uid0"?)']],
  ["deleted-exe's settings on another check", "security:\n  checks:\n    gid0-not-uid0: { max_uid: 999, ignore: [/tmp/] }\n", [
    'pw.yaml:3:22: "max_uid": only deleted-exe has max_uid',
    'pw.yaml:3:36: "ignore": only deleted-exe has ignore',
  ]],
  ["max_uid not a uid", "security:\n  checks:\n    deleted-exe: { max_uid: system }\n", ['pw.yaml:3:29: "system": must be a whole number from 0 to 4294967294 (deleted-exe reports only processes whose real uid is at most this)']],
  ["ignore prefix not a path", "security:\n  checks:\n    deleted-exe:\n      ignore: [tmp/]\n", ['pw.yaml:4:16: "tmp/": an exe path prefix starts with \'/\' (e.g. /tmp/, /opt/app/)']],
  ["unknown user, every check", "security:\n  exempt_users: [nosuchuser]\n", ['pw.yaml:2:18: "nosuchuser": unknown user (neither in /etc/passwd nor known to getent)']],
  ["unknown user, one check", "security:\n  checks:\n    deleted-exe: { exempt_users: [nosuchuser] }\n", ['pw.yaml:3:35: "nosuchuser": unknown user (neither in /etc/passwd nor known to getent)']],
  ["relative selinuxfs", "security:\n  selinuxfs: selinux\n", ['pw.yaml:2:14: "selinux": selinuxfs must be an absolute path']],
]);

table("export", [
  ["public listen without allow_public", "export:\n  prometheus:\n    listen: \"0.0.0.0:9477\"\n", [`pw.yaml:3:13: "0.0.0.0:9477": ${PUBLIC}`]],
  ["public IPv6 listen without allow_public", "export:\n  prometheus:\n    listen: \"[::]:9477\"\n    allow_public: false\n", [`pw.yaml:3:13: "[::]:9477": ${PUBLIC}`]],
  ["IPv6 without brackets", "export:\n  prometheus:\n    listen: \"::1:9477\"\n", ['pw.yaml:3:13: "::1:9477": an IPv6 address needs brackets: [::1]:PORT']],
  ["no port", "export:\n  prometheus:\n    listen: 127.0.0.1\n", ['pw.yaml:3:13: "127.0.0.1": expected ADDRESS:PORT, e.g. 127.0.0.1:9477 or [::1]:9477']],
  ["port 0", "export:\n  prometheus:\n    listen: \"127.0.0.1:0\"\n", ['pw.yaml:3:13: "127.0.0.1:0": port "0" is not a number from 1 to 65535']],
  ["port above 65535", "export:\n  prometheus:\n    listen: \"[::1]:70000\"\n", ['pw.yaml:3:13: "[::1]:70000": port "70000" is not a number from 1 to 65535']],
  ["a host name", "export:\n  prometheus:\n    listen: \"metrics.example.org:9477\"\n", ['pw.yaml:3:13: "metrics.example.org:9477": "metrics.example.org" is not an IP address: a host name would be looked up once at start; write the address (127.0.0.1, [::1], or 0.0.0.0 for all)']],
  ["not an IPv6 address in brackets", "export:\n  prometheus:\n    listen: \"[::g]:9477\"\n", ['pw.yaml:3:13: "[::g]:9477": "::g" is not an IPv6 address']],
  ["an IPv4 address out of range", "export:\n  prometheus:\n    listen: \"127.0.0.256:9477\"\n", ['pw.yaml:3:13: "127.0.0.256:9477": "127.0.0.256" is not an IP address: a host name would be looked up once at start; write the address (127.0.0.1, [::1], or 0.0.0.0 for all)']],
  ["top_processes above 100", "export:\n  top_processes: 500\n", ['pw.yaml:2:18: "500": must be a whole number from 0 to 100 (runaway processes exported with their own CPU series)']],
  ["an unknown resource metric group", "export:\n  resource_metrics: [memory, rss]\n", ['pw.yaml:2:30: "rss": not a resource metric group; known: memory, threads, cpu, starts, start_time, faults, context_switches, fds, io (or true, false)']],
  ["gRPC protocol", "export:\n  otlp:\n    protocol: grpc\n", [`pw.yaml:3:15: "grpc": ${GRPC}`]],
  ["endpoint without the metrics path", "export:\n  otlp:\n    endpoint: http://collector:4318\n", ['pw.yaml:3:15: "http://collector:4318": no path: this is the full metrics URL, as in http://collector:4318/v1/metrics (nothing appends /v1/metrics to it)']],
  ["endpoint not http", "export:\n  otlp:\n    endpoint: grpc://collector:4317/v1/metrics\n", ['pw.yaml:3:15: "grpc://collector:4317/v1/metrics": OTLP/HTTP needs an http:// or https:// URL']],
  ["endpoint not a URL", "export:\n  otlp:\n    endpoint: collector:4318/v1/metrics\n", ['pw.yaml:3:15: "collector:4318/v1/metrics": OTLP/HTTP needs an http:// or https:// URL']],
  ["endpoint not parsable", "export:\n  otlp:\n    endpoint: \"http://[bad/v1/metrics\"\n", ['pw.yaml:3:15: "http://[bad/v1/metrics": not a URL (e.g. http://127.0.0.1:4318/v1/metrics)']],
  ["push interval below 1s", "export:\n  otlp:\n    interval: 100ms\n", ['pw.yaml:3:15: "100ms": the OTLP push interval must be from 1s to 1h']],
  ["timeout above the push interval", "export:\n  otlp:\n    interval: 5s\n    timeout: 10s\n", ['pw.yaml:4:14: "10s": the export timeout must not be longer than the push interval (the metric reader refuses it)']],
]);

table("the environment's OTLP protocol, when OTLP is on", [
  ["gRPC in OTEL_EXPORTER_OTLP_PROTOCOL", "rules: []\n", [`environment: "OTEL_EXPORTER_OTLP_PROTOCOL=grpc": ${GRPC}`]],
  ["the file's protocol wins", "export:\n  otlp:\n    protocol: http/json\n", []],
], { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });

table("the environment's OTLP protocol, when OTLP is off", [
  ["no endpoint: the variable is not used", "rules: []\n", []],
], { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });

table("the other OTLP variables, when OTLP is on", [
  ["compression", "rules: []\n", ['environment: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION=zstd": expected gzip or none']],
], { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "zstd" });

table("timeouts and interval", [
  ["not a number", "rules: []\n", [
    'environment: "OTEL_METRIC_EXPORT_INTERVAL=0": expected a whole number of milliseconds above 0',
    'environment: "OTEL_EXPORTER_OTLP_TIMEOUT=5s": expected a whole number of milliseconds above 0',
  ]],
  ["the file's interval and timeout win: those variables are not used", "export:\n  otlp:\n    interval: 10s\n    timeout: 2s\n", []],
], { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_TIMEOUT: "5s", OTEL_METRIC_EXPORT_INTERVAL: "0" });

table("endpoint variables", [
  ["not http", "rules: []\n", ['environment: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=grpc://c:4317": OTLP/HTTP needs an http:// or https:// URL']],
], { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "grpc://c:4317" });

table("headers: the value is never echoed", [
  ["no =", "rules: []\n", ['environment: "OTEL_EXPORTER_OTLP_HEADERS=…": an entry is not key=value (entry "Bearer s3cret")']],
], { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_HEADERS: "Bearer s3cret" });

table("certificates", [
  ["an unreadable CA file, a client certificate without its key", "rules: []\n", [
    'environment: "OTEL_EXPORTER_OTLP_CERTIFICATE=/nonexistent/ca.pem": cannot read the PEM file (ENOENT)',
    'environment: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE=/dev/null": a client certificate needs its key: set both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or their _METRICS_ forms)',
  ]],
], { OTEL_EXPORTER_OTLP_ENDPOINT: "https://127.0.0.1:4318", OTEL_EXPORTER_OTLP_CERTIFICATE: "/nonexistent/ca.pem", OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: "/dev/null" });

table("OTEL_METRICS_EXPORTER, even with OTLP off", [
  ["unknown exporter", "rules: []\n", ['environment: "OTEL_METRICS_EXPORTER=prometheus,console": unknown metrics exporter "console" (procwatch has otlp, prometheus, none)']],
], { OTEL_METRICS_EXPORTER: "prometheus,console" });

table("OTEL_METRICS_EXPORTER: none with another", [
  ["none,otlp", "rules: []\n", ['environment: "OTEL_METRICS_EXPORTER=none,otlp": "none" cannot be combined with other exporters']],
], { OTEL_METRICS_EXPORTER: "none,otlp" });

describe("every problem at once, in file order", () => {
  test("one file with problems in every section", () => {
    const text = [
      "interval: 10 parsecs", //            1
      "for_cycles: 0", //                   2
      "rules:", //                          3
      "  - \"sshd:1-,user=nosuchuser\"", // 4
      "  - select: cron", //                5
      "    count: 5-1", //                  6
      "cpu:", //                            7
      "  exempt: boinc", //                 8
      "security:", //                       9
      "  checks: [deleted-exes]", //        10
      "export:", //                         11
      "  prometheus:", //                   12
      "    listen: \"0.0.0.0:9477\"", //    13
      "colour: red", //                     14
      "",
    ].join("\n");
    assert.deepEqual(problemsOf(text), [
      'pw.yaml:1:11: "10 parsecs": not a duration (a number with a unit: 500ms, 10s, 1m, 1h; a bare number is seconds)',
      'pw.yaml:2:13: "0": must be a whole number from 1 to 999999 (consecutive failing scans before a failure is reported)',
      'pw.yaml:4:5: "sshd:1-,user=nosuchuser": unknown user "nosuchuser"',
      'pw.yaml:6:12: "5-1": empty range: minimum 5 is above maximum 1',
      'pw.yaml:8:11: "boinc": expected a list, got a string (a single item is written [boinc])',
      `pw.yaml:10:12: "deleted-exes": unknown security check (did you mean "deleted-exe"? ${CHECKS_KNOWN}, all)`,
      `pw.yaml:13:13: "0.0.0.0:9477": ${PUBLIC}`,
      `pw.yaml:14:1: "colour": unknown key at the top level (${TOP_KNOWN})`,
    ]);
  });
});
