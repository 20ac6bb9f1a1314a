// The Prometheus listener's address (export.prometheus.listen, run --listen): a literal address
// and a port, never a host name. Kept apart from export.ts, which needs the YAML parser, so the
// check's command line (which parses run's flags too) loads no YAML. node:net is loaded on first
// use only: the check's command line never uses it, and it costs a check's start-up ~10 ms.
import { createRequire } from "node:module";

type Net = typeof import("node:net");
let netModule: Net | undefined;
const net = (): Net => (netModule ??= createRequire(import.meta.url)("node:net") as Net);

export const DEFAULT_PROMETHEUS_PORT = 9477;
export const DEFAULT_PROMETHEUS_HOST = "127.0.0.1";

/** "127.0.0.1:9477", "[::1]:9477", "localhost:9477", "0.0.0.0:9477" → host and port, or why not. */
export function parseListen(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(text);
  if (m === null) {
    return (text.match(/:/g) ?? []).length > 1
      ? "an IPv6 address needs brackets: [::1]:PORT"
      : `expected ADDRESS:PORT, e.g. ${DEFAULT_PROMETHEUS_HOST}:${DEFAULT_PROMETHEUS_PORT} or [::1]:${DEFAULT_PROMETHEUS_PORT}`;
  }
  const v6 = m[1];
  const host = v6 ?? m[2] ?? "";
  const portText = m[3] ?? "";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `port "${portText}" is not a number from 1 to 65535`;
  if (v6 !== undefined ? !net().isIPv6(host) : !(net().isIPv4(host) || host === "localhost")) {
    return v6 !== undefined
      ? `"${host}" is not an IPv6 address`
      : `"${host}" is not an IP address: a host name would be looked up once at start; write the address (${DEFAULT_PROMETHEUS_HOST}, [::1], or 0.0.0.0 for all)`;
  }
  return { host, port: Number(portText) };
}

let loopback: import("node:net").BlockList | undefined;

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (loopback === undefined) {
    loopback = new (net().BlockList)();
    loopback.addSubnet("127.0.0.0", 8, "ipv4");
    loopback.addAddress("::1", "ipv6");
  }
  return net().isIPv4(host) ? loopback.check(host, "ipv4") : net().isIPv6(host) && loopback.check(host, "ipv6");
}
