// The daemon's configuration: a YAML file (or the built-in defaults) plus the command line's
// rules → DaemonConfig, or every problem found, each at file:line:column. Reads the file and
// nothing else: no /proc, no clock; the environment and the user database come in through deps.
//
// File format (examples/procwatch.example.yaml uses every key):
//
//   interval: 10s            time between scans, 1s to 1h (500ms, 10s, 1m; a bare number is seconds)
//   for_cycles: 1            a rule, runaway or security check is reported failing after this many
//                            consecutive failing scans (debounce), a whole number >= 1
//   proc_root: /proc         absolute path (/host/proc in a container)
//   interpreters: [perl, python3, "python3.*", ...]   replaces the built-in list (globs allowed)
//   rules:                   each item is one of (no control, bidi or separator character in any of its text):
//     - "sshd:1-,user=root"  a one-liner, the command line's grammar (quote it: YAML reads ': ' and ' #')
//     - name: postfix-master           optional; default: the one-liner label (select + qualifiers)
//       select: /usr/lib/postfix/sbin/master   a process name, or an absolute path/glob
//       count: 1-1                     MIN-MAX: 1-, -3, 1-5, 0-0 (0 is a real bound)
//       user: root                     qualifiers as keys: user, group, uid, gid, exe, args, label, domain,
//                                      listen (25, udp/53, 127.0.0.1:25),
//                                      cpu (MIN-MAX % of one CPU), warn (MIN-MAX, Nagios WARNING)
//     - "tcp://127.0.0.1:22,banner=^SSH-2.0-"   a probe one-liner (tcp://ADDR:PORT[,banner=][,timeout=][,remote=yes])
//     - name: ssh                      a probe mapping: name optional, as above
//       probe: tcp://127.0.0.1:22      loopback address (IP literal) and port
//       banner: "^SSH-2\\.0-"          optional: the first line the service sends must match (linear regex)
//       timeout: 2s                    optional: connect and banner together, 10ms to 1m (default 2s)
//       remote: false                  true: the address may be another host's
//   cpu:                     the runaway check; the section's absence means no runaway check
//     max_percent: 90        % of one CPU; absent: no runaway check (cpu= rules still work)
//     lifetime: false        true: lifetime average (ps %cpu); false: between two scans
//     exempt: [boinc]        process names never reported
//     exempt_users: [backup] users (names or uids) never reported
//     include_normal_users: false   true: also report UID_MIN..UID_MAX users (login.defs)
//     default_exempt: true   false: drop the built-in exempt list (gzip, xz, boinc...)
//     top: 5                 offenders listed in detail, 1 to 999
//   security:                the security checks; the section's absence means none
//     checks: all            all (the default), a list [gid0-not-uid0, deleted-exe], or a mapping
//                            of checks to their own settings (each listed check runs):
//                              deleted-exe: { exempt: [..], exempt_users: [..], max_uid: 999, ignore: [/opt/] }
//                              gid0-not-uid0: {}     (exempt and exempt_users work for every check;
//                                                     max_uid and ignore are deleted-exe's)
//     exempt: [...]          names exempt from every check
//     exempt_users: [...]    users exempt from every check
//     selinuxfs: /sys/fs/selinux
//   export:
//     top_processes: 10      runaways exported with a CPU series of their own, 0 to 100
//     prometheus:            the daemon's one listener: /metrics (when enabled), /verdicts, /healthz
//       enabled: true
//       listen: "127.0.0.1:9477"   IPv6: "[::1]:9477"; a non-loopback address needs
//       allow_public: false        allow_public: true (no authentication on that listener)
//     otlp:
//       enabled: true        default: true when endpoint is given here, or when
//                            OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set
//       protocol: http/json  or http/protobuf; default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, then
//                            OTEL_EXPORTER_OTLP_PROTOCOL, then http/json (no gRPC)
//       endpoint: http://127.0.0.1:4318/v1/metrics   the full metrics URL; default: the variables
//       interval: 10s        push interval; default: OTEL_METRIC_EXPORT_INTERVAL, else `interval`
//       timeout: 5s          at most the push interval; default: OTEL_METRIC_EXPORT_TIMEOUT, else 5s
//
// Decisions:
// - Without a file, `procwatch run` uses defaultConfig(): every security check and the runaway
//   check at 90 %. A file says what it wants: a cpu: or security: section it leaves out is off;
//   every other key it leaves out has the default above.
// - An empty file (nothing but comments or blanks) is a problem, not the defaults: a file truncated
//   by a failed deployment would otherwise replace every rule with nothing on the next SIGHUP.
// - `key:` with nothing after it is an empty section or list (a list with every item commented out).
// - Rule labels name metric series and summary lines, so two rules with one label (in the file or
//   on the command line) are a problem naming both places.
// - YAML syntax errors stop validation (the rest would be guesses); everything else is reported
//   together, sorted by position. Duplicate keys are problems (YAML would keep only one).
// - YAML 1.2: yes/no/on/off are strings, so `lifetime: yes` is a type problem, not true.
import { DEFAULT_INTERPRETERS } from "../rules/interpreters.js";
import { isMap, LineCounter, parseDocument } from "yaml";
import type { Accounts } from "../system/accounts.js";
import { type FileRefusal, formatBytes, isRefusal, readRegularFile } from "../procfs/regular-file.js";
import { DEFAULT_SELINUXFS } from "../procfs/selinuxfs.js";
import { SECURITY_CHECKS } from "../rules/security-checks.js";
import { hiddenCharacterReason } from "../rules/characters.js";
import { describeSource } from "../rules/errors.js";
import { parseRuleArgs } from "../rules/list.js";
import { compileGlob } from "../rules/pattern.js";
import { absolutePath, CPU_KEYS, DEFAULT_CPU_TOP, DELETED_EXE_KEYS, parseCpuSection, parseSecurity, SECURITY_KEYS } from "./checks.js";
import { defaultExport, EXPORT_KEYS, OTLP_KEYS, PROMETHEUS_KEYS, parseExport } from "./export.js";
import { blame, type Field, kindOf, type YamlContext, parseDurationValue, parseMapping, parseStrings, parseWholeNumber, report, tokenOf } from "./fields.js";
import { checkRuleCount, MAX_CONFIG_BYTES, ruleLimitProblems } from "./limits.js";
import { duplicateReason, parseRules, RULE_KEYS } from "./rules.js";
import type { DaemonConfig } from "./types.js";
import type { Problem } from "../rules/problem.js";

