// Pure: the security parts of every output — summary tokens (names and users, never PIDs),
// headline and process lines for detail, Nagios phrase and perfdata, the json section.
// All process-derived text goes through escape.ts.
import type { SecurityResult, SecurityReport } from "../evaluate/security.js";
import { selinuxLabel } from "../evaluate/labels.js";
import type { ProcessRecord } from "../procfs/types.js";
import { formatProcessLine, type NameLookup } from "./describe.js";
import { escapeBytes, escapeText } from "./escape.js";

/** The worst state of the report: any offender fails, else any undecided check is unknown. */
export function securityStatus(report: SecurityReport): "ok" | "fail" | "unknown" {
  if (report.results.some((r) => r.state === "fail")) return "fail";
  return report.results.some((r) => r.state === "unknown") ? "unknown" : "ok";
}

/** "sec:deleted-exe:sshd@root", "sec:selinux-enforcing:permissive", "sec:deleted-exe:unknown"; sorted. */
export function securityTokens(report: SecurityReport, names: NameLookup): string[] {
  const tokens = new Set<string>();
  for (const r of report.results) {
    if (r.state === "unknown") tokens.add(`sec:${r.check}:unknown`);
    if (r.state !== "fail") continue;
    if (r.check === "selinux-enforcing") tokens.add("sec:selinux-enforcing:permissive");
    for (const o of r.offenders) {
      const uid = o.process.uids?.real;
      const user = uid === undefined ? "?" : (names.userName(uid) ?? String(uid));
      tokens.add(`sec:${r.check}:${escapeBytes(o.name, { space: true })}@${escapeText(user, { space: true })}`);
    }
  }
  return [...tokens].sort();
}

const FINDING: Readonly<Record<SecurityResult["check"], string>> = {
  "gid0-not-uid0": "with group id 0 but user id not 0",
  "deleted-exe": "running a deleted or replaced executable",
  "selinux-init-t": "in init_t other than pid 1 (only init belongs there)",
  "selinux-initrc-t": "in initrc_t (started without a domain transition)",
  "selinux-enforcing": "",
};

/** "security deleted-exe: 2 processes running a deleted or replaced executable; 1 exempt; 3 not checked: exe unreadable (EACCES)" */
export function securityHeadline(r: SecurityResult): string {
  const head = `security ${r.check}:`;
  if (r.state === "not-applicable") return `${head} ${escapeText(r.note ?? "not applicable")}`;
  if (r.check === "selinux-enforcing") return `${head} ${r.state === "unknown" ? "unknown: " : ""}${escapeText(r.note ?? "")}`;
  const why = r.undecidedWhy === undefined ? "" : `: ${escapeBytes(r.undecidedWhy)}`;
  const exempt = r.exempted > 0 ? `; ${r.exempted} exempt` : "";
  if (r.state === "unknown") return `${head} unknown: ${processes(r.undecided)} could not be checked${why}${exempt}`;
  const unchecked = r.undecided > 0 ? `; ${r.undecided === Infinity ? "an unknown number" : r.undecided} not checked${why}` : "";
  return `${head} ${processes(r.offenders.length)} ${FINDING[r.check]}${exempt}${unchecked}`;
}

function processes(n: number): string {
  return n === Infinity ? "an unknown number of processes" : `${n} process${n === 1 ? "" : "es"}`;
}

/**
 * Detail of the checks that did not pass (headline, then at most `limit` process lines and
 * "... and N more"); with `withNotApplicable`, a line for each check that could not apply, so
 * an alert never reads as if those checks had run.
 */
export function securityLines(report: SecurityReport, names: NameLookup, limit: number, withNotApplicable: boolean): string[] {
  const lines: string[] = [];
  for (const r of report.results) {
    if (r.state === "not-applicable" && withNotApplicable) lines.push(securityHeadline(r));
    if (r.state !== "fail" && r.state !== "unknown") continue;
    lines.push(securityHeadline(r));
    // Offenders first, then the processes it could not decide, each named: never a bare count.
    const entries = [
      ...r.offenders.map((o) => `  ${processLine(r, o.process, names)}`),
      ...(r.undecidedProcesses ?? []).map((u) => `  undecided: ${formatProcessLine(u.process, names)}: ${escapeBytes(u.why)}`),
    ];
    lines.push(...entries.slice(0, limit));
    if (entries.length > limit) lines.push(`  ... and ${entries.length - limit} more`);
  }
  return lines;
}

