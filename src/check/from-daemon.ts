// `procwatch check --from`: the daemon's latest verdicts instead of a scan, so mon, Nagios and
// Grafana see the same observations (CPU windows from the daemon's continuous measurement, no
// multi-second wait). Trusts nothing the server sends: the peer's owner is checked first
// (from-trust.ts), the answer is bounded (from-fetch.ts), every field is validated
// (verdicts-read.ts) and the text is rendered here, by the formatters `check` uses. Fails, never
// passes, when the daemon is unreachable, not who it should be, or its last scan is stale.
import { lstatSync } from "node:fs";
import type { Socket } from "node:net";
import type { Formatted, OutputFormat } from "../output/format.js";
import { confirmationNotes, formatOutcome } from "../output/measurement.js";
import { formatFailure, formatProblems } from "../output/problems.js";
import { isProblem, optionProblem, type Problem } from "../rules/problem.js";
import { VERDICTS_SCHEMA } from "../output/verdicts-doc.js";
import { parseIpAddress, isLoopback } from "../rules/address.js";
import { formatDuration } from "../rules/duration.js";
import type { Accounts } from "../system/accounts.js";
import { fetchBounded, type FromEndpoint } from "./from-fetch.js";
import { type ExpectedOwner, tcpOwnerProblem, unixOwnerProblem } from "./from-trust.js";
import { DocumentError, readVerdictsDocument } from "./verdicts-read.js";

/** A scan older than this many intervals is stale: the daemon is stuck or its timer stopped. */
const STALE_INTERVALS = 3;

/** Largest answer read: a /verdicts document of thousands of listed processes is far below. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Where `procwatch run` under systemd (RuntimeDirectory=procwatch) serves its socket. */
export const DEFAULT_SOCKET = "/run/procwatch/procwatch.sock";
export const DEFAULT_URL = "http://127.0.0.1:9477";

export interface FromRequest {
  /** --from's value; undefined: the default socket if it exists, else DEFAULT_URL. */
  readonly from: string | undefined;
  readonly format: OutputFormat;
  readonly timeoutMs: number;
  /** --from-owner USER|UID; undefined: root. */
  readonly owner: string | undefined;
}

export interface FromDeps {
  readonly accounts: Pick<Accounts, "userId" | "userName">;
  readonly nowMs?: () => number;
  /** The socket tables to check a TCP peer against (tests: a fixture's). */
  readonly netDir?: string;
}

export async function checkFrom(req: FromRequest, deps: FromDeps): Promise<Formatted> {
  const { format } = req;
  const owner = expectedOwner(req.owner, deps.accounts);
  if (isProblem(owner)) return formatProblems(format, [owner]);
  const target = parseFrom(req.from);
  if (isProblem(target)) return formatProblems(format, [target]);
  const uidName = (uid: number): string => {
    const name = deps.accounts.userName(uid);
    return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
  };
  const { endpoint, shown } = target;
  if (endpoint.kind === "unix") {
    const problem = unixOwnerProblem(endpoint.path, owner, uidName);
    if (problem !== undefined) return formatFailure(format, `refusing ${shown}: ${problem}`);
  }
  let refused: string | undefined;
  const vetPeer = (socket: Socket): string | undefined => {
    if (endpoint.kind === "unix") return undefined;
    const address = parseIpAddress(socket.remoteAddress ?? "");
    refused = typeof address === "string" ? `no peer address (${address})` : tcpOwnerProblem(address.key, endpoint.port, owner, uidName, deps.netDir);
    return refused;
  };
  const path = `${target.basePath}verdicts?schema=${encodeURIComponent(VERDICTS_SCHEMA)}&format=${format}`;
  const fetched = await fetchBounded(endpoint, path, { timeoutMs: req.timeoutMs, maxBytes: MAX_ANSWER_BYTES, vetPeer });
  if (refused !== undefined) return formatFailure(format, `refusing ${shown}: ${refused}`);
  if ("error" in fetched) return formatFailure(format, `daemon at ${shown}: ${fetched.error}`);
  let data: unknown;
  try {
    data = JSON.parse(fetched.body.toString("utf8"));
  } catch {
    return formatFailure(format, `daemon at ${shown}: answer is not JSON`);
  }
  let doc;
  try {
    doc = readVerdictsDocument(data);
  } catch (err) {
    if (!(err instanceof DocumentError)) throw err;
    return formatFailure(format, `daemon at ${shown}: answer is not a ${VERDICTS_SCHEMA} document: ${err.message}`);
  }
  if (doc.format !== format) return formatFailure(format, `daemon at ${shown}: answered for --format ${doc.format}, not ${format}`);
  const now = (deps.nowMs ?? Date.now)();
  const ageMs = now - doc.scan.atMs;
  // Same host, same clock: a scan in the future is a forged or broken answer, never fresh.
  if (ageMs < 0) return formatFailure(format, `daemon at ${shown}: last scan is dated ${formatDuration(Math.ceil(-ageMs / 1000) * 1000)} in the future`);
  if (ageMs > STALE_INTERVALS * doc.scan.intervalMs) {
    return formatFailure(format, `daemon at ${shown}: last scan is ${formatDuration(Math.round(ageMs / 1000) * 1000)} old (interval ${formatDuration(doc.scan.intervalMs)})`);
  }
  return formatOutcome(doc.outcome, doc.snapshot, { format, detailLimit: doc.detailLimit, notes: confirmationNotes(doc.forCycles, doc.scan.intervalMs) }, doc.names);
}

