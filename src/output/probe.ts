// Pure: the probe parts of every output — summary tokens (the probe and why it is down, no
// timings, so mon's alertevery works), detail and Nagios phrases, perfdata, the json section.
// The banner came from the network: escaped and cut to BANNER_SHOWN bytes wherever it is printed.
import type { ProbeVerdict } from "../evaluate/probe.js";
import { formatDuration } from "../rules/duration.js";
import { escapeBytes, escapeText } from "./escape.js";

/** Bytes of a banner shown in text output (json carries all that was read, escaped). */
export const BANNER_SHOWN = 80;

/** "tcp://127.0.0.1:22:refused" for each probe that is down, in rule order. */
export function probeTokens(probes: readonly ProbeVerdict[]): string[] {
  return probes.filter((v) => v.state !== "ok").map((v) => `${escapeText(v.rule.label, { space: true })}:${v.failure ?? "down"}`);
}

/** "tcp://127.0.0.1:22: connection refused" */
export function probeLine(v: ProbeVerdict): string {
  return `${escapeText(v.rule.label, { space: true })}: ${probeStatus(v)}`;
}

/** What happened, for people: "up in 0.4 ms", "wrong banner "SSH-1.99-x" (banner=^SSH-2.0-)"... */
export function probeStatus(v: ProbeVerdict): string {
  const r = v.result;
  if (v.state === "ok" && v.failure === undefined) {
    const total = r.bannerMs ?? r.connectMs;
    return total === undefined ? "up" : `up in ${formatMs(total)}${r.bannerMs === undefined ? "" : ` (banner matched)`}`;
  }
  const debounced = v.state === "ok" ? " (not yet confirmed by enough scans)" : "";
  return `${downReason(v)}${debounced}`;
}

function downReason(v: ProbeVerdict): string {
  const r = v.result;
  const expected = v.rule.banner === undefined ? "" : ` (expected banner=${escapeText(v.rule.banner.text)})`;
  switch (v.failure) {
    case "refused":
      return "connection refused (nothing listens there)";
    case "timeout": {
      if (v.timeoutMs === 0) return `not probed: no time left before ${v.cutBy ?? "the deadline"}`;
      const cut = v.cutBy === undefined ? "" : ` (cut short by ${v.cutBy}; timeout=${formatDuration(v.rule.timeoutMs)})`;
      if (r.connectMs === undefined) return `no answer to connect within ${formatDuration(v.timeoutMs)}${cut}`;
      const sofar = r.banner === undefined || r.banner === "" ? "" : `; received ${quoteBanner(r.banner)} so far`;
      return `connected in ${formatMs(r.connectMs)}, but no banner line within ${formatDuration(v.timeoutMs)}${sofar}${cut}`;
    }
    case "banner":
      return `wrong banner ${quoteBanner(r.banner ?? "")}${expected}${r.end === "closed" ? ", then the connection was closed" : ""}`;
    case "closed":
      return `connection closed by the service before any banner${r.connectMs === undefined ? "" : ` (connected in ${formatMs(r.connectMs)})`}`;
    case "error":
      return r.code === "ECONNRESET" ? "connection reset (ECONNRESET)" : `connection failed (${escapeText(r.code ?? "unknown error")})`;
  }
  return "down";
}

/** The banner escaped, cut to BANNER_SHOWN bytes, in double quotes: "SSH-2.0-OpenSSH_9.2p1". */
export function quoteBanner(banner: string): string {
  const cut = banner.length > BANNER_SHOWN;
  return `"${escapeBytes(cut ? banner.slice(0, BANNER_SHOWN) : banner)}${cut ? "..." : ""}"`;
}

/** "0.4 ms", "12 ms", "1.3 s" */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Perfdata label sources and values: the time to the answer in seconds (U when down), the
 * timeout as the maximum, as check_tcp reports `time`. */
export function probePerfItems(probes: readonly ProbeVerdict[]): { label: string; value: string; max: string }[] {
  return probes.map((v) => {
    const total = v.result.bannerMs ?? v.result.connectMs;
    const value = v.state !== "ok" || v.failure !== undefined || total === undefined ? "U" : `${(total / 1000).toFixed(6)}s`;
    return { label: v.rule.label, value, max: (v.rule.timeoutMs / 1000).toFixed(3) };
  });
}

/** The json "probes" section. */
export function probesJson(probes: readonly ProbeVerdict[]): Record<string, unknown>[] {
  return probes.map((v) => ({
    probe: escapeText(v.rule.text),
    label: escapeText(v.rule.label),
    state: v.state,
    failure: v.failure ?? null,
    status: probeStatus(v),
    connectMs: v.result.connectMs ?? null,
    bannerMs: v.result.bannerMs ?? null,
    banner: v.result.banner === undefined ? null : escapeBytes(v.result.banner),
    timeoutMs: v.timeoutMs,
  }));
}
