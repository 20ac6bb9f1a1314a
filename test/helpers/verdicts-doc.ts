// A procwatch.verdicts/1 document as the daemon would serve it, for hostile servers in tests to
// bend one field at a time. One rule, one listed process; every member the schema has.
export interface DocOptions {
  readonly atMs?: unknown;
  readonly intervalMs?: unknown;
  readonly format?: string;
  readonly label?: string;
  readonly state?: string;
  readonly count?: unknown;
}

export function verdictsDoc(options: DocOptions = {}): Record<string, unknown> {
  const label = options.label ?? "pwdoc";
  const state = options.state ?? "fail";
  return {
    schema: "procwatch.verdicts/1",
    scan: { seq: 3, atMs: options.atMs ?? Date.now() - 500, durationMs: 12.5, intervalMs: options.intervalMs ?? 10_000 },
    format: options.format ?? "nagios",
    detailLimit: 10,
    forCycles: 1,
    snapshot: { atMs: Date.now() - 500, processes: 120, unreadable: 0, skipped: { vanished: 0, denied: 0, parse: 0, other: 0 }, visibility: { kind: "full" } },
    cpuBasis: null,
    rules: [{
      rule: { text: `${label}:0-0`, label, range: { min: 0, max: 0 }, warn: null, cpu: null },
      state, countState: state, warnState: null, count: options.count ?? 1, undecided: 0,
      matches: [{
        pid: 4242, ppid: 1, startTicks: 100, state: "S", comm: label.slice(0, 15), isKernelThread: false, cpuTicks: 3, utimeTicks: 2, stimeTicks: 1, majorFaults: 0, rssPages: 100, threads: 1,
        uids: { real: 0, effective: 0, saved: 0, fs: 0 }, gids: { real: 0, effective: 0, saved: 0, fs: 0 }, argv: null, argvTruncated: null,
        exe: { path: "/usr/bin/sleep", deleted: false }, hasNoExe: null, labels: null, readMask: 5, unknownMask: 0, unknownWhy: null,
      }],
      nearMisses: [], unknowns: [], hiddenWhy: null, cpu: null, listen: null,
    }],
    probes: null,
    runaway: null,
    security: null,
    names: { users: [[0, "root"]], groups: [[0, "root"]] },
  };
}
