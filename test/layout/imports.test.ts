// The folders of src/ are the layers, and imports run one way (README, Layout): a module imports
// only from its own folder or from a lower layer. Reads the TypeScript sources, not the build.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../../src/", import.meta.url));

/** Lower numbers are lower layers; one number may hold folders that never import each other. */
const LAYER: Readonly<Record<string, number>> = {
  // system/ reads its /etc files with procfs/regular-file.ts (bounded, never blocking).
  procfs: 0, system: 0.5, probe: 0,
  rules: 1,
  config: 2,
  evaluate: 3,
  measure: 4,
  output: 5,
  telemetry: 6,
  check: 7, daemon: 7,
  cli: 8,
  bin: 9,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** "procfs" for src/procfs/lsm/read.ts, "" for src/version.ts. */
function folderOf(src: string, file: string): string {
  const parts = relative(src, file).split("/");
  return parts.length > 1 ? (parts[0] as string) : "";
}

/** Every relative module an import, export or dynamic import/require names, as a src/ file. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1] as string);
  return specs.map((s) => join(file, "..", s));
}

test("src/ holds folders only, besides version.ts", () => {
  const loose = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  assert.deepEqual(loose, ["version.ts"]);
  for (const e of readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    assert.ok(e.name in LAYER, `src/${e.name}/ has no place in the layer order of this test (and of the README's Layout)`);
  }
});

/** Imports that run up or sideways: "from → to", relative to src. */
function layerViolations(src: string): string[] {
  const wrong: string[] = [];
  for (const file of sources(src)) {
    const from = folderOf(src, file);
    for (const target of importsOf(file)) {
      const to = folderOf(src, target);
      if (to === "" || to === from) continue;
      const a = LAYER[from];
      const b = LAYER[to];
      if (a === undefined || b === undefined || b >= a) wrong.push(`${relative(src, file)} → ${relative(src, target)}`);
    }
  }
  return wrong;
}

test("imports run down the layers, never up or sideways", () => {
  assert.deepEqual(layerViolations(SRC), []);
});

test("the check is real: an upward and a sideways import are both found", () => {
  const dir = mkdtempSync(join(tmpdir(), "pw-layers-"));
  try {
    for (const d of ["procfs", "output", "check", "daemon"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "output", "escape.ts"), "export const x = 1;\n");
    writeFileSync(join(dir, "procfs", "read.ts"), 'import { x } from "../output/escape.js";\nexport const y = x;\n');
    writeFileSync(join(dir, "check", "run.ts"), 'import type { z } from "../daemon/run.js";\n');
    writeFileSync(join(dir, "daemon", "run.ts"), 'import { x } from "../output/escape.js";\nexport type z = typeof x;\n');
    assert.deepEqual(layerViolations(dir).sort(), ["check/run.ts → daemon/run.js", "procfs/read.ts → output/escape.js"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Bare package names a module loads at start: static value imports only (no `import type`, no
 * dynamic import or require, which load later, if ever), followed through src/. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms)) {
      if (m[2] !== undefined) continue;
      const spec = m[3] as string;
      if (spec.startsWith(".")) visit(join(file, "..", spec).replace(/\.js$/, ".ts"));
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string));
    }
  };
  visit(entry);
  return packages;
}

test("a one-shot check loads only what it uses: commander in the CLI, no package at all in the scanner child", () => {
  assert.deepEqual([...packagesLoadedBy(join(SRC, "bin", "program.ts"))].sort(), ["commander"]);
  assert.deepEqual([...packagesLoadedBy(join(SRC, "bin", "check-code.ts"))].sort(), ["commander"]);
  assert.deepEqual([...packagesLoadedBy(join(SRC, "bin", "check.ts"))], []);
  assert.deepEqual([...packagesLoadedBy(join(SRC, "bin", "child.ts"))], []);
  assert.deepEqual([...packagesLoadedBy(join(SRC, "bin", "cli.ts"))], []);
  assert.ok(packagesLoadedBy(join(SRC, "bin", "daemon.ts")).has("yaml"), "the walk finds a package where there is one");
});
