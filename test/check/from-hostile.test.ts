// `check --from` against hostile servers: each trick (drip, flood, forged text, control bytes,
// future or non-finite times, wrong types, a 500 or a redirect with a valid body, a squatter of
// another user, an unsafe socket directory) ends in a clean UNKNOWN (Nagios) or exit 1 (mon)
// within the deadline, and nothing the server wrote reaches stdout unescaped.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { haveRoot } from "../helpers/e2e.js";
import { waitFor } from "../helpers/procs.js";
import { verdictsDoc } from "../helpers/verdicts-doc.js";

const OWNER = String(process.getuid?.() ?? 0);
const servers: (Server | HttpServer)[] = [];
const dirs: string[] = [];
after(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A raw TCP server on loopback that treats every connection with `behave`. */
async function hostile(behave: (socket: Socket, format: string) => void): Promise<string> {
  const server = createServer((socket) => {
    socket.on("error", () => undefined); // the client hangs up on purpose: not this test's concern
    socket.once("data", (head: Buffer) => behave(socket, /format=(\w+)/.exec(head.toString("latin1"))?.[1] ?? "mon"));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A whole answer; a body function gets the format the client asked for. */
const answer = (status: string, bodyFor: string | ((format: string) => string), headers = ""): ((s: Socket, format: string) => void) => (s, format) => {
  const body = typeof bodyFor === "string" ? bodyFor : bodyFor(format);
  s.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`);
};
const json = (doc: unknown): string => JSON.stringify(doc);

/** Both formats: UNKNOWN with the reason in Nagios, exit 1 in mon; nothing raw on stdout. */
async function assertRefused(from: string, reason: RegExp, extra: readonly string[] = []): Promise<void> {
  for (const format of ["nagios", "mon"] as const) {
    const r = await runCli(["check", "--from", from, "--from-owner", OWNER, "--timeout", "1500ms", "--format", format, ...extra], { timeoutMs: 10_000 });
    assert.equal(r.code, format === "nagios" ? 3 : 1, `${format}: ${r.stdout}`);
    const first = r.stdout.split("\n")[0] ?? "";
    assert.match(first, format === "nagios" ? /^PROCS UNKNOWN: / : /^procwatch: /);
    assert.match(first, reason);
    assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f]/, "no control byte but newline");
    assert.equal(r.stdout.split("\n").length, 2, `one line: ${JSON.stringify(r.stdout)}`);
  }
}

test("a server that drips one byte at a time is cut at --timeout, connect to last byte", async () => {
  const base = await hostile((s) => {
    s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n");
    const t = setInterval(() => (s.writable ? s.write(" ") : clearInterval(t)), 200);
    s.on("close", () => clearInterval(t));
  });
  await assertRefused(base, /no whole answer within 1500ms/);
});

test("a flood is cut at the answer cap, declared or not", async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const flood = await hostile((s) => {
    s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n");
    const pump = (): void => {
      while (s.writable && s.write(chunk));
      if (s.writable) s.once("drain", pump);
    };
    pump();
  });
  await assertRefused(flood, /answer too large \(more than 8388608 bytes\)/);
  const declared = await hostile((s) => s.end("HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n"));
  await assertRefused(declared, /answer too large \(100000000 bytes declared/);
});

test("pre-rendered text and exit codes are never taken: the answer must be the structured schema", async () => {
  const forged = { scan: { seq: 1, atMs: Date.now(), durationMs: 1, intervalMs: 10_000 }, format: "nagios", text: "PROCS OK: all rules hold | 'x'=1;;1:;0;\n\x1b[2J", exitCode: 0 };
  await assertRefused(await hostile(answer("200 OK", json(forged))), /answer is not a procwatch\.verdicts\/1 document: schema: expected "procwatch\.verdicts\/1"/);
  await assertRefused(await hostile(answer("200 OK", "PROCS OK: fine\r\n\x1b[31m")), /answer is not JSON/);
});

test("scan times in the future, non-finite or absurd are refused, never fresh", async () => {
  const future = await hostile(answer("200 OK", (f) => json(verdictsDoc({ atMs: Date.now() + 3_600_000, format: f }))));
  await assertRefused(future, /last scan is dated 1h in the future/);
  // 1e400 parses as Infinity: a "fresh forever" scan.
  await assertRefused(await hostile(answer("200 OK", (f) => json(verdictsDoc({ format: f })).replace(/"atMs":\d+/, '"atMs":1e400'))), /scan\.atMs: expected a finite number/);
  await assertRefused(await hostile(answer("200 OK", (f) => json(verdictsDoc({ format: f })).replace(/"intervalMs":\d+/, '"intervalMs":1e400'))), /scan\.intervalMs: expected a whole number/);
  await assertRefused(await hostile(answer("200 OK", (f) => json(verdictsDoc({ format: f })).replace(/"atMs":\d+/, '"atMs":NaN'))), /answer is not JSON/);
  await assertRefused(await hostile(answer("200 OK", (f) => json(verdictsDoc({ atMs: Date.now() - 60_000, format: f })))), /last scan is 1m old \(interval 10s\)/);
});

test("fields of the wrong type or out of range are refused with their path", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [verdictsDoc({ count: 0.5 }), /rules\[0\]\.count: expected a whole number/],
    [verdictsDoc({ count: "3" }), /rules\[0\]\.count: expected a whole number/],
    [verdictsDoc({ count: -1 }), /rules\[0\]\.count: expected a whole number/],
    [verdictsDoc({ state: "great" }), /rules\[0\]\.state: expected one of ok, fail, unknown/],
    [{ ...verdictsDoc(), rules: "all good" }, /rules: expected an array/],
    [{ ...verdictsDoc(), names: { users: [[0, "root", "x"]], groups: [] } }, /names\.users\[0\]: expected \[id, name\]/],
    [verdictsDoc({ format: "mon" }), /answered for --format mon, not nagios/],
  ];
  for (const [doc, reason] of cases) {
    const r = await runCli(["check", "--from", await hostile(answer("200 OK", json(doc))), "--from-owner", OWNER, "--format", "nagios"], { timeoutMs: 10_000 });
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, reason);
  }
});

test("a 500 or a redirect is no answer, whatever its body", async () => {
  await assertRefused(await hostile(answer("500 Internal Server Error", (f) => json(verdictsDoc({ format: f })))), /answered HTTP 500/);
  await assertRefused(await hostile(answer("302 Found", (f) => json(verdictsDoc({ format: f })), "location: http://127.0.0.1:1/\r\n")), /answered HTTP 302 \(a redirect; --from follows none\)/);
});

test("control bytes in a valid answer's text reach stdout escaped, and its state is the validated one", async () => {
  const label = "pw\x1b[2J\r\nPROCS OK: forged | 'x'=1;;1:;0;";
  const base = await hostile(answer("200 OK", json(verdictsDoc({ label, state: "unknown" }))));
  const nagios = await runCli(["check", "--from", base, "--from-owner", OWNER, "--format", "nagios"], { timeoutMs: 10_000 });
  assert.equal(nagios.code, 3);
  assert.match(nagios.stdout, /^PROCS UNKNOWN: pw%1B\[2J%0D%0APROCS%20OK:%20forged%20%7C%20'x'=1;;1:;0;:1 /);
  assert.doesNotMatch(nagios.stdout, /[\x00-\x09\x0b-\x1f\x7f]/);
  // One '|' only: the perfdata separator procwatch wrote itself.
  assert.equal(nagios.stdout.split("\n")[0]?.split("|").length, 2);
  const mon = await runCli(["check", "--from", base, "--from-owner", OWNER, "--format", "mon"], { timeoutMs: 10_000 });
  assert.equal(mon.code, 1);
  assert.doesNotMatch(mon.stdout, /[\x00-\x09\x0b-\x1f\x7f]/);
});

test("a listener owned by nobody is refused when root is expected, and accepted with --from-owner", async (t) => {
  if (!haveRoot(t)) return;
  // The same valid answer a daemon would give, served by a process running as nobody.
  const body = json(verdictsDoc({ format: "mon", state: "ok", count: 0 }));
  const code = `const s=require("http").createServer((q,r)=>{r.setHeader("content-type","application/json");r.end(process.argv[1])});`
    + `s.listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),20000).unref();process.stdin.on("end",()=>process.exit(0));process.stdin.resume()`;
  const child = spawn(process.execPath, ["-e", code, body], { uid: 65534, gid: 65534, stdio: ["pipe", "pipe", "inherit"] });
  after(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const port = await waitFor(() => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined));
  const from = `http://127.0.0.1:${port}`;
  const refused = await runCli(["check", "--from", from, "--from-owner", "root", "--format", "nagios"], { timeoutMs: 10_000 });
  assert.equal(refused.code, 3);
  assert.match(refused.stdout, new RegExp(`^PROCS UNKNOWN: refusing ${from.replace(/\./g, "\\.")}: the socket listening on port ${port} belongs to nobody \\(uid 65534\\), not root`));
  const accepted = await runCli(["check", "--from", from, "--from-owner", "nobody"], { timeoutMs: 10_000 });
  assert.equal(accepted.code, 0, accepted.stdout);
  assert.equal(accepted.stdout, "");
  child.stdin?.end();
});

test("unix:PATH: a safe directory is accepted; a writable directory, a stranger's socket or a symlink is refused", async (t) => {
  if (!haveRoot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), "pw-from-"));
  dirs.push(dir);
  const path = join(dir, "procwatch.sock");
  const server = createHttpServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(json(verdictsDoc({ format: "mon" })));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  server.unref();
  const from = `unix:${path}`;
  const ok = await runCli(["check", "--from", from], { timeoutMs: 10_000 });
  assert.equal(ok.code, 1, ok.stdout);
  assert.match(ok.stdout, /^pwdoc:1\npwdoc:1 > 0 \(0-0\)\n  pid 4242 name pwdoc user root exe \/usr\/bin\/sleep\n$/);

  chmodSync(dir, 0o777);
  await assertRefused(from, new RegExp(`refusing ${from}: ${dir} is writable by every user \\(mode 777\\)`));
  chmodSync(dir, 0o700);
  chownSync(path, 65534, 65534);
  await assertRefused(from, new RegExp(`refusing ${from}: ${path} belongs to nobody \\(uid 65534\\), not root`), ["--from-owner", "root"]);
  chownSync(path, 0, 0);
  const link = join(dir, "link.sock");
  symlinkSync(path, link);
  await assertRefused(`unix:${link}`, /is not a socket \(a symbolic link\)/);
});

