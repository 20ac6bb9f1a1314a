// The listener's contract with a failing source: a handler that throws answers 500, is counted,
// is logged once per distinct failure, and the next request is served as usual.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createHandler, type ServerHealth, startServer } from "../../src/daemon/server.js";
import { httpGet } from "../helpers/daemon.js";

test("a throwing handler answers 500, is counted and logged once, and the server goes on", async () => {
  let broken = true;
  const log: string[] = [];
  const health: ServerHealth = { handlerErrors: 0 };
  const handler = createHandler({
    verdicts: () => {
      if (broken) throw new Error("source broke");
      return undefined;
    },
    verdictsDocument: () => undefined,
  }, health, (line) => log.push(line));
  const server = await startServer("127.0.0.1", 0, handler);
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.equal((await httpGet(`${base}/healthz`)).status, 500);
    assert.equal((await httpGet(`${base}/verdicts?format=mon`)).status, 500);
    assert.equal(health.handlerErrors, 2);
    assert.equal(log.length, 1);
    assert.match(log[0] ?? "", /^request handler failed \(answered 500; further failures like it are only counted\): Error: source broke/);
    broken = false;
    assert.equal((await httpGet(`${base}/healthz`)).status, 503);
    assert.equal((await httpGet(`${base}/verdicts?schema=procwatch.verdicts/2`)).status, 400);
    assert.equal(health.handlerErrors, 2);
  } finally {
    server.close();
  }
});
