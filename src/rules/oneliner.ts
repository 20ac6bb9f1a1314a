// Pure (given an Accounts lookup): one ps.monitor-style argument → Rule.
//   SELECTOR:MIN-MAX[,key=value...]   e.g. sshd:1-  cron:1-5  foo:-3  telnetd:0-0
//   /usr/lib/postfix/sbin/master:1-1  sshd:1-,user=root  x:1-,args=--config=/etc/x\.conf
//   cron:1-5,warn=2-4   (Nagios: WARNING outside 2-4, CRITICAL outside 1-5)
//   sshd:1-,domain=sshd_t   (the SELinux type or AppArmor profile; label= globs the raw label)
//   master:1-1,listen=25  named:1-,listen=udp/53  x:1-,listen=127.0.0.1:25  y:1-,listen=::1:25
// Deliberate differences from ps.monitor: 0 is a real bound, and anything ps.monitor would
// silently misread (junk after the range, min > max, empty ranges, globs) is an error.
import type { Accounts } from "../system/accounts.js";
import { RuleError } from "./errors.js";
import { compileGlob, compileLinearRegex, hasGlobMagic, toBytes } from "./pattern.js";
import { parseIpAddress } from "./address.js";
import { LIMIT_KEYS, type LimitKey, parseLimit } from "./limits.js";
import type { CountRange, CountRule, IpAddress, ListenSpec, ProcessLimits, Qualifier, QualifierKey, RuleSource, Selector } from "./types.js";

/** The largest count accepted: Linux's pid_max ceiling (2^22); more processes cannot exist. */
export const MAX_COUNT = 4_194_304;

export const QUALIFIER_KEYS: readonly QualifierKey[] = ["user", "group", "uid", "gid", "exe", "args", "label", "domain", "listen", "unit", "cgroup", "container"];
/** Qualifiers that also take `KEY!=VALUE`: the process must not be there. */
const NEGATABLE_KEYS: readonly QualifierKey[] = ["unit", "cgroup", "container"];

export interface ParseContext {
  readonly accounts: Accounts;
  readonly source: RuleSource;
}

// A qualifier starts at a comma followed by key= (or key!=); values may hold ':' and ','
// (args=a{1,3}).
export const QUALIFIER_START = /,(?=[A-Za-z][A-Za-z0-9_-]*!?=)/;

export function parseOneLiner(arg: string, ctx: ParseContext): CountRule {
  const fail = (reason: string): never => {
    throw new RuleError(arg, reason, ctx.source);
  };
  const qStart = arg.search(QUALIFIER_START);
  const head = qStart < 0 ? arg : arg.slice(0, qStart);
  const colon = head.lastIndexOf(":");
  if (colon < 0) {
    fail(
      qStart < 0
        ? "no ':MIN-MAX' range (if mon appended this as a hostgroup member, end the monitor line with ';;')"
        : "no ':MIN-MAX' range before the qualifiers",
    );
  }
  const selectorText = head.slice(0, colon);
  const range = parseRange(head.slice(colon + 1), fail, "after ':'");
  const selector = parseSelector(selectorText, fail);
  const parts = qStart < 0 ? [] : arg.slice(qStart + 1).split(QUALIFIER_START);
  // warn= is a threshold, not a filter: it stays out of `qualifiers` and out of the label, so
  // "sshd:1-,warn=2-" and "sshd:1-" name the same processes and are duplicates of each other.
  // cpu= is a condition on the matched set, not a filter: out of `qualifiers`, but in the label
  // (a busy-check is a different rule from a plain count of the same processes).
  const isKey = (p: string, key: string): boolean => p.startsWith(`${key}=`);
  const isLimit = (p: string): boolean => LIMIT_KEYS.some((k) => isKey(p, k));
  const matchParts = parts.filter((p) => !isKey(p, WARN_KEY) && !isKey(p, CPU_KEY) && !isLimit(p));
  const warnParts = parts.filter((p) => isKey(p, WARN_KEY));
  const cpuParts = parts.filter((p) => isKey(p, CPU_KEY));
  const qualifiers = parseQualifiers(matchParts, ctx, fail);
  if (warnParts.length > 1) fail(`qualifier "${WARN_KEY}" given twice`);
  if (cpuParts.length > 1) fail(`qualifier "${CPU_KEY}" given twice`);
  const warn = warnParts[0] === undefined ? undefined : parseWarn(warnParts[0].slice(WARN_KEY.length + 1), range, fail);
  const cpu = cpuParts[0] === undefined ? undefined : parseCpu(cpuParts[0].slice(CPU_KEY.length + 1), fail);
  // Like cpu=, resource limits judge the matched processes: out of `qualifiers`, in the label.
  let limits: ProcessLimits | undefined;
  const seenLimits = new Set<string>();
  for (const p of parts.filter(isLimit)) {
    const key = p.slice(0, p.indexOf("=")) as LimitKey;
    if (seenLimits.has(key)) fail(`qualifier "${key}" given twice`);
    seenLimits.add(key);
    limits = parseLimit(key, p.slice(key.length + 1), limits ?? {}, fail);
  }
  const label = selectorText + parts.filter((p) => !isKey(p, WARN_KEY)).map((p) => `,${p}`).join("");
  return {
    kind: "count", text: arg, label, selector, range, ...(warn === undefined ? {} : { warn }), ...(cpu === undefined ? {} : { cpu }),
    ...(limits === undefined ? {} : { limits }), qualifiers, source: ctx.source,
  };
}

