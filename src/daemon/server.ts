// The daemon's one loopback listener: /metrics (Prometheus text, when that export is on),
// /verdicts (the latest scan's verdicts as `procwatch check` would print them, for
// `check --from`) and /healthz. Reads nothing itself: every answer comes from the latest scan.
import type { OutputFormat } from "../output/format.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Formatted } from "../output/format.js";

/** What /verdicts answers (format json also carries the parsed object as `result`). */
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
}

const FORMATS: readonly string[] = ["mon", "nagios", "json"];

export function startServer(host: string, port: number, sources: ServerSources): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
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
  });
  // A stuck client must not hold the daemon's shutdown.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function serveVerdicts(url: URL, res: ServerResponse, sources: ServerSources): void {
  const format = url.searchParams.get("format") ?? "json";
  if (!FORMATS.includes(format)) return send(res, 400, "application/json", `${JSON.stringify({ error: `unknown format (known: ${FORMATS.join(", ")})` })}\n`);
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
