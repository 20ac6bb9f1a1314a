// Pure: /proc/PID/io text → the bytes the process made the storage layer read and write
// (read_bytes, write_bytes; proc(5)). The file needs ptrace read access: another user's process
// gives EACCES unless procwatch runs as root, which the reader turns into "unknown".
import { ProcParseError } from "./errors.js";

export interface ProcIo {
  readonly readBytes: number;
  readonly writeBytes: number;
}

export function parseIo(text: string, path = "io"): ProcIo {
  return { readBytes: field(text, "read_bytes", path), writeBytes: field(text, "write_bytes", path) };
}

function field(text: string, key: string, path: string): number {
  const at = text.startsWith(`${key}:`) ? 0 : text.indexOf(`\n${key}:`) + 1;
  if (at === 0 && !text.startsWith(`${key}:`)) throw new ProcParseError(path, text.slice(0, 40), `no ${key}: line`);
  const end = text.indexOf("\n", at);
  const value = text.slice(at + key.length + 1, end < 0 ? undefined : end).trim();
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ProcParseError(path, value, `${key} is not a number`);
  return n;
}
