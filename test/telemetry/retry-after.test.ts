// Retry-After as a collector sends it (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, capped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "../../src/telemetry/otlp.js";

const NOW = Date.parse("2026-12-03T09:00:00Z");

const cases: [string, string | undefined, number | undefined][] = [
  ["seconds", "30", 30_000],
  ["seconds with spaces", " 4 ", 4000],
  ["zero: retry now", "0", 0],
  ["an HTTP-date 90 s ahead", "Thu, 03 Dec 2026 09:01:30 GMT", 90_000],
  ["an HTTP-date in the past: now", "Thu, 03 Dec 2026 08:59:00 GMT", 0],
  ["beyond the cap: the cap", "86400", MAX_RETRY_AFTER_MS],
  ["a far HTTP-date: the cap", "Fri, 01 Jan 2100 00:00:00 GMT", MAX_RETRY_AFTER_MS],
  ["negative: not a delay", "-5", undefined],
  ["garbage", "soon", undefined],
  ["absent", undefined, undefined],
];
for (const [what, header, expected] of cases) test(`Retry-After ${what}`, () => assert.equal(parseRetryAfter(header, NOW), expected));
