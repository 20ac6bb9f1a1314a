// Pure: /proc/PID/status text → the identity lines procwatch uses. Unknown keys are ignored so a
// newer kernel never breaks the parse. The Name: line is not used: it escapes only \n and \\.
import { ProcParseError } from "./errors.js";
import type { IdSet } from "./types.js";

export interface ProcStatus {
  readonly uids: IdSet;
  readonly gids: IdSet;
}

export function parseStatus(text: string, path = "status"): ProcStatus {
  return { uids: parseIdLine(text, "Uid", path), gids: parseIdLine(text, "Gid", path) };
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