export { DEFAULT_PROMETHEUS_HOST, DEFAULT_PROMETHEUS_PORT, DEFAULT_TOP_PROCESSES } from "./export.js";

export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_CPU_MAX_PERCENT = 90;
export const DEFAULT_ORIGIN = "built-in defaults";

export type LoadResult = { readonly config: DaemonConfig } | { readonly problems: readonly Problem[] };

export interface LoadDeps {
  readonly accounts: Accounts;
  /** The daemon's environment: OTEL_EXPORTER_OTLP_* decide the OTLP defaults. */
  readonly env: NodeJS.ProcessEnv;
  /** Reads the file's bytes (or throws an errno error); default: readRegularFile, which never
   * blocks (a FIFO, a device) and stops at MAX_CONFIG_BYTES. */
  readonly readFile?: (path: string) => Uint8Array | FileRefusal;
}

const TOP_KEYS: readonly string[] = ["interval", "for_cycles", "proc_root", "interpreters", "rules", "cpu", "security", "export"];

/** Where a key that is unknown in one section belongs, for the hint; only keys of one section. */
const HOMES: ReadonlyMap<string, string> = (() => {
  const sections: [string, readonly string[]][] = [
    ["at the top level", TOP_KEYS], ["under cpu", CPU_KEYS], ["under security", SECURITY_KEYS], ["under export", EXPORT_KEYS],
    ["under export.prometheus", PROMETHEUS_KEYS], ["under export.otlp", OTLP_KEYS], ["in a rule", RULE_KEYS],
    ["under security.checks.deleted-exe", DELETED_EXE_KEYS],
  ];
  const count = new Map<string, number>();
  for (const [, keys] of sections) for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
  return new Map(sections.flatMap(([where, keys]) => keys.filter((k) => count.get(k) === 1).map((k): [string, string] => [k, where])));
})();

