// The shipped Grafana dashboard against @grafana/schema 13.2, with the TypeScript compiler: its
// JSON text compiled as an object literal that `satisfies` ProcwatchDashboard (grafana-dashboard.ts),
// so literal values (enums such as thresholds mode "absolute") and unknown keys are checked at
// every depth, each panel against its own plugin's options. Mutated copies prove the check bites,
// including the build-time check `tsc` runs on the imported JSON. Plus what types cannot say:
// unique ids, the 24-column grid, data source and variable references.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { PATHS, readDashboard, REPO } from "./shipped.js";

const HERE = join(REPO, "test/otel-config");

/** Type-checks in-memory files placed in test/otel-config/ (never written); errors per file. */
function typeErrors(files: Readonly<Record<string, string>>): Map<string, string[]> {
  const config = ts.readConfigFile(join(REPO, "tsconfig.json"), (p) => ts.sys.readFile(p));
  const options = { ...ts.parseJsonConfigFileContent(config.config, ts.sys, REPO).options, noEmit: true };
  const virtual = new Map(Object.entries(files).map(([name, text]) => [join(HERE, name), text]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, version, onError, shouldCreate) => {
    const text = virtual.get(fileName);
    return text === undefined ? getSourceFile.call(host, fileName, version, onError, shouldCreate) : ts.createSourceFile(fileName, text, version, true);
  };
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName);
  const roots = [...virtual.keys()].filter((f) => f.endsWith(".ts"));
  const program = ts.createProgram(roots, options, host);
  const errors = new Map<string, string[]>();
  for (const root of roots) {
    const file = program.getSourceFile(root);
    assert.ok(file !== undefined, root);
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    errors.set(root.slice(HERE.length + 1), diagnostics.map((d) => {
      const at = d.start === undefined ? "" : `${file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
      return at + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    }));
  }
  return errors;
}

/** A module whose only statement is the dashboard JSON as a literal checked against the schema. */
function literalCheck(jsonText: string): string {
  return `import type { ProcwatchDashboard } from "./grafana-dashboard.js";\nexport const dashboard = ${jsonText.trim()} satisfies ProcwatchDashboard;\n`;
}

type Json = Record<string, unknown>;
const panelOf = (d: Json, type: string): Json => (d.panels as Json[]).find((p) => p.type === type) as Json;

/** [what is broken, the mutation, a word the compiler's message must contain] */
const mutants: [string, (d: Json) => void, RegExp][] = [
  ["thresholds mode misspelt", (d) => {
    ((panelOf(d, "stat").fieldConfig as Json).defaults as Json).thresholds = { mode: "absolut", steps: [] };
  }, /"absolut"/],
  ["an unknown key on a panel", (d) => {
    panelOf(d, "timeseries").gridpos = { h: 1, w: 1, x: 0, y: 0 };
  }, /gridpos/],
  ["a legend placement the time series plugin does not have", (d) => {
    ((panelOf(d, "timeseries").options as Json).legend as Json).placement = "left";
  }, /"left"/],
  ["a required state-timeline option missing", (d) => {
    delete (panelOf(d, "state-timeline").options as Json).rowHeight;
  }, /rowHeight/],
  ["a query without refId", (d) => {
    delete ((panelOf(d, "stat").targets as Json[])[0] as Json).refId;
  }, /refId/],
  ["a variable refresh value Grafana does not define", (d) => {
    (((d.templating as Json).list as Json[])[1] as Json).refresh = 7;
  }, /refresh|7/],
];

test("the dashboard satisfies @grafana/schema's types, and broken copies do not", { timeout: 120_000 }, () => {
  const text = readFileSync(PATHS.dashboard, "utf8");
  const files: Record<string, string> = { "dashboard-literal.check.ts": literalCheck(text) };
  mutants.forEach(([, mutate], i) => {
    const d = JSON.parse(text) as Json;
    mutate(d);
    files[`dashboard-mutant-${i}.check.ts`] = literalCheck(JSON.stringify(d, null, 2));
  });
  // The build-time check of grafana-dashboard.ts, on an imported JSON file with a misspelt key.
  const misspelt = JSON.parse(text) as Json;
  panelOf(misspelt, "stat").gridpos = { h: 1, w: 1, x: 0, y: 0 };
  files["dashboard-mutant.json"] = JSON.stringify(misspelt);
  files["dashboard-file-mutant.check.ts"] = [
    'import type mutant from "./dashboard-mutant.json";',
    'import type { DashboardFileShape, NoExtraKeys } from "./grafana-dashboard.js";',
    "type F = typeof mutant;",
    "type Kinds<T extends DashboardFileShape> = T;",
    "type Keys<T extends NoExtraKeys<F, DashboardFileShape>> = T;",
    "export type Checked = Keys<Kinds<F>>;",
    "",
  ].join("\n");

  const errors = typeErrors(files);
  assert.deepEqual(errors.get("dashboard-literal.check.ts"), []);
  mutants.forEach(([what, , word], i) => {
    const found = errors.get(`dashboard-mutant-${i}.check.ts`) ?? [];
    assert.ok(found.length > 0, `not caught: ${what}`);
    assert.match(found.join("\n"), word, `${what}: ${found.join("\n")}`);
  });
  const fileErrors = errors.get("dashboard-file-mutant.check.ts") ?? [];
  assert.ok(fileErrors.length > 0, "the build-time check missed a misspelt key");
});

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  repeat?: string;
  targets?: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
}

const dashboard = readDashboard() as unknown as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; multi?: boolean }[] } };

test("panel ids are unique and every panel fits the 24-column grid", () => {
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const p of dashboard.panels) assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: ${JSON.stringify(p.gridPos)}`);
});

test("every panel and query reads the Prometheus chosen in the datasource variable", () => {
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.equal(variables.get("datasource")?.type, "datasource");
  for (const p of dashboard.panels.filter((x) => x.type !== "row")) {
    assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, p.title);
    for (const t of p.targets ?? []) assert.deepEqual(t.datasource, { type: "prometheus", uid: "${datasource}" }, `${p.title} ${t.refId}`);
  }
});

test("every variable a query or title uses is defined, and repeats run over a multi-value variable", () => {
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  const used = new Set<string>();
  for (const p of dashboard.panels) {
    for (const text of [p.title, ...(p.targets ?? []).map((t) => t.expr)]) {
      for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) used.add(m[1] as string);
    }
    if (p.repeat !== undefined) assert.equal(variables.get(p.repeat)?.multi, true, `${p.title} repeats over ${p.repeat}`);
  }
  const builtIn = new Set(["__rate_interval", "__interval", "__range"]);
  assert.deepEqual([...used].filter((v) => !builtIn.has(v) && !variables.has(v)), []);
});
