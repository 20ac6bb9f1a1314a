// The `cpu:` and `security:` sections of a config file → the same CpuRequest and SecurityRequest
// the --cpu-* and --security flags build, every problem located. Users are looked up here (the
// flags leave that to the scanner) so an unknown user is reported at its line before any scan.
import type { CheckExemptions, CpuRequest, SecurityRequest } from "./types.js";
import { isMap, isScalar, isSeq } from "yaml";
import type { Accounts } from "../system/accounts.js";
import { SECURITY_CHECKS, type SecurityCheckName } from "../rules/security-checks.js";
import { DEFAULT_SELINUXFS } from "../procfs/selinuxfs.js";
import { blame, type Field, type YamlContext, parseBool, parseMapping, parseString, parseStrings, parseWholeNumber, report, tokenOf } from "./fields.js";
import { suggest } from "./suggest.js";

/** The runaway check's defaults, as the --cpu-* flags have them. */
export const DEFAULT_CPU_TOP = 5;

export const CPU_KEYS: readonly string[] = ["max_percent", "lifetime", "exempt", "exempt_users", "include_normal_users", "default_exempt", "top"];
export const SECURITY_KEYS: readonly string[] = ["checks", "exempt", "exempt_users", "selinuxfs"];
/** Settings only deleted-exe has (--deleted-exe-max-uid, --deleted-exe-ignore). */
export const DELETED_EXE_KEYS: readonly string[] = ["max_uid", "ignore"];
const CHECK_KEYS: readonly string[] = ["exempt", "exempt_users", ...DELETED_EXE_KEYS];

const MAX_ID = 4_294_967_294; // (uid_t)-1 means "no id"

/** The cpu section. `windowMs` is the scan interval: the daemon measures CPU between scans. */
export function parseCpuSection(ctx: YamlContext, f: Field, accounts: Accounts, windowMs: number): CpuRequest | undefined {
  const m = parseMapping(ctx, f, { where: "under cpu", keys: CPU_KEYS });
  if (m === undefined) return undefined;
  const get = <T>(key: string, read: (f: Field) => T | undefined): T | undefined => {
    const field = m.get(key);
    return field === undefined ? undefined : read(field);
  };
  const maxPercent = get("max_percent", (f) => parsePercent(ctx, f));
  const lifetime = get("lifetime", (f) => parseBool(ctx, f)) ?? false;
  return {
    ...(maxPercent === undefined ? {} : { maxPercent }),
    basis: lifetime ? { kind: "lifetime" } : { kind: "window", windowMs },
    exemptNames: get("exempt", (f) => names(ctx, f)) ?? [],
    exemptUsers: get("exempt_users", (f) => users(ctx, f, accounts)) ?? [],
    includeNormalUsers: get("include_normal_users", (f) => parseBool(ctx, f)) ?? false,
    defaultExempt: get("default_exempt", (f) => parseBool(ctx, f)) ?? true,
    top: get("top", (f) => parseWholeNumber(ctx, f, 1, 999, "offenders listed in detail")) ?? DEFAULT_CPU_TOP,
  };
}

/** Like --cpu-max: above 0, at most two decimals, in % of one CPU (a multi-threaded process can exceed 100). */
function parsePercent(ctx: YamlContext, f: Field): number | undefined {
  const token = tokenOf(ctx, f.node);
  if (isScalar(f.node) && f.node.type === "PLAIN" && /^\d{1,6}(\.\d{1,2})?$/.test(token) && Number(token) > 0) return Number(token);
  report(ctx, blame(f), token, "must be a percentage above 0 of one CPU, as a number without a percent sign (90; 100 = one full CPU; a multi-threaded process can exceed 100)");
  return undefined;
}

function names(ctx: YamlContext, f: Field): string[] | undefined {
  return parseStrings(ctx, f)?.map((s) => s.text);
}

/** User names or numeric uids; names must resolve (passwd or NSS) now, not at the first scan. */
function users(ctx: YamlContext, f: Field, accounts: Accounts): string[] | undefined {
  const items = parseStrings(ctx, f);
  if (items === undefined) return undefined;
  for (const { text, field } of items) {
    if (/^\d+$/.test(text) ? Number(text) > MAX_ID : accounts.userId(text) === undefined) {
      report(ctx, blame(field), text, /^\d+$/.test(text) ? `uid out of range (at most ${MAX_ID})` : "unknown user (neither in /etc/passwd nor known to getent)");
    }
  }
  return items.map((s) => s.text);
}

/** The security section; absent checks: all of them. No check at all: undefined (nothing to run). */
export function parseSecurity(ctx: YamlContext, f: Field, accounts: Accounts): SecurityRequest | undefined {
  const m = parseMapping(ctx, f, { where: "under security", keys: SECURITY_KEYS });
  if (m === undefined) return undefined;
  const checksField = m.get("checks");
  const checks = checksField === undefined ? { names: [...SECURITY_CHECKS] } : parseChecks(ctx, checksField, accounts);
  const exemptField = m.get("exempt");
  const usersField = m.get("exempt_users");
  const selinuxfsField = m.get("selinuxfs");
  const exemptNames = exemptField === undefined ? [] : names(ctx, exemptField) ?? [];
  const exemptUsers = usersField === undefined ? [] : users(ctx, usersField, accounts) ?? [];
  const selinuxfs = selinuxfsField === undefined ? DEFAULT_SELINUXFS : absolutePath(ctx, selinuxfsField, "selinuxfs");
  if (checks === undefined || checks.names.length === 0) return undefined;
  return {
    checks: checks.names,
    exemptNames,
    exemptUsers,
    ...(checks.deletedExeMaxUid === undefined ? {} : { deletedExeMaxUid: checks.deletedExeMaxUid }),
    deletedExeIgnore: checks.deletedExeIgnore ?? [],
    selinuxfs: selinuxfs ?? DEFAULT_SELINUXFS,
    ...(checks.perCheck === undefined ? {} : { perCheck: checks.perCheck }),
  };
}

