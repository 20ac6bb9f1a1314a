// The daemon's listener against a few thousand generated requests: the targets that once killed
// it (//[, //a:b, //[x]), absolute-form, "*", overlong targets, malformed percent-encoding, random
// methods, headers and bytes. A real `procwatch run` must answer each with a 4xx (or 200 for a
// real route) or close the connection, never a 5xx, and go on scanning and answering afterwards.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { sample, startDaemon } from "../helpers/daemon.js";
import { type Random, seeded, testSeed } from "../helpers/seeded.js";

const FIXED_TARGETS = [
  "//[", "//a:b", "//a:b/metrics", "//[x]", "*", "http://127.0.0.1/metrics", "http://[::1]:9477/verdicts", "example.com:443",
  "/verdicts?format=%", "/verdicts?format=%zz", "/%E0%A4%A", "/verdicts?format=%FF%FE", "/%00", "/verdicts?schema=%", "/verdicts?schema=x&format=nagios",
  "/metrics#frag", "/..//..//etc/passwd", "/verdicts?format=json&format=nagios", `/${"a".repeat(5000)}`, `/verdicts?format=${"%41".repeat(3000)}`, "",
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH", "PROPFIND", "get", "G\x00T", "BREW"];
const PATHS = ["/verdicts", "/metrics", "/healthz", "/", "//", "/verdicts?schema=procwatch.verdicts/1&format=mon"];

function target(r: Random): string {
  switch (r.int(6)) {
    case 0: return r.pick(FIXED_TARGETS);
    case 1: return r.pick(PATHS) + (r.int(2) === 0 ? "" : `%${r.bytes(1).toString("hex").slice(0, r.int(3))}`);
    case 2: return `/${r.bytes(r.int(40)).toString("latin1").replace(/[\r\n ]/g, "")}`;
    case 3: return `//${r.bytes(r.int(12)).toString("base64")}${r.pick(["", ":", "]", "[", "/metrics"])}`;
    case 4: return `/${"x".repeat(r.int(20_000))}`;
    default: return r.bytes(r.int(30)).toString("latin1").replace(/[\r\n]/g, "");
  }
}

/** One request: a generated line, sometimes odd headers or a body, sometimes just bytes. */
function request(r: Random): Buffer {
  if (r.int(10) === 0) return r.bytes(r.int(300));
  const headers = [`Host: ${r.pick(["127.0.0.1", "", "[", "a:b:c", "x".repeat(r.int(9000))])}`];
  if (r.int(3) === 0) headers.push(`Content-Length: ${r.pick(["5", "-1", "abc", "99999999999999999999", "0"])}`);
  if (r.int(4) === 0) headers.push(`Transfer-Encoding: ${r.pick(["chunked", "gzip, chunked", "bogus"])}`);
  if (r.int(5) === 0) headers.push(r.bytes(r.int(50)).toString("latin1").replace(/[\r\n]/g, ""));
  const version = r.pick(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "HTTP/1.1 extra"]);
  const body = r.int(3) === 0 ? r.bytes(r.int(200)) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(`${r.pick(METHODS)} ${target(r)} ${version}\r\n${headers.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

/** Sends raw bytes; resolves with the status code of the answer, or undefined if closed without one. */
function send(port: number, bytes: Buffer): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on("data", (c: Buffer) => {
      got += c.toString("latin1");
    });
    socket.on("error", () => undefined); // a reset is a closed connection, which is allowed
    socket.on("close", () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m === null ? undefined : Number(m[1]));
    });
    socket.end(bytes);
  });
}

test("a real daemon survives thousands of generated requests, answering 4xx or closing, and keeps scanning", async () => {
  const seed = testSeed();
  const r = seeded(seed);
  const d = await startDaemon(["--interval", "1s", "pwfuzznothing:0-0"]);
  try {
    await d.until("a first scan", async () => ((await d.get("/healthz")).status === 200 ? true : undefined));
    const scansBefore = sample((await d.get("/metrics")).body, "procwatch_scans_total") ?? 0;
    const statuses = new Map<string, number>();
    const cases = [...FIXED_TARGETS.map((t) => Buffer.from(`GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`, "latin1")), ...Array.from({ length: 2500 }, () => request(r))];
    for (let i = 0; i < cases.length; i += 50) {
      const batch = cases.slice(i, i + 50);
      const answers = await Promise.all(batch.map((c) => send(d.port, c)));
      answers.forEach((status, k) => {
        const key = status === undefined ? "closed" : String(status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        assert.ok(status === undefined || status === 200 || (status >= 400 && status < 500),
          `seed ${seed}: ${JSON.stringify((batch[k] as Buffer).toString("latin1").slice(0, 200))} got ${status}`);
      });
    }
    // The old crash: these exact targets.
    for (const t of ["//[", "//a:b", "//a:b/metrics", "//[x]"]) {
      assert.equal(await send(d.port, Buffer.from(`GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`)), 400, t);
    }
    assert.equal(d.child.exitCode, null, `daemon exited; log:\n${d.log.join("\n")}`);
    assert.equal((await d.get("/healthz")).status, 200);
    // Still scanning: the scan counter moves on after the storm.
    await d.until("another scan", async () => ((sample((await d.get("/metrics")).body, "procwatch_scans_total") ?? 0) > scansBefore + 1 ? true : undefined));
    const metrics = (await d.get("/metrics")).body;
    assert.equal(sample(metrics, "procwatch_http_handler_errors_total"), 0, `seed ${seed}: a handler threw; log:\n${d.log.join("\n")}`);
    assert.ok((statuses.get("400") ?? 0) > 0 && statuses.size > 2, `seed ${seed}: ${JSON.stringify([...statuses])}`);
    assert.ok(!d.log.some((l) => l.includes("fatal")), d.log.join("\n"));
  } finally {
    await d.stop("SIGTERM");
  }
});
