// One GET for `check --from`, bounded: one deadline from connect to the last byte (a server that
// drips a byte at a time cannot stretch it), a cap on the answer (never buffered past it), no
// redirects, and a hook that vets the peer once connected, before the answer counts.
import type { Socket } from "node:net";
import { formatDuration } from "../rules/duration.js";

/** Where the daemon is: a loopback TCP address, or a Unix socket. */
export type FromEndpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

export interface FetchLimits {
  /** Milliseconds for the whole request, connect to last byte. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Called once connected: a reason to refuse the peer, or undefined. */
  readonly vetPeer: (socket: Socket) => string | undefined;
}

export type FetchResult = { readonly body: Buffer } | { readonly error: string };

export async function fetchBounded(endpoint: FromEndpoint, path: string, limits: FetchLimits): Promise<FetchResult> {
  // Loaded here, not at the top: the CLI bundle holds this module, and every other command (a
  // check above all) would pay node:http's load time for nothing.
  const { request } = await import("node:http");
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: FetchResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const where = endpoint.kind === "tcp" ? { host: endpoint.host, port: endpoint.port } : { socketPath: endpoint.path };
    const req = request({ ...where, path, method: "GET", headers: { accept: "application/json", connection: "close" }, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      // Nothing but a 200 counts, whatever its body says: a 500 or a redirect is not an answer.
      if (status !== 200) {
        finish({ error: `answered HTTP ${status}${status >= 300 && status < 400 ? " (a redirect; --from follows none)" : ""}` });
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        finish({ error: `answer too large (${declared} bytes declared, at most ${limits.maxBytes})` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > limits.maxBytes) finish({ error: `answer too large (more than ${limits.maxBytes} bytes)` });
        else chunks.push(c);
      });
      res.on("end", () => finish({ body: Buffer.concat(chunks) }));
      res.on("error", (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
      res.on("aborted", () => finish({ error: "the connection closed before the answer was whole" }));
    });
    const timer = setTimeout(() => finish({ error: `no whole answer within ${formatDuration(limits.timeoutMs)}` }), limits.timeoutMs);
    req.on("socket", (socket: Socket) => {
      const vet = (): void => {
        const problem = limits.vetPeer(socket);
        if (problem !== undefined) finish({ error: problem });
      };
      // The vetting is synchronous, so it ends before any answer byte is read.
      if (socket.connecting) socket.once("connect", vet);
      else vet();
    });
    req.on("error", (err: NodeJS.ErrnoException) => finish({ error: `unreachable: ${err.code ?? err.message}` }));
    req.end();
  });
}
