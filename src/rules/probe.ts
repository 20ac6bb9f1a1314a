// Pure: one probe argument → ProbeRule.
//   tcp://127.0.0.1:22,banner=^SSH-2.0-OpenSSH_   tcp://::1:25,banner=^220,timeout=5s
//   tcp://[::1]:631   tcp://localhost:6379   tcp://192.0.2.7:25,remote=yes
// Shell- and mon-friendly: no spaces, and nothing sh, zsh or mon's quotewords would change, as
// long as the banner regex has no backslash or glob character ('.' matches itself too, so
// SSH-2.0- needs no backslash). IPv6 needs no brackets: the port follows the last ':'.
// Only loopback is probed unless the rule says remote=yes; never a name (no DNS lookup), never
// "any" (0.0.0.0, ::), multicast or broadcast.
import { isLoopback, isMulticastOrBroadcast, isUnspecified, parseIpAddress } from "./address.js";
import { parseDuration } from "./duration.js";
import { RuleError } from "./errors.js";
import { QUALIFIER_START, splitHostPort } from "./oneliner.js";
import { compileLinearRegex } from "./pattern.js";
import type { IpAddress, ProbeRule, RuleSource } from "./types.js";

/** Keys a probe takes after its address (YAML: the same keys beside `probe:`). */
export const PROBE_KEYS = ["banner", "timeout", "remote"] as const;
export type ProbeKey = (typeof PROBE_KEYS)[number];

export const DEFAULT_PROBE_TIMEOUT_MS = 2000;
const MAX_PROBE_TIMEOUT_MS = 60_000;
const MIN_PROBE_TIMEOUT_MS = 10;

/** A URL-like start ("tcp://", "udp://", "http://"): a probe, never a process name. */
export function isProbeText(arg: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(arg);
}

export function parseProbe(arg: string, source: RuleSource): ProbeRule {
  const fail = (reason: string): never => {
    throw new RuleError(arg, reason, source);
  };
  const qStart = arg.search(QUALIFIER_START);
  const head = qStart < 0 ? arg : arg.slice(0, qStart);
  const parts = qStart < 0 ? [] : arg.slice(qStart + 1).split(QUALIFIER_START);
  const target = parseProbeTarget(head, fail);
  const values = new Map<ProbeKey, string>();
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq);
    if (!(PROBE_KEYS as readonly string[]).includes(key)) fail(`unknown probe qualifier "${key}" (known: ${PROBE_KEYS.join(", ")})`);
    if (values.has(key as ProbeKey)) fail(`qualifier "${key}" given twice`);
    values.set(key as ProbeKey, part.slice(eq + 1));
  }
  // timeout= and remote= say how to probe, not what: out of the label, like warn= for counts.
  const label = head + parts.filter((p) => p.startsWith("banner=")).map((p) => `,${p}`).join("");
  return buildProbe({ text: arg, label, target, values, source }, fail);
}

export interface ProbeTarget {
  readonly host: string;
  readonly address: IpAddress;
  readonly port: number;
}

/** "tcp://ADDR:PORT" → where to connect; also the YAML `probe:` value. */
export function parseProbeTarget(text: string, fail: (reason: string) => never): ProbeTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (scheme === null) fail(`a probe starts with tcp://, e.g. tcp://127.0.0.1:22`);
  const name = (scheme as RegExpExecArray)[1] as string;
  if (name !== "tcp") {
    fail(`unsupported probe "${name}://": procwatch probes tcp:// only (a UDP service answers only a request in its own protocol)`);
  }
  const rest = text.slice((scheme as RegExpExecArray)[0].length);
  if (rest.includes("/")) fail(`nothing may follow the port (got "${rest}"): a probe connects and reads a banner, it sends no request`);
  const { host, port } = splitHostPort(rest, fail);
  if (host === undefined) fail(`no address: write tcp://127.0.0.1:${rest} (or ::1)`);
  const written = host as string;
  const literal = written === "localhost" ? "127.0.0.1" : written;
  const address = parseIpAddress(literal);
  if (typeof address === "string") fail(`${address}${written.includes(":") ? " (the port follows the last ':': tcp://::1:22 or tcp://[::1]:22)" : ""}`);
  const a = address as IpAddress;
  if (isUnspecified(a)) fail(`${written} means any address: nothing can connect to it; probe 127.0.0.1 or ::1`);
  if (isMulticastOrBroadcast(a)) fail(`${written} is a multicast or broadcast address: no TCP service answers there`);
  return { host: literal, address: a, port };
}

/** Qualifier values (as written) → the probe, for the one-liner (the YAML mapping calls the
 * same pieces one by one, to locate each problem at its own value). */
export function buildProbe(
  p: { text: string; label: string; target: ProbeTarget; values: ReadonlyMap<ProbeKey, string>; source: RuleSource },
  fail: (reason: string) => never,
): ProbeRule {
  for (const [key, value] of p.values) if (value === "") fail(`qualifier "${key}" has an empty value`);
  const remote = p.values.get("remote");
  if (remote !== undefined && remote !== "yes") fail(`remote= takes only "yes" (got "${remote}")`);
  const isRemote = remote === "yes";
  checkProbeAddress(p.target, isRemote, fail);
  const bannerText = p.values.get("banner");
  const timeoutText = p.values.get("timeout");
  return {
    kind: "probe",
    text: p.text,
    label: p.label,
    host: p.target.host,
    address: p.target.address,
    port: p.target.port,
    ...(bannerText === undefined ? {} : { banner: parseBanner(bannerText, fail) }),
    timeoutMs: timeoutText === undefined ? DEFAULT_PROBE_TIMEOUT_MS : parseProbeTimeout(timeoutText, fail),
    isRemote,
    source: p.source,
  };
}

/** Loopback, or remote=yes: procwatch sends nothing off this host unless told to. */
export function checkProbeAddress(target: ProbeTarget, isRemote: boolean, fail: (reason: string) => never): void {
  if (isLoopback(target.address) || isRemote) return;
  fail(`${target.host} is not a loopback address: procwatch probes only this host's loopback unless the rule says remote=yes (then it connects to that address once per check)`);
}

export function parseBanner(text: string, fail: (reason: string) => never): NonNullable<ProbeRule["banner"]> {
  try {
    return { text, pattern: compileLinearRegex(text) };
  } catch (err) {
    return fail(`banner=: ${(err as Error).message}`);
  }
}

export function parseProbeTimeout(text: string, fail: (reason: string) => never): number {
  try {
    return parseDuration(text, { minMs: MIN_PROBE_TIMEOUT_MS, maxMs: MAX_PROBE_TIMEOUT_MS });
  } catch (err) {
    return fail(`timeout=: ${(err as Error).message}`);
  }
}
