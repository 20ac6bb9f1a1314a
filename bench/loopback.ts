// HTTP on 127.0.0.1 for the daemon benchmark: timed GETs, a free port, and an OTLP/HTTP sink that
// answers 200 to every export. Binds and connects to the loopback address only.
import { Agent, createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const LOOPBACK = "127.0.0.1";

export interface Fetched {
  readonly status: number;
  readonly body: string;
  /** Wall time from request to the last byte, ms (performance.now). */
  readonly ms: number;
  /** performance.now() when the request was sent. */
  readonly startedAt: number;
}

/** A keep-alive agent, so a run of scrapes measures the server, not TCP set-up. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

export function fetchTimed(url: string, agent?: Agent, timeoutMs = 30_000): Promise<Fetched> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(agent === undefined ? {} : { agent }), timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - startedAt, startedAt }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** A port that was free a moment ago (the tools under test take no port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface OtlpSink {
  /** The full metrics URL, as OTEL_EXPORTER_OTLP_METRICS_ENDPOINT takes it. */
  readonly url: string;
  /** Export requests received so far, and their bytes. */
  readonly received: () => { readonly requests: number; readonly bytes: number };
  close(): Promise<void>;
}

/** Accepts every OTLP/HTTP export with 200 and an empty ExportMetricsServiceResponse. */
export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => {
      requests++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}/v1/metrics`,
    received: () => ({ requests, bytes }),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
