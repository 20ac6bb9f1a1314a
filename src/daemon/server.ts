// The daemon's listeners: one loopback TCP port (/metrics when the Prometheus export is on,
// /verdicts, /healthz) and, when configured, a Unix socket with the same routes, for
// `check --from` (whose owner can be verified; docs in README "Trust"). Reads nothing itself:
// every answer comes from the latest scan. Whoever can reach the port is hostile: any request
// line, header set or body gets a 4xx, a 500 or a closed connection, never a daemon crash.
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { OutputFormat } from "../output/format.js";
import type { Formatted } from "../output/format.js";
import { VERDICTS_SCHEMA } from "../output/verdicts-doc.js";

/** What /verdicts?format=F answers: the daemon's own rendering, for people (check --from never
 * reads it; it asks for the structured schema instead). */
export interface VerdictsBody {
  readonly scan: { readonly seq: number; readonly atMs: number; readonly durationMs: number; readonly intervalMs: number };
  readonly format: OutputFormat;
  readonly text: string;
  readonly exitCode: number;
  readonly result?: unknown;
}

export interface ServerSources {
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The latest scan in a format, or undefined before the first scan. */
  readonly verdicts: (format: OutputFormat) => { readonly scan: VerdictsBody["scan"]; readonly formatted: Formatted } | undefined;
  /** The latest scan as a procwatch.verdicts/1 document (JSON text) prepared for a format's
   * detail policy, or undefined before the first scan. */
  readonly verdictsDocument: (format: OutputFormat) => string | undefined;
}

/** Counts requests whose handler threw (answered 500); run.ts publishes it. */
export interface ServerHealth {
  handlerErrors: number;
}

const FORMATS: readonly string[] = ["mon", "nagios", "json"];

/** Longest request target served; longer ones are 414. Every valid target is a few dozen bytes. */
const MAX_TARGET = 1024;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The routes, wrapped so that a throwing handler answers 500 (or closes the connection when the
 * head is already out), counts it and tells the log once per distinct message.
 */
export function createHandler(sources: ServerSources, health: ServerHealth, log: (line: string) => void): RequestHandler {
  const told = new Set<string>();
  return (req, res) => {
    try {
      route(req, res, sources);
    } catch (err) {
      health.handlerErrors++;
      const message = err instanceof Error ? err.message : String(err);
      if (!told.has(message) && told.size < 32) {
        told.add(message);
        log(`request handler failed (answered 500; further failures like it are only counted): ${err instanceof Error ? (err.stack ?? message) : message}`);
      }
      if (res.headersSent) res.destroy();
      else send(res, 500, "text/plain", "internal error\n");
    }
  };
}

function route(req: IncomingMessage, res: ServerResponse, sources: ServerSources): void {
  const target = req.url ?? "";
  // Origin form only ("/path?query"): absolute-form, authority-form, "*" and "//x" (which URL
  // parsing would read as a host) are not ours to serve.
  if (target.length > MAX_TARGET) return send(res, 414, "text/plain", "request target too long\n");
  if (!target.startsWith("/") || target.startsWith("//")) return send(res, 400, "text/plain", "bad request target\n");
  let url: URL;
  try {
    url = new URL(target, "http://localhost");
  } catch {
    // Anything URL parsing rejects is the client's mistake, not ours.
    return send(res, 400, "text/plain", "bad request target\n");
  }
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "only GET\n");
  if (url.pathname === "/metrics") {
    if (sources.metricsHandler === undefined) return send(res, 404, "text/plain", "the Prometheus export is off in the configuration\n");
    return sources.metricsHandler(req, res);
  }
  if (url.pathname === "/verdicts") return serveVerdicts(url, res, sources);
  if (url.pathname === "/healthz") {
    const latest = sources.verdicts("mon");
    return latest === undefined ? send(res, 503, "text/plain", "no scan yet\n") : send(res, 200, "text/plain", "ok\n");
  }
  return send(res, 404, "text/plain", "not found: try /metrics, /verdicts or /healthz\n");
}

function configure(server: Server): Server {
  // A stuck client must not hold the daemon's shutdown.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  // Bad framing: Node answers 400/431 and closes; a socket already gone needs nothing.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

export function startServer(host: string, port: number, handler: RequestHandler): Promise<Server> {
  const server = configure(createServer(handler));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/**
 * The same routes on a Unix socket, mode 0660 from the start (umask around bind), so no other
 * user can connect before the chmod. A leftover socket of a previous run is replaced; any other
 * file at the path is left alone and is an error.
 */
export function startSocketServer(path: string, handler: RequestHandler): Promise<Server> {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return Promise.reject(err);
  }
  const server = configure(createServer(handler));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const before = process.umask(0o117);
    try {
      server.listen({ path }, () => {
        server.off("error", reject);
        try {
          chmodSync(path, 0o660);
          resolve(server);
        } catch (err) {
          server.close();
          reject(err);
        }
      });
    } finally {
      process.umask(before);
    }
  });
}

function serveVerdicts(url: URL, res: ServerResponse, sources: ServerSources): void {
  const schema = url.searchParams.get("schema");
  const format = url.searchParams.get("format") ?? "json";
  if (!FORMATS.includes(format)) return send(res, 400, "application/json", `${JSON.stringify({ error: `unknown format (known: ${FORMATS.join(", ")})` })}\n`);
  if (schema !== null) {
    if (schema !== VERDICTS_SCHEMA) return send(res, 400, "application/json", `${JSON.stringify({ error: `unknown schema (known: ${VERDICTS_SCHEMA})` })}\n`);
    const doc = sources.verdictsDocument(format as OutputFormat);
    if (doc === undefined) return send(res, 503, "application/json", `${JSON.stringify({ error: "no scan yet" })}\n`);
    return send(res, 200, "application/json", doc);
  }
  const latest = sources.verdicts(format as OutputFormat);
  if (latest === undefined) return send(res, 503, "application/json", `${JSON.stringify({ error: "no scan yet" })}\n`);
  const body: VerdictsBody = {
    scan: latest.scan,
    format: format as OutputFormat,
    text: latest.formatted.text,
    exitCode: latest.formatted.exitCode,
    ...(format === "json" ? { result: JSON.parse(latest.formatted.text) as unknown } : {}),
  };
  send(res, 200, "application/json", `${JSON.stringify(body)}\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-store" });
  res.end(body);
}
