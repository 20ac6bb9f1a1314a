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

/** The name procwatch counts the process by (measure/detail.ts sets it; comm until then),
 * escaped, spaces too, so it stays one word of the line; "" when it is empty (an interpreter
 * whose script argument ends in '/', e.g. `node --test dist/test/`). */
export function formatCountedName(rec: ProcessRecord): string {
  const name = rec.countedName ?? rec.comm;
  return name === "" ? '""' : escapeBytes(name, { space: true });
}

/** "pid 42 name sshd user root exe /usr/sbin/sshd"; the name is the counted one: for a script
 * run by an interpreter, the script's ("pid 7 name backup.py user root exe /usr/bin/python3"). */
export function formatProcessLine(rec: ProcessRecord, names: NameLookup): string {
  return `pid ${rec.pid} name ${formatCountedName(rec)} user ${formatUser(rec, names)} exe ${formatExe(rec)}`;
}
