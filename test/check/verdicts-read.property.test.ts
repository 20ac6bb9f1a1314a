// Property tests of what check --from does with an answer: any document, a valid one bent at a
// random place into a random value, either is refused with a DocumentError naming a field or
// renders, in every format, without a control byte (but newline) and with no '|' on Nagios line 1
// beyond procwatch's own separator. Seeded (PROCWATCH_SEED replays a failure); a few thousand cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DocumentError, readVerdictsDocument } from "../../src/check/verdicts-read.js";
import { confirmationNotes, formatOutcome } from "../../src/output/measurement.js";
import { type Random, seeded, testSeed } from "../helpers/seeded.js";
import { verdictsDoc } from "../helpers/verdicts-doc.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function randomText(r: Random): string {
  const pieces = ["\x1b[2J", "\r\n", "|", "%", "PROCS OK: ", "'x'=1;;1:;0;", "\u202e", "\u2028", "\x00", "é", "\ud800", "\u00ff", " ", "a"];
  let s = "";
  for (let n = r.int(8); n > 0; n--) s += r.int(3) === 0 ? r.bytes(r.int(6)).toString("latin1") : r.pick(pieces);
  return s;
}

function randomValue(r: Random, depth = 0): Json {
  switch (r.int(depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return r.int(2) === 0;
    case 2: return r.pick([0, -1, 0.5, 1, 7, 65535, 2 ** 53, 2 ** 53 + 2, 1e308, -0, Number.MAX_VALUE, 4294967295]);
    case 3: return randomText(r);
    case 4: return r.pick(["ok", "fail", "unknown", "not-applicable", "window", "lifetime", "tcp", "mon", "nagios", "json"]);
    case 5: return Array.from({ length: r.int(3) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(3) }, () => [r.pick(["min", "max", "kind", "state", "error", "pid"]), randomValue(r, depth + 1)]));
  }
}

/** Every place in the document: [parent, key] pairs. */
function places(v: Json, out: [Json[] | { [key: string]: Json }, string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([v, i]); places(x, out); });
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) { out.push([v, k]); places(v[k] as Json, out); }
  return out;
}

function assertClean(text: string, format: string, seed: number): void {
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, `seed ${seed} ${format}: ${JSON.stringify(text.slice(0, 300))}`);
  if (format === "nagios") assert.ok((text.split("\n")[0] ?? "").split("|").length <= 2, `seed ${seed}: ${text}`);
}

test("any bending of a valid answer is refused by field or rendered escaped, never a crash", () => {
  const seed = testSeed();
  const r = seeded(seed);
  let refused = 0;
  let rendered = 0;
  for (let i = 0; i < 3000; i++) {
    try {
      if (bendOnce(r, seed) === "refused") refused++;
      else rendered++;
    } catch (err) {
      throw new Error(`seed ${seed}, case ${i}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { cause: err });
    }
  }
  // Both roads were taken: the generator is not stuck on one side.
  assert.ok(refused > 100 && rendered > 100, `seed ${seed}: refused ${refused}, rendered ${rendered}`);
});

function bendOnce(r: Random, seed: number): "refused" | "rendered" {
  {
    const doc = JSON.parse(JSON.stringify(verdictsDoc({ label: randomText(r) || "x", format: r.pick(["mon", "nagios", "json"]) }))) as Json;
    const all = places(doc);
    // Sometimes no bending at all: the valid document with a random label must render.
    for (let k = r.int(4); k > 0; k--) {
      const [parent, key] = r.pick(all);
      (parent as Record<string | number, Json>)[key] = randomValue(r);
    }
    let read;
    try {
      // Through JSON text, as from the wire (1e308 stays, -0 becomes 0).
      read = readVerdictsDocument(JSON.parse(JSON.stringify(doc)));
    } catch (err) {
      assert.ok(err instanceof DocumentError, `seed ${seed}: ${(err as Error).stack ?? String(err)}`);
      assert.match(err.message, /^[\w.[\]]+: (expected|text longer)/);
      return "refused";
    }
    for (const format of ["mon", "nagios", "json"] as const) {
      const out = formatOutcome(read.outcome, read.snapshot, { format, detailLimit: read.detailLimit, notes: confirmationNotes(read.forCycles, read.scan.intervalMs) }, read.names);
      assertClean(out.text, format, seed);
      assert.ok(Number.isInteger(out.exitCode) && out.exitCode >= 0 && out.exitCode <= 3);
      if (format === "json") JSON.parse(out.text);
    }
    return "rendered";
  }
}
