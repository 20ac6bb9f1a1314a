// One TCP service probe: connect to an IP literal (no DNS lookup), optionally read what the service
// sends first, all within one deadline; then close. I/O only, asynchronous (the event loop stays
// free: the daemon serves scrapes meanwhile); evaluate/probe.ts judges the result.
// One connection per call, never retried. Nothing is sent: a probe checks that the service
// accepts and greets, so it works for any protocol whose server speaks first (SSH, SMTP, FTP,
// IMAP, POP3, MySQL) and, with no banner asked for, for any TCP service.
// node:net is loaded on the first probe only: the check's scanner child starts ~10 ms faster
// without it, and most checks probe nothing.
import { createRequire } from "node:module";
import type * as Net from "node:net";

/** Bytes of banner kept at most: enough for any greeting line, little to escape and print. */
export const BANNER_CAP_BYTES = 512;

export interface TcpProbeRequest {
  readonly host: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly timeoutMs: number;
  /** Read a banner: wait for the first line (or this many bytes, or the peer's close) after
   * connecting. Without it the probe ends at the connect. */
  readonly banner?: {
    /** Ends the wait early once the bytes so far (line terminator removed) are enough, e.g. a
     * banner regex already matches: a service whose greeting has no newline (MySQL's binary
     * handshake) then passes at once instead of at the deadline. */
    readonly isEnough: (line: string) => boolean;
  };
}

/**
 * How the probe ended. connected: the connect succeeded and no banner was asked for. banner: the
 * first line arrived (or the cap, or isEnough said so). closed: the service closed the connection
 * before a whole line. timeout: the deadline came first (before or after the connect). refused:
 * ECONNREFUSED (nothing listens). error: any other errno (code says which).
 */
export type ProbeEnd = "connected" | "banner" | "closed" | "timeout" | "refused" | "error";

export interface TcpProbeResult {
  readonly end: ProbeEnd;
  /** Milliseconds from the start until the TCP handshake completed; absent if it never did. */
  readonly connectMs?: number;
  /** Milliseconds from the start until the banner was complete (end "banner"). */
  readonly bannerMs?: number;
  /** The first line received (latin1 byte string, "\r\n" removed), or every byte received when
   * no newline came (at most BANNER_CAP_BYTES); only when a banner was asked for and the
   * connect succeeded. */
  readonly banner?: string;
  /** The errno of an "error" end (EHOSTUNREACH, ECONNRESET, EADDRNOTAVAIL...). */
  readonly code?: string;
}

let net: typeof Net | undefined;

export function probeTcp(req: TcpProbeRequest): Promise<TcpProbeResult> {
  net ??= createRequire(import.meta.url)("node:net") as typeof Net;
  const startNs = process.hrtime.bigint();
  const sinceStart = (): number => Number(process.hrtime.bigint() - startNs) / 1e6;
  return new Promise((resolve) => {
    let connectMs: number | undefined;
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = (net as typeof Net).connect({ host: req.host, port: req.port, family: req.family, noDelay: true });
    const line = (): string => {
      const text = received.toString("latin1");
      const nl = text.indexOf("\n");
      return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "");
    };
    const finish = (end: ProbeEnd, extra: Partial<TcpProbeResult> = {}): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // destroy(): close now; a service that is still writing gets a reset, which is harmless.
      socket.destroy();
      resolve({
        end,
        ...(connectMs === undefined ? {} : { connectMs }),
        ...(req.banner !== undefined && connectMs !== undefined ? { banner: line() } : {}),
        ...extra,
      });
    };
    const timer = setTimeout(() => finish("timeout"), req.timeoutMs);
    socket.once("connect", () => {
      connectMs = sinceStart();
      if (req.banner === undefined) finish("connected");
    });
    socket.on("data", (chunk: Buffer) => {
      if (received.length < BANNER_CAP_BYTES) received = Buffer.concat([received, chunk]).subarray(0, BANNER_CAP_BYTES);
      const complete = received.includes(0x0a) || received.length >= BANNER_CAP_BYTES;
      if (complete || req.banner?.isEnough(line()) === true) finish("banner", { bannerMs: sinceStart() });
    });
    socket.once("end", () => finish("closed"));
    socket.once("close", () => finish("closed"));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "EUNKNOWN";
      finish(code === "ECONNREFUSED" ? "refused" : "error", code === "ECONNREFUSED" ? {} : { code });
    });
  });
}