export function loadConfig(path: string, deps: LoadDeps): LoadResult {
  // "argv" and "environment" mean the command line and the variables in a Problem.
  const file = path === "argv" || path === "environment" ? `./${path}` : path;
  let read: Uint8Array | FileRefusal;
  try {
    read = (deps.readFile ?? ((p: string) => readRegularFile(p, MAX_CONFIG_BYTES)))(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw err;
    read = { kind: "unreadable", path, code };
  }
  if (!(read instanceof Uint8Array) && isRefusal(read)) return { problems: [{ code: "config", file, line: 1, column: 1, token: path, reason: refusalReason(read) }] };
  const bytes = read;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // The decoder's only failure is invalid UTF-8: locate the first bad byte for the message.
    return { problems: [invalidUtf8(file, bytes)] };
  }
  return parseConfig(text, file, deps);
}

function refusalReason(r: FileRefusal): string {
  switch (r.kind) {
    case "unreadable":
      return `cannot read the configuration file (${r.code})`;
    case "not-regular":
      // Checked on the open descriptor, so the open itself never waited for a FIFO's writer.
      return `the configuration file is ${r.what}, not a regular file; refusing to read it`;
    case "too-large":
      return `the configuration file is larger than ${formatBytes(r.capBytes)}${r.sizeBytes === undefined ? "" : ` (${r.sizeBytes} bytes)`}, the most procwatch reads`;
  }
}

function invalidUtf8(file: string, bytes: Uint8Array): Problem {
  const lossy = new TextDecoder("utf-8").decode(bytes);
  const bad = lossy.indexOf("\uFFFD");
  const before = lossy.slice(0, Math.max(bad, 0)).split("\n");
  const line = before.length;
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  return { code: "config", file, line, column, token: "\uFFFD", reason: "not valid UTF-8: save the file as UTF-8 (process names are matched as UTF-8 bytes)" };
}

export function parseConfig(text: string, file: string, deps: Omit<LoadDeps, "readFile">): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const ctx: YamlContext = { file, text, lines, doc, problems: [], homeOf: (key) => HOMES.get(key) };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) report(ctx, e.pos[0], sourceToken(text, e.pos[0]), `invalid YAML: ${e.message}`);
    return { problems: sorted(ctx.problems) };
  }
  for (const w of doc.warnings) report(ctx, w.pos[0], sourceToken(text, w.pos[0]), `invalid YAML: ${w.message}`);
  const contents = doc.contents;
  if (contents === null) {
    report(ctx, 0, "", "the file has no settings: an empty file is refused so that a truncated one cannot silently drop every rule; "
      + "write at least one rule (rules: [\"sshd:1-\"]), or start without --config for the built-in defaults");
    return { problems: sorted(ctx.problems) };
  }
  if (!isMap(contents)) {
    report(ctx, contents, tokenOf(ctx, contents), `the file must be a mapping of settings (interval:, rules:, cpu:...), got ${kindOf(contents)}`);
    return { problems: sorted(ctx.problems) };
  }
  const config = parseTop(ctx, { node: contents, key: contents }, deps);
  return ctx.problems.length > 0 || config === undefined ? { problems: sorted(ctx.problems) } : { config };
}

/** A YAML error's token: the rest of the line where it starts (shortened). */
function sourceToken(text: string, start: number): string {
  const first = text.slice(start).split("\n")[0]?.trim() ?? "";
  return first.length > 40 ? `${first.slice(0, 39)}…` : first;
}

