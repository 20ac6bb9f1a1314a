// Pure: IP address literals in rules (listen=ADDR:PORT, tcp://ADDR:PORT) → family and a byte key
// that compares equal with the addresses procfs/net.ts reads from /proc/net/tcp{,6}.
// Literals only: a host name would need a DNS lookup (libuv's threadpool, latency, and an answer
// that need not be this host). Zone ids (fe80::1%eth0) are refused: /proc/net/tcp6 has none.
import type { IpAddress } from "./types.js";

/** The address, or why the text is not an address literal (a clause for RuleError). */
export function parseIpAddress(text: string): IpAddress | string {
  if (text.includes("%")) return `"${text}": zone ids (the interface after a percent sign) are not supported`;
  if (text.includes(":")) {
    const groups = parseIpv6Groups(text);
    if (groups === undefined) return `"${text}" is not an IPv6 address`;
    return { text, family: 6, key: groups.map((g) => g.toString(16).padStart(4, "0")).join("") };
  }
  const v4 = parseIpv4(text);
  if (typeof v4 === "string") return v4;
  return { text, family: 4, key: ipv4Key(v4) };
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.0.0.0/8: traffic that never leaves the host. */
export function isLoopback(a: IpAddress): boolean {
  return a.key.startsWith(`${MAPPED_PREFIX}7f`) || a.key === `${"0".repeat(31)}1`;
}

/** 0.0.0.0 or ::, "any address": a socket can bind it, nothing can connect to it. */
export function isUnspecified(a: IpAddress): boolean {
  return a.key === "0".repeat(32) || a.key === `${MAPPED_PREFIX}00000000`;
}

/** Multicast (224.0.0.0/4, ff00::/8) and the IPv4 broadcast address: no TCP service there. */
export function isMulticastOrBroadcast(a: IpAddress): boolean {
  if (a.key.startsWith(MAPPED_PREFIX)) {
    const first = parseInt(a.key.slice(24, 26), 16);
    return (first >= 224 && first <= 239) || a.key.endsWith("ffffffff");
  }
  return a.key.startsWith("ff");
}

const MAPPED_PREFIX = `${"0".repeat(20)}ffff`;

function ipv4Key(octets: readonly number[]): string {
  return MAPPED_PREFIX + octets.map((o) => o.toString(16).padStart(2, "0")).join("");
}

function parseIpv4(text: string): number[] | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return `"${text}" is not an IP address (write an IPv4 or IPv6 literal such as 127.0.0.1 or ::1; host names are not looked up)`;
  const parts = m.slice(1);
  // inet_aton reads a leading zero as octal (010 = 8): refuse the ambiguity.
  if (parts.some((p) => p.length > 1 && p.startsWith("0"))) return `"${text}": leading zeros are ambiguous (octal to some tools)`;
  const octets = parts.map(Number);
  if (octets.some((o) => o > 255)) return `"${text}": each part of an IPv4 address is at most 255`;
  return octets;
}

/** Eight 16-bit groups, or undefined. Accepts "::" once and a trailing dotted IPv4 part. */
function parseIpv6Groups(text: string): number[] | undefined {
  let s = text;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (typeof v4 === "string") return undefined;
    const [a, b, c, d] = v4 as [number, number, number, number];
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const gap = s.indexOf("::");
  if (gap !== s.lastIndexOf("::")) return undefined;
  const split = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = split(gap < 0 ? s : s.slice(0, gap));
  const rest = gap < 0 ? [] : split(s.slice(gap + 2));
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  if (gap < 0 ? all.length !== 8 : all.length > 7) return undefined;
  const zeros = new Array<string>(8 - all.length).fill("0");
  return [...head, ...zeros, ...rest].map((g) => parseInt(g, 16));
}