/** "pid 42 name x user nobody exe /usr/bin/x" plus what the check is about: all six ids, or the label. */
function processLine(r: SecurityResult, p: ProcessRecord, names: NameLookup): string {
  const base = formatProcessLine(p, names);
  if (r.check === "gid0-not-uid0" && p.uids !== undefined && p.gids !== undefined) {
    const { uids, gids } = p;
    return `${base} ruid ${uids.real} euid ${uids.effective} suid ${uids.saved} rgid ${gids.real} egid ${gids.effective} sgid ${gids.saved}`;
  }
  const label = r.check === "selinux-init-t" || r.check === "selinux-initrc-t" ? selinuxLabel(p) : undefined;
  return label === undefined ? base : `${base} label ${escapeBytes(label.raw, { space: true })}`;
}

/** Nagios line 1: the tokens when something is wrong, else which checks passed and which could not apply. */
export function securityPhrase(report: SecurityReport, names: NameLookup): string {
  if (securityStatus(report) !== "ok") return `security: ${securityTokens(report, names).join(" ")}`;
  const passed = report.results.filter((r) => r.state === "ok").map((r) => r.check);
  const na = report.results.filter((r) => r.state === "not-applicable").map((r) => r.check);
  const parts = [passed.length > 0 ? `ok: ${passed.join(", ")}` : "", na.length > 0 ? `not applicable: ${na.join(", ")}` : ""];
  return `security ${parts.filter((p) => p !== "").join("; ")}`;
}

/** Perfdata labels (before de-duplication) and items' values, one per applicable check. */
export function securityPerfItems(report: SecurityReport): { label: string; value: string }[] {
  return report.results.filter((r) => r.state !== "not-applicable").map((r) => {
    const count = r.check === "selinux-enforcing" ? (r.state === "fail" ? 1 : 0) : r.offenders.length;
    return { label: `sec_${r.check.replace(/-/g, "_")}`, value: r.undecided > 0 || (r.check === "selinux-enforcing" && r.state === "unknown") ? "U" : String(count) };
  });
}

/** The json "security" section; `describe` gives a process's common json fields; at most
 * `limit` offenders and undecided processes per check, with the count of the rest. */
export function securityJson(report: SecurityReport, describe: (p: ProcessRecord) => Record<string, unknown>, limit = Infinity): Record<string, unknown> {
  return {
    checks: report.results.map((r) => ({
      check: r.check,
      state: r.state,
      offenders: r.offenders.slice(0, limit).map((o) => ({
        ...describe(o.process),
        name: escapeBytes(o.name),
        ...selinuxJson(o.process),
      })),
      moreOffenders: Math.max(0, r.offenders.length - limit),
      exempted: r.exempted,
      undecided: r.undecided === Infinity ? null : r.undecided,
      ...(r.undecidedWhy === undefined ? {} : { undecidedWhy: escapeBytes(r.undecidedWhy) }),
      undecidedProcesses: (r.undecidedProcesses ?? []).slice(0, limit).map((u) => ({ ...describe(u.process), name: escapeBytes(u.name), why: escapeBytes(u.why) })),
      moreUndecided: Math.max(0, (r.undecidedProcesses ?? []).length - limit),
      ...(r.note === undefined ? {} : { note: escapeText(r.note) }),
    })),
  };
}

/** The SELinux label and type of an offender, for the json section. */
function selinuxJson(p: ProcessRecord): Record<string, string> {
  const label = selinuxLabel(p);
  return label === undefined ? {} : { label: escapeBytes(label.raw), type: escapeBytes(label.domain ?? "") };
}