function sorted(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

function parseTop(ctx: YamlContext, root: Field, deps: Omit<LoadDeps, "readFile">): DaemonConfig | undefined {
  const m = parseMapping(ctx, root, { where: "at the top level", keys: TOP_KEYS });
  if (m === undefined) return undefined;
  const at = <T>(key: string, read: (f: Field) => T | undefined): T | undefined => {
    const f = m.get(key);
    return f === undefined ? undefined : read(f);
  };
  const intervalMs = at("interval", (f) => parseDurationValue(ctx, f, 1000, 3_600_000, "the scan interval")) ?? DEFAULT_INTERVAL_MS;
  const forCycles = at("for_cycles", (f) => parseWholeNumber(ctx, f, 1, 999_999, "consecutive failing scans before a failure is reported")) ?? 1;
  const procRoot = at("proc_root", (f) => absolutePath(ctx, f, "proc_root")) ?? "/proc";
  const interpreters = at("interpreters", (f) => parseInterpreters(ctx, f)) ?? DEFAULT_INTERPRETERS;
  const rules = at("rules", (f) => (checkRuleCount(ctx, f) ? parseRules(ctx, f, deps.accounts) : undefined)) ?? [];
  ctx.problems.push(...ruleLimitProblems(rules));
  const cpu = at("cpu", (f) => parseCpuSection(ctx, f, deps.accounts, intervalMs));
  const security = at("security", (f) => parseSecurity(ctx, f, deps.accounts));
  const exportSettings = at("export", (f) => parseExport(ctx, f, deps.env)) ?? defaultExport(deps.env, ctx.problems);
  return {
    origin: ctx.file,
    rules,
    intervalMs,
    forCycles,
    procRoot,
    interpreters,
    ...(cpu === undefined ? {} : { cpu }),
    ...(security === undefined ? {} : { security }),
    export: exportSettings,
  };
}

/** Interpreter names or globs (python3.*): what comm holds, so never a path. */
function parseInterpreters(ctx: YamlContext, f: Field): string[] | undefined {
  const items = parseStrings(ctx, f);
  if (items === undefined) return undefined;
  for (const { text, field } of items) {
    if (text.includes("/")) report(ctx, blame(field), text, "an interpreter is a process name (comm), not a path");
    else {
      try {
        compileGlob(text, { pathSegments: true });
      } catch (err) {
        report(ctx, blame(field), text, (err as Error).message);
      }
    }
  }
  return items.map((s) => s.text);
}

/** What `procwatch run` does without --config. A problem only for an unusable OTEL_* protocol. */
export function defaultConfig(deps: { readonly env: NodeJS.ProcessEnv }): LoadResult {
  const problems: Problem[] = [];
  const exportSettings = defaultExport(deps.env, problems);
  if (problems.length > 0) return { problems };
  return {
    config: {
      origin: DEFAULT_ORIGIN,
      rules: [],
      intervalMs: DEFAULT_INTERVAL_MS,
      forCycles: 1,
      procRoot: "/proc",
      interpreters: DEFAULT_INTERPRETERS,
      cpu: {
        maxPercent: DEFAULT_CPU_MAX_PERCENT,
        basis: { kind: "window", windowMs: DEFAULT_INTERVAL_MS },
        exemptNames: [],
        exemptUsers: [],
        includeNormalUsers: false,
        defaultExempt: true,
        top: DEFAULT_CPU_TOP,
      },
      security: { checks: [...SECURITY_CHECKS], exemptNames: [], exemptUsers: [], deletedExeIgnore: [], selinuxfs: DEFAULT_SELINUXFS },
      export: exportSettings,
    },
  };
}

/** Adds the command line's rules (one-liners, source argv) to the config's. A rule with the label
 * of another, on the command line or in the file, is a problem naming both places. */
export function mergeCliRules(config: DaemonConfig, ruleArgs: readonly string[], deps: { readonly accounts: Accounts }): LoadResult {
  if (ruleArgs.length === 0) return { config };
  // The config file's character rule for rule text (rules.ts): here too a label names metric series.
  const hidden: Problem[] = ruleArgs.flatMap((arg, i) => {
    const reason = hiddenCharacterReason(arg);
    return reason === undefined ? [] : [{ code: "rule" as const, file: "argv", line: i + 1, column: 1, token: arg, reason }];
  });
  if (hidden.length > 0) return { problems: hidden };
  const parsed = parseRuleArgs(ruleArgs, deps.accounts);
  const problems: Problem[] = [...parsed.errors];
  const byLabel = new Map(config.rules.map((r) => [r.label, r]));
  for (const rule of parsed.rules) {
    const first = byLabel.get(rule.label);
    if (first !== undefined) problems.push({ code: "rule", file: "argv", line: rule.source.line, column: 1, token: rule.text, reason: duplicateReason(rule.label, describeSource(first.source)) });
  }
  const rules = [...config.rules, ...parsed.rules];
  // The file's own labels were checked as it was read; this adds the arguments' and the total.
  problems.push(...ruleLimitProblems(rules));
  if (problems.length > 0) return { problems: [...problems].sort((a, b) => a.line - b.line) };
  return { config: { ...config, origin: `${config.origin} and the command line`, rules } };
}
