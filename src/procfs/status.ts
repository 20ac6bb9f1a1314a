// Pure: /proc/PID/status text → the identity lines procwatch uses. Unknown keys are ignored so a
// newer kernel never breaks the parse. The Name: line is not used: it escapes only \n and \\.
import { ProcParseError } from "./errors.js";
import type { IdSet } from "./types.js";

export interface ProcStatus {
  readonly uids: IdSet;
  readonly gids: IdSet;
  /** VmRSS in KiB; absent for kernel threads and zombies, which have no memory of their own. */
  readonly rssKib?: number;
  /** voluntary_ctxt_switches + nonvoluntary_ctxt_switches of the thread-group leader. */
  readonly contextSwitches?: { readonly voluntary: number; readonly involuntary: number };
}

export function parseStatus(text: string, path = "status"): ProcStatus {
  const rssKib = optionalNumber(text, "VmRSS", path);
  const voluntary = optionalNumber(text, "voluntary_ctxt_switches", path);
  const involuntary = optionalNumber(text, "nonvoluntary_ctxt_switches", path);
  return {
    uids: parseIdLine(text, "Uid", path),
    gids: parseIdLine(text, "Gid", path),
    ...(rssKib === undefined ? {} : { rssKib }),
    ...(voluntary === undefined || involuntary === undefined ? {} : { contextSwitches: { voluntary, involuntary } }),
  };
}

/** "Key:\t  123 kB" → 123; absent key → undefined (older kernels, kernel threads). */
function optionalNumber(text: string, key: string, path: string): number | undefined {
  const start = text.indexOf(`\n${key}:`);
  if (start < 0) return undefined;
  const end = text.indexOf("\n", start + 1);
  const value = text.slice(start + key.length + 2, end < 0 ? undefined : end).trim().replace(/ kB$/, "");
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ProcParseError(path, value, `${key}: is not a number`);
  return n;
}

function parseIdLine(text: string, key: "Uid" | "Gid", path: string): IdSet {
  const start = text.indexOf(`\n${key}:`);
  if (start < 0) throw new ProcParseError(path, text.slice(0, 40), `no ${key}: line`);
  const end = text.indexOf("\n", start + 1);
  const line = text.slice(start + key.length + 2, end < 0 ? undefined : end);
  const ids = line.trim().split(/\s+/).map(Number);
  const [real, effective, saved, fs] = ids;
  if (ids.length !== 4 || !ids.every((n) => Number.isSafeInteger(n) && n >= 0) || real === undefined
    || effective === undefined || saved === undefined || fs === undefined) {
    throw new ProcParseError(path, line, `${key}: needs four ids`);
  }
  return { real, effective, saved, fs };
}