/** Bounds on the total CPU percentage of the matched processes (see CountRule.cpu). */
export const CPU_KEY = "cpu";

function parseCpu(text: string, fail: (reason: string) => never): CountRange {
  if (text === "") fail(`qualifier "${CPU_KEY}" has an empty value`);
  return parseRange(text, (reason) => fail(`${CPU_KEY}=: ${reason}`), "");
}

/** The Nagios warning range qualifier (see CountRule.warn). */
export const WARN_KEY = "warn";

function parseWarn(text: string, range: CountRange, fail: (reason: string) => never): CountRange {
  const warnFail = (reason: string): never => fail(`${WARN_KEY}=: ${reason}`);
  if (text === "") fail(`qualifier "${WARN_KEY}" has an empty value`);
  return parseWarnRange(text, range, warnFail);
}

/** A warn range (non-empty text) that must share a count with the rule's range. */
export function parseWarnRange(text: string, range: CountRange, fail: (reason: string) => never): CountRange {
  const warn = parseRange(text, fail, "");
  // A warn range that shares no count with the rule's range turns every OK into WARNING: a typo.
  const lo = Math.max(warn.min ?? 0, range.min ?? 0);
  const hi = Math.min(warn.max ?? Infinity, range.max ?? Infinity);
  if (lo > hi) fail(`${text} shares no count with the rule's range ${range.min ?? ""}-${range.max ?? ""}, so every count would be WARNING or CRITICAL`);
  return warn;
}

