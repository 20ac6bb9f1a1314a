// One bounded poll for every test helper that waits for a condition: it fails with what it waited
// for, the probe's last error and the caller's context (logs, what was received so far).
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` until it gives a value. After `timeoutMs` it fails with `what`, the probe's last
 * error and `context()` (what was received so far, server logs), so a timeout explains itself.
 * Polls every `intervalMs` (100 by default; a few ms where a test races a short-lived process).
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: { timeoutMs: number; context: () => string | Promise<string>; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`waited ${options.timeoutMs} ms for ${what}${lastError === "" ? "" : ` (last error: ${lastError})`}\n${await options.context()}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}
