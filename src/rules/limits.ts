// Pure: the per-process resource conditions of a rule, rss=, fds=, threads=, age= and the daemon's
// restarts=. Like cpu=, they judge the processes a rule matched, never which processes match:
// `sshd:1-,rss=-512M` counts every sshd and fails when one of them holds more than 512 MiB.
import { parseDuration } from "./duration.js";
import { parseRange } from "./oneliner.js";
import type { CountRange, ProcessLimits, RestartLimit } from "./types.js";

export const LIMIT_KEYS = ["rss", "fds", "threads", "age", "restarts"] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

/** Binary units: what ps, top and systemd's MemoryMax= mean by K, M, G. */
const BYTE_UNITS: Readonly<Record<string, number>> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
/** Ages up to 400 days: a year-old daemon still fits `age=1d-`. */
const MAX_AGE_MS = 400 * 86_400_000;
/** A window the daemon can remember: one day of scans. */
const MAX_RESTART_WINDOW_MS = 86_400_000;

/** Adds one limit to `limits`; `fail` names the problem (the caller adds token and place). */
export function parseLimit(key: LimitKey, value: string, limits: ProcessLimits, fail: (reason: string) => never): ProcessLimits {
  if (value === "") fail(`qualifier "${key}" has an empty value`);
  const keyFail = (reason: string): never => fail(`${key}=: ${reason}`);
  switch (key) {
    case "rss":
      return { ...limits, rssBytes: parseBounds(value, (t) => parseBytes(t, keyFail), keyFail) };
    case "fds": {
      const percent = value.includes("%");
      if (percent && !/^(\d+%)?-(\d+%)?$/.test(value)) keyFail(`"${value}": give both bounds as a share of the limit (-80%, 10%-90%) or neither`);
      const range = parseBounds(value.replaceAll("%", ""), (t) => parseWhole(t, keyFail), keyFail);
      if (percent && (range.max ?? 0) > 100) keyFail(`"${value}": more than 100% of the limit`);
      return { ...limits, fds: { ...range, unit: percent ? "percent" : "count" } };
    }
    case "threads":
      return { ...limits, threads: parseRange(value, keyFail, "") };
    case "age":
      return { ...limits, ageMs: parseBounds(value, (t) => durationOrFail(t, MAX_AGE_MS, keyFail), keyFail) };
    case "restarts":
      return { ...limits, restarts: parseRestarts(value, keyFail) };
  }
}

/** "-3/10m": at most 3 new processes in 10 minutes (a minimum makes no sense here). */
function parseRestarts(value: string, fail: (reason: string) => never): RestartLimit {
  const m = /^-(\d{1,6})\/(.+)$/.exec(value);
  if (m === null) fail(`"${value}": expected -MAX/WINDOW, e.g. -3/10m (at most 3 new processes in 10 minutes)`);
  const [, max, window] = m as RegExpExecArray;
  return { max: Number(max), windowMs: durationOrFail(window as string, MAX_RESTART_WINDOW_MS, fail) };
}

function parseBounds(text: string, bound: (t: string) => number, fail: (reason: string) => never): CountRange {
  const dash = text.indexOf("-");
  if (dash < 0) fail(`expected MIN-MAX, e.g. -512M or 10m-; got "${text}"`);
  const minText = text.slice(0, dash);
  const maxText = text.slice(dash + 1);
  const min = minText === "" ? undefined : bound(minText);
  const max = maxText === "" ? undefined : bound(maxText);
  if (min === undefined && max === undefined) fail("the range needs at least one bound");
  if (min !== undefined && max !== undefined && min > max) fail(`empty range "${text}": the minimum is above the maximum`);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

/** "512M", "1.5G", "4096", "64K" → bytes (whole). */
export function parseBytes(text: string, fail: (reason: string) => never): number {
  const m = /^(\d{1,12}(?:\.\d{1,3})?)([KMGT]?)(?:i?B)?$/.exec(text);
  if (m === null) fail(`"${text}" is not a size (examples: 512M, 1.5G, 64K; binary units)`);
  const bytes = Math.round(Number((m as RegExpExecArray)[1]) * (BYTE_UNITS[(m as RegExpExecArray)[2] as string] ?? 1));
  if (!Number.isSafeInteger(bytes)) fail(`"${text}" is too large`);
  return bytes;
}

function parseWhole(text: string, fail: (reason: string) => never): number {
  if (!/^\d{1,9}$/.test(text)) fail(`"${text}" is not a whole number`);
  return Number(text);
}

function durationOrFail(text: string, maxMs: number, fail: (reason: string) => never): number {
  try {
    return parseDuration(text, { minMs: 1000, maxMs });
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** "512 MiB", "1.5 GiB", "900 KiB", "37 B": a size as detail lines print it. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}