export function parseSelector(text: string, fail: (reason: string) => never): Selector {
  if (text === "") fail("no process name before ':'");
  if (text.startsWith("/")) {
    // The glob compiler (pattern.ts compileGlob) treats only these characters specially.
    return { kind: "path", path: toBytes(text), pattern: globOrFail(text, true, fail), literal: !/[*?[\\]/.test(text) };
  }
  if (hasGlobMagic(text)) fail("glob characters (*?[) are not allowed in a name; use a /path selector or exe=");
  return { kind: "name", name: toBytes(text) };
}

export function parseRange(text: string, fail: (reason: string) => never, where: string): CountRange {
  const dash = text.indexOf("-");
  if (dash < 0) fail(`expected MIN-MAX${where === "" ? "" : ` ${where}`}, e.g. 1-, 1-5, -3 or 0-0; got "${text}"`);
  const minText = text.slice(0, dash);
  const maxText = text.slice(dash + 1);
  const junk = /^(\d+)(\D.*)$/.exec(maxText);
  if (junk !== null) fail(`unexpected "${junk[2]}" after the range`);
  const min = parseBound(minText, "minimum", fail);
  const max = parseBound(maxText, "maximum", fail);
  if (min === undefined && max === undefined) fail("the range needs at least one bound (1-, -3, 1-5)");
  if (min !== undefined && max !== undefined && min > max) {
    fail(`empty range: minimum ${min} is above maximum ${max}` + (max === 0 ? " (0 is a real bound here; write 1- for no maximum)" : ""));
  }
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

function parseBound(text: string, which: string, fail: (reason: string) => never): number | undefined {
  if (text === "") return undefined;
  if (!/^\d+$/.test(text)) fail(`${which} "${text}" is not a whole number`);
  const n = Number(text);
  if (n > MAX_COUNT) fail(`${which} ${text} is above ${MAX_COUNT}, more processes than Linux can run`);
  return n;
}

function parseQualifiers(parts: readonly string[], ctx: ParseContext, fail: (reason: string) => never): Qualifier[] {
  const seen = new Set<string>();
  return parts.map((part) => {
    const eq = part.indexOf("=");
    if (eq < 0) fail(`qualifier "${part}" needs key=value`);
    const negate = part[eq - 1] === "!";
    const key = part.slice(0, negate ? eq - 1 : eq);
    const value = part.slice(eq + 1);
    if (!(QUALIFIER_KEYS as readonly string[]).includes(key)) {
      fail(`unknown qualifier "${key}" (known: ${[...QUALIFIER_KEYS, CPU_KEY, WARN_KEY, ...LIMIT_KEYS].join(", ")})`);
    }
    if (negate && !NEGATABLE_KEYS.includes(key as QualifierKey)) fail(`qualifier "${key}" takes no "!=" (only ${NEGATABLE_KEYS.join(", ")} do)`);
    if (seen.has(key)) fail(`qualifier "${key}" given twice`);
    seen.add(key);
    return parseQualifierValue(key as QualifierKey, value, ctx, fail, { negate });
  });
}

/** One matching qualifier's value (user=, exe=, args=...), as the one-liner and the YAML form share it. */
export function parseQualifierValue(key: QualifierKey, value: string, ctx: ParseContext, fail: (reason: string) => never, options: { readonly negate?: boolean } = {}): Qualifier {
  if (value === "") fail(`qualifier "${key}" has an empty value`);
  return parseQualifier(key, value, ctx, fail, options.negate === true);
}

function parseQualifier(key: QualifierKey, value: string, ctx: ParseContext, fail: (reason: string) => never, negate: boolean): Qualifier {
  switch (key) {
    case "user":
    case "uid":
      return { key, text: value, id: parseId(value, key, (n) => ctx.accounts.userId(n), fail) };
    case "group":
    case "gid":
      return { key, text: value, id: parseId(value, key, (n) => ctx.accounts.groupId(n), fail) };
    case "exe":
      if (!value.startsWith("/")) fail(`exe= needs an absolute path or glob, got "${value}"`);
      return { key, text: value, pattern: globOrFail(value, true, fail) };
    case "label":
    case "domain":
      // '*' crosses '/' and ':': labels are not paths (label=*:sshd_t:*, domain=/usr/sbin/*).
      return { key, text: value, pattern: globOrFail(value, false, fail) };
    case "args":
      try {
        return { key, text: value, pattern: compileLinearRegex(value) };
      } catch (err) {
        return fail(`args=: ${(err as Error).message}`);
      }
    case "listen":
      return { key, text: value, listen: parseListen(value, (reason) => fail(`listen=: ${reason}`)) };
    case "unit":
      // A unit name has no '/': '*' may match anything in it (unit=getty@*.service).
      return { key, text: value, pattern: globOrFail(value, false, fail), negate };
    case "cgroup":
      if (!value.startsWith("/")) fail(`cgroup= needs an absolute cgroup path or glob, got "${value}"`);
      return { key, text: value, pattern: globOrFail(value, true, fail), negate };
    case "container":
      return { key, text: value, pattern: globOrFail(value, false, fail), negate };
  }
}

/**
 * listen=[tcp/|udp/][ADDR:]PORT: `25`, `udp/53`, `127.0.0.1:25`, `::1:25` or `[::1]:25`, `:::25`
 * (IPv6 any). The port is after the last ':', so IPv6 needs no brackets (which sh and zsh glob).
 */
export function parseListen(text: string, fail: (reason: string) => never): ListenSpec {
  const proto = /^(tcp|udp)\//.exec(text);
  const rest = proto === null ? text : text.slice(proto[0].length);
  const other = /^([A-Za-z0-9]+)\//.exec(rest);
  if (other !== null) fail(`unknown protocol "${other[1]}" (tcp/ or udp/; tcp when left out)`);
  const { host, port } = splitHostPort(rest, fail);
  const address = host === undefined ? undefined : addressOrFail(host, fail);
  return { proto: (proto?.[1] ?? "tcp") as "tcp" | "udp", ...(address === undefined ? {} : { address }), port };
}

/** "ADDR:PORT", "[ADDR]:PORT" or "PORT" (host undefined); the port is after the last ':'. */
export function splitHostPort(text: string, fail: (reason: string) => never): { host?: string; port: number } {
  let host: string | undefined;
  let portText = text;
  if (text.startsWith("[")) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
    if (m === null) fail(`"${text}": expected [IPV6]:PORT`);
    host = (m as RegExpExecArray)[1] as string;
    portText = (m as RegExpExecArray)[2] as string;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host === "") fail(`"${text}": no address before ':' (leave out ':' for any address: ${portText})`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    const hint = portText.includes(".") ? " (an address needs its port: ADDR:PORT)" : "";
    fail(`port "${portText}" is not a number from 1 to 65535${hint}`);
  }
  return { ...(host === undefined ? {} : { host }), port: Number(portText) };
}

function addressOrFail(host: string, fail: (reason: string) => never): IpAddress {
  const a = parseIpAddress(host);
  if (typeof a === "string") fail(`${a}${host.includes(":") ? " (the port follows the last ':': ::1:25 or [::1]:25)" : ""}`);
  return a as IpAddress;
}

const MAX_ID = 4_294_967_294; // (uid_t)-1 means "no id"

function parseId(value: string, key: QualifierKey, lookup: (name: string) => number | undefined, fail: (reason: string) => never): number {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n > MAX_ID) fail(`${key} ${value} is out of range`);
    return n;
  }
  if (key === "uid" || key === "gid") fail(`${key}= takes a number, got "${value}" (use ${key === "uid" ? "user" : "group"}= for names)`);
  const id = lookup(value);
  if (id === undefined) fail(`unknown ${key} "${value}"`);
  return id as number;
}

function globOrFail(text: string, pathSegments: boolean, fail: (reason: string) => never): RegExp {
  try {
    return compileGlob(text, { pathSegments });
  } catch (err) {
    return fail((err as Error).message);
  }
}