interface Target {
  readonly endpoint: FromEndpoint;
  /** For messages: "unix:/run/procwatch/procwatch.sock", "http://127.0.0.1:9477". */
  readonly shown: string;
  /** Prefix of /verdicts, ending in "/". */
  readonly basePath: string;
}

function parseFrom(from: string | undefined): Target | Problem {
  if (from === undefined) return parseFrom(exists(DEFAULT_SOCKET) ? `unix:${DEFAULT_SOCKET}` : DEFAULT_URL);
  if (from.startsWith("unix:")) {
    const path = from.slice("unix:".length);
    if (!path.startsWith("/")) return optionProblem(`--from: "${from}": the socket path must be absolute (unix:/run/procwatch/procwatch.sock)`);
    return { endpoint: { kind: "unix", path }, shown: from, basePath: "/" };
  }
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    return optionProblem(`--from: "${from}" is not a URL (e.g. http://127.0.0.1:9477 or unix:/run/procwatch/procwatch.sock)`);
  }
  if (url.protocol !== "http:") return optionProblem(`--from: only http:// and unix: are supported, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return optionProblem(`--from: "${from}": no user, query or fragment`);
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
  const address = parseIpAddress(host);
  // The owner of a listening socket can only be checked in this host's own tables.
  if (typeof address === "string" || !isLoopback(address)) return optionProblem(`--from: "${from}": only a loopback address (127.0.0.1, [::1]) or unix:PATH, whose owner procwatch can check`);
  const port = url.port === "" ? 80 : Number(url.port);
  return { endpoint: { kind: "tcp", host, port }, shown: `http://${url.host}`, basePath: url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/` };
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    // Absent (or unreachable): the default falls back to the TCP listener.
    return false;
  }
}

/** The daemon's user when --from-owner does not name one: the packaged unit's user. */
const DAEMON_USER = "procwatch";

function expectedOwner(owner: string | undefined, accounts: FromDeps["accounts"]): ExpectedOwner | Problem {
  if (owner === undefined) {
    const uid = accounts.userId(DAEMON_USER);
    return uid === undefined || uid === 0 ? { uids: [0], text: "root" } : { uids: [0, uid], text: `root or ${DAEMON_USER} (uid ${uid})` };
  }
  if (/^\d+$/.test(owner)) {
    const uid = Number(owner);
    if (uid > 0xfffffffe) return optionProblem(`--from-owner: "${owner}" is not a uid`);
    const name = accounts.userName(uid);
    return { uids: [0, uid], text: uid === 0 ? "root" : `root or ${name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`}` };
  }
  const uid = accounts.userId(owner);
  if (uid === undefined) return optionProblem(`--from-owner: no user "${owner}"`);
  return { uids: [0, uid], text: uid === 0 ? "root" : `root or ${owner} (uid ${uid})` };
}
