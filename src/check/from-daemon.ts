// `procwatch check --from URL`: print the daemon's latest verdicts instead of scanning, so mon,
// Nagios and Grafana see the same observations (and CPU windows come from the daemon's continuous
// measurement, without a multi-second wait). Fails, never passes, when the daemon is unreachable
// or its last scan is older than three intervals.
import type { OutputFormat } from "../output/format.js";
import { get } from "node:http";
import { escapeText } from "../output/escape.js";
import type { Formatted } from "../output/format.js";
import { formatNagiosUnknown } from "../output/nagios.js";
import { formatDuration } from "../rules/duration.js";

/** A scan older than this many intervals is stale: the daemon is stuck or its timer stopped. */
const STALE_INTERVALS = 3;

export async function checkFrom(base: string, format: OutputFormat, timeoutMs: number, nowMs: () => number = Date.now): Promise<Formatted> {
  let url: URL;
  try {
    url = new URL("verdicts", base.endsWith("/") ? base : `${base}/`);
  } catch {
    return failed(format, `--from: "${base}" is not a URL (e.g. http://127.0.0.1:9477)`);
  }
  if (url.protocol !== "http:") return failed(format, `--from: only http:// is supported, not ${url.protocol}`);
  url.searchParams.set("format", format);
  let body: string;
  try {
    body = await fetchText(url, timeoutMs);
  } catch (err) {
    return failed(format, `daemon at ${url.origin} unreachable: ${(err as Error).message}`);
  }
  const answer = parseAnswer(body, format);
  if (typeof answer === "string") return failed(format, `daemon at ${url.origin}: ${answer}`);
  const ageMs = nowMs() - answer.atMs;
  if (ageMs > STALE_INTERVALS * answer.intervalMs) {
    return failed(format, `daemon at ${url.origin}: last scan is ${formatDuration(Math.round(ageMs / 1000) * 1000)} old (interval ${formatDuration(answer.intervalMs)})`);
  }
  return { text: answer.text, exitCode: answer.exitCode };
}

interface Answer {
  readonly atMs: number;
  readonly intervalMs: number;
  readonly text: string;
  readonly exitCode: number;
}

function parseAnswer(body: string, format: OutputFormat): Answer | string {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return "answer is not JSON";
  }
  if (typeof data !== "object" || data === null) return "answer is not a JSON object";
  const d = data as Record<string, unknown>;
  if (typeof d.error === "string") return d.error;
  const scan = d.scan as Record<string, unknown> | undefined;
  if (typeof scan?.atMs !== "number" || typeof scan.intervalMs !== "number" || typeof d.text !== "string"
    || typeof d.exitCode !== "number" || d.format !== format) {
    return "answer is not a procwatch verdicts document";
  }
  return { atMs: scan.atMs, intervalMs: scan.intervalMs, text: d.text, exitCode: d.exitCode };
}

function fetchText(url: URL, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${formatDuration(timeoutMs)}`)));
    req.on("error", (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
  });
}

function failed(format: OutputFormat, reason: string): Formatted {
  if (format === "nagios") return formatNagiosUnknown(reason);
  if (format === "json") return { text: `${JSON.stringify({ ok: false, error: escapeText(reason) })}\n`, exitCode: 1 };
  return { text: `procwatch: ${escapeText(reason)}\n`, exitCode: 1 };
}
