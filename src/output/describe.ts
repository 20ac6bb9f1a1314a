// Pure (given name lookups): short, escaped descriptions of a process for detail lines.
import type { Accounts } from "../system/accounts.js";
import type { IdSet, ProcessRecord } from "../procfs/types.js";
import { escapeBytes, escapeText } from "./escape.js";

export type NameLookup = Pick<Accounts, "userName" | "groupName">;

export function formatIdName(id: number, name: string | undefined): string {
  return name === undefined ? String(id) : escapeText(name);
}

/** "root", or "nobody (effective root)" when a setuid bit split the ids; "?" when unreadable. */
export function formatUser(rec: ProcessRecord, names: NameLookup): string {
  return formatIds(rec.uids, (id) => names.userName(id), "effective");
}

export function formatIds(ids: IdSet | undefined, name: (id: number) => string | undefined, label: string): string {
  if (ids === undefined) return "?";
  const real = formatIdName(ids.real, name(ids.real));
  return ids.effective === ids.real ? real : `${real} (${label} ${formatIdName(ids.effective, name(ids.effective))})`;
}

export function formatExe(rec: ProcessRecord): string {
  if (rec.exe !== undefined) return escapeBytes(rec.exe.path) + (rec.exe.deleted ? " (deleted)" : "");
  if (rec.hasNoExe === true) return "-";
  const why = rec.unknownWhy?.exe;
  return why === undefined ? "?" : `? (${why})`;
}

/** "pid 42 user root exe /usr/sbin/sshd" */
export function formatProcessLine(rec: ProcessRecord, names: NameLookup): string {
  return `pid ${rec.pid} user ${formatUser(rec, names)} exe ${formatExe(rec)}`;
}
