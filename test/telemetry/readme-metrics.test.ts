// The README's metric table is documentation operators build alerts from: it must list exactly
// the instruments the code exports, with the same names, kinds, units and attributes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { INSTRUMENTS } from "../../src/telemetry/instruments.js";

const README = fileURLToPath(new URL("../../../README.md", import.meta.url));

interface Row {
  name: string;
  prometheusName: string;
  collectorName?: string;
  kind: string;
  unit: string;
  attributes: string[];
  description: string;
}

function tableRows(): Row[] {
  const text = readFileSync(README, "utf8");
  const start = text.indexOf("| OTLP name | Prometheus name |");
  assert.ok(start >= 0, "README has no metric table");
  const lines = text.slice(start).split("\n").slice(2);
  const rows: Row[] = [];
  for (const line of lines) {
    if (!line.startsWith("|")) break;
    const cells = line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "").trim());
    const [name, prom, kind, unit, attrs, description] = cells;
    const code = (s: string | undefined): string[] => [...(s ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const [prometheusName, collectorName] = code(prom);
    rows.push({
      name: code(name)[0] ?? "",
      prometheusName: prometheusName ?? "",
      ...(collectorName === undefined ? {} : { collectorName }),
      kind: kind ?? "",
      unit: code(unit)[0] ?? "",
      attributes: code(attrs),
      description: description ?? "",
    });
  }
  return rows;
}

test("the README's metric table matches src/telemetry/instruments.ts row by row", () => {
  const expected: Row[] = Object.values(INSTRUMENTS).map((s) => ({
    name: s.name,
    prometheusName: s.prometheusName,
    ...("collectorName" in s ? { collectorName: s.collectorName } : {}),
    kind: s.kind,
    unit: s.unit,
    attributes: [...s.attributes],
    description: s.description,
  }));
  assert.deepEqual(tableRows(), expected);
});
