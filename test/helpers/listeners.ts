// Real listeners for the ports and probe tests, on loopback only: in-process TCP servers (a
// greeting, a wrong one, silence, a close), and listening programs with distinctive names — a
// symlink to the node binary named pw..., so comm is the link name and exe the real node — that
// print their port and exit by themselves after a while (and are killed by PID before that).
import { type ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import type { ProcessPool } from "./procs.js";
import { waitForComm } from "./procs.js";

export interface Listener {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/**
 * A TCP server in this process on `host` (127.0.0.1 unless told), port chosen by the kernel.
 * Unref'd: it never keeps a test process alive; every connection is destroyed on close().
 */
export async function tcpServer(onConnection: (socket: Socket) => void, host = "127.0.0.1"): Promise<Listener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined); // the probe resets connections it is done with
    s.on("close", () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host }, resolve);
  });
  server.unref();
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no port");
  return {
    port: address.port,
    host,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `banner` on connect (and keeps the connection open, as a real service waits for a command). */
export const greets = (banner: string | Buffer) => (s: Socket): void => {
  s.write(banner);
};

/** Accepts and never says anything. */
export const silent = () => (_s: Socket): void => undefined;

/** A free loopback port that nothing listens on (a moment ago something did: the kernel chose it). */
export async function closedPort(host = "127.0.0.1"): Promise<number> {
  const l = await tcpServer(silent(), host);
  await l.close();
  return l.port;
}

/** IPv6 loopback works here (an interface with ::1, IPv6 not switched off). */
export async function haveIpv6Loopback(): Promise<boolean> {
  try {
    const l = await tcpServer(silent(), "::1");
    await l.close();
    return true;
  } catch {
    // EADDRNOTAVAIL (no ::1) or EAFNOSUPPORT (ipv6.disable=1): the caller skips with the reason
    return false;
  }
}

export interface ListenerProcess {
  readonly pid: number;
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
}

export interface ListenerProcessOptions {
  readonly host?: string;
  readonly proto?: "tcp" | "udp";
  /** Sent to every TCP connection. */
  readonly banner?: string;
  /** Listen, then block the event loop: connections fill the accept queue and are never accepted,
   * so once it is full a connect gets no answer at all (its SYN is dropped). */
  readonly neverAccept?: boolean;
  readonly uid?: number;
  /** The program exits by itself after this long (it is killed by PID earlier, normally). */
  readonly lifetimeMs?: number;
}

/** Starts a listening node program called `name` (at most 15 bytes) and waits for its port. */
export async function startListenerProcess(pool: ProcessPool, name: string, options: ListenerProcessOptions = {}): Promise<ListenerProcess> {
  const path = pool.link(name, process.execPath);
  const host = options.host ?? "127.0.0.1";
  const lifetime = options.lifetimeMs ?? 120_000;
  const script = options.proto === "udp"
    ? `const s = require("dgram").createSocket(${JSON.stringify(host.includes(":") ? "udp6" : "udp4")});
       s.bind(0, ${JSON.stringify(host)}, () => process.stdout.write(s.address().port + "\\n"));
       setTimeout(() => process.exit(0), ${lifetime});`
    : `const banner = ${JSON.stringify(options.banner ?? null)};
       const s = require("net").createServer((c) => { c.on("error", () => {}); if (banner !== null) c.write(banner); });
       s.listen({ port: 0, host: ${JSON.stringify(host)}, backlog: 1 }, () => {
         process.stdout.write(s.address().port + "\\n");
         ${options.neverAccept === true ? `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${lifetime}); process.exit(0);` : ""}
       });
       setTimeout(() => process.exit(0), ${lifetime});`;
  const child = pool.spawnCommand(path, ["-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  if (child.pid === undefined) throw new Error(`could not start ${path}`);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no port in 10 s`)), 10_000);
    let text = "";
    child.stdout?.on("data", (d: Buffer) => {
      text += d.toString();
      if (text.includes("\n")) {
        clearTimeout(timer);
        resolve(Number(text.trim()));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before listening`));
    });
  });
  await waitForComm(child.pid, name.slice(0, 15));
  return { pid: child.pid, name, port, child };
}