export function absolutePath(ctx: YamlContext, f: Field, what: string): string | undefined {
  const text = parseString(ctx, f);
  if (text === undefined) return undefined;
  if (!text.startsWith("/")) {
    report(ctx, blame(f), text, `${what} must be an absolute path`);
    return undefined;
  }
  return text;
}

interface Checks {
  readonly names: SecurityCheckName[];
  readonly perCheck?: Partial<Record<SecurityCheckName, CheckExemptions>>;
  readonly deletedExeMaxUid?: number;
  readonly deletedExeIgnore?: string[];
}

const KNOWN_CHECKS = `known: ${SECURITY_CHECKS.join(", ")}`;

function unknownCheck(name: string): string {
  const near = suggest(name, SECURITY_CHECKS);
  return `unknown security check (${near === undefined ? "" : `did you mean "${near}"? `}${KNOWN_CHECKS}, all)`;
}

/** `all`, a list of check names, or a mapping of check names to per-check settings. */
function parseChecks(ctx: YamlContext, f: Field, accounts: Accounts): Checks | undefined {
  if (isMap(f.node)) return parseCheckMap(ctx, f, accounts);
  if (isSeq(f.node) || f.node === null || (isScalar(f.node) && f.node.value === null)) {
    const items = parseStrings(ctx, f) ?? [];
    const asked = new Set<string>();
    for (const { text, field } of items) {
      if (text !== "all" && !(SECURITY_CHECKS as readonly string[]).includes(text)) report(ctx, blame(field), text, unknownCheck(text));
      else if (asked.has(text)) report(ctx, blame(field), text, "listed twice");
      asked.add(text);
    }
    // In SECURITY_CHECKS order, as --security lists them.
    return { names: SECURITY_CHECKS.filter((c) => asked.has(c) || asked.has("all")) };
  }
  const text = parseString(ctx, f);
  if (text === undefined) return undefined;
  if (text === "all") return { names: [...SECURITY_CHECKS] };
  const hint = (SECURITY_CHECKS as readonly string[]).includes(text) ? `; one check is written [${text}]` : "";
  report(ctx, blame(f), text, `expected all, a list of checks or a mapping of checks to their settings${hint} (${KNOWN_CHECKS})`);
  return undefined;
}

function parseCheckMap(ctx: YamlContext, f: Field, accounts: Accounts): Checks | undefined {
  const m = parseMapping(ctx, f, { where: "", noun: "security check", keys: SECURITY_CHECKS });
  if (m === undefined) return undefined;
  const perCheck: Partial<Record<SecurityCheckName, CheckExemptions>> = {};
  let deletedExeMaxUid: number | undefined;
  let deletedExeIgnore: string[] | undefined;
  for (const [check, field] of m) {
    const settings = parseMapping(ctx, field, { where: `under ${check}`, keys: CHECK_KEYS });
    if (settings === undefined) continue;
    for (const [key, value] of settings) {
      if (DELETED_EXE_KEYS.includes(key) && check !== "deleted-exe") report(ctx, value.key, key, `only deleted-exe has ${key}`);
    }
    const exempt = settings.get("exempt");
    const exemptUsers = settings.get("exempt_users");
    if (exempt !== undefined || exemptUsers !== undefined) {
      perCheck[check as SecurityCheckName] = {
        exemptNames: exempt === undefined ? [] : names(ctx, exempt) ?? [],
        exemptUsers: exemptUsers === undefined ? [] : users(ctx, exemptUsers, accounts) ?? [],
      };
    }
    if (check !== "deleted-exe") continue;
    const maxUid = settings.get("max_uid");
    if (maxUid !== undefined) deletedExeMaxUid = parseWholeNumber(ctx, maxUid, 0, MAX_ID, "deleted-exe reports only processes whose real uid is at most this");
    const ignore = settings.get("ignore");
    if (ignore !== undefined) deletedExeIgnore = parsePrefixes(ctx, ignore);
  }
  return {
    names: SECURITY_CHECKS.filter((c) => m.has(c)),
    ...(Object.keys(perCheck).length === 0 ? {} : { perCheck }),
    ...(deletedExeMaxUid === undefined ? {} : { deletedExeMaxUid }),
    ...(deletedExeIgnore === undefined ? {} : { deletedExeIgnore }),
  };
}

/** deleted-exe's ignore list: exe path prefixes, so each starts with '/'. */
function parsePrefixes(ctx: YamlContext, f: Field): string[] | undefined {
  const items = parseStrings(ctx, f);
  if (items === undefined) return undefined;
  for (const { text, field } of items) {
    if (!text.startsWith("/")) report(ctx, blame(field), text, "an exe path prefix starts with '/' (e.g. /tmp/, /opt/app/)");
  }
  return items.map((s) => s.text);
}