test("unix:PATH: a directory root made and handed to the daemon's user (RuntimeDirectory= with DynamicUser=) is trusted; the same in a shared directory is not", async (t) => {
  if (!haveRoot(t)) return;
  // /tmp/pw-run-X (root, 0755) holds procwatch/ (nobody, 0755) as /run holds /run/procwatch.
  const top = mkdtempSync(join(tmpdir(), "pw-run-"));
  dirs.push(top);
  chmodSync(top, 0o755);
  const runtime = join(top, "procwatch");
  mkdirSync(runtime, { mode: 0o755 });
  chownSync(runtime, 65534, 65534);
  const path = join(runtime, "procwatch.sock");
  const server = createHttpServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(json(verdictsDoc({ format: "nagios", state: "ok", count: 0 })));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  server.unref();
  chownSync(path, 65534, 65534);
  const ok = await runCli(["check", "--from", `unix:${path}`, "--from-owner", "root", "--format", "nagios"], { timeoutMs: 10_000 });
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /^PROCS OK: pwdoc:0 \(0-0\) \| 'pwdoc'=0;;0:0;0;\n$/);
  // Anyone could have made such a directory in a directory everyone may write to.
  chmodSync(top, 0o1777);
  await assertRefused(`unix:${path}`, new RegExp(`${runtime} belongs to nobody \\(uid 65534\\), not root: another user could have placed`));
});
