// The npm package: no runtime dependencies (the esbuild bundles carry commander, yaml and the
// OpenTelemetry SDK), bundles that load nothing but Node's builtins and each other, and a tarball
// from `npm pack` that `npm install -g` installs offline, with an empty cache, into a prefix whose
// bin/procwatch then runs.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCommand } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/", import.meta.url));
const NPM = "/usr/bin/npm";
const tmp = mkdtempSync(join(tmpdir(), "pw-npm-package-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
  version: string;
}
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as PackageJson;

test("package.json declares no runtime dependencies", () => {
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
  for (const dep of ["commander", "yaml", "@opentelemetry/sdk-metrics"]) assert.ok(dep in pkg.devDependencies, `${dep} is bundled, so a devDependency`);
});

test("the bundles require only Node builtins and each other", () => {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const bundles = readdirSync(BIN).filter((f) => f.endsWith(".js"));
  assert.deepEqual([...bundles].sort(), ["check-code.js", "check.js", "child.js", "cli.js", "daemon.js", "program.js"]);
  for (const file of bundles) {
    const text = readFileSync(join(BIN, file), "utf8");
    const specifiers = [...text.matchAll(/\b(?:require|import)\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1] as string);
    for (const s of new Set(specifiers)) {
      if (s.startsWith("./")) assert.ok(existsSync(join(BIN, s)), `${file} loads ${s}, which is not among the bundles`);
      else assert.ok(builtins.has(s), `${file} loads "${s}", which is not a Node builtin`);
    }
    // no require() of a computed name could load a package the bundle lacks
    assert.doesNotMatch(text, /\brequire\(\s*[A-Za-z_$][\w$.]*\s*\)/, `${file} calls require() with a computed name`);
  }
});

test("npm pack, then npm install -g offline with an empty cache: bin/procwatch and its man page work", async (t) => {
  if (!haveTools(t, [NPM], "apt-get install npm")) return;
  // Stage what the package's "files" list names, with this build's bundles as dist/bin.
  const stage = join(tmp, "stage");
  cpSync(join(REPO, "package.json"), join(stage, "package.json"));
  cpSync(join(REPO, "README.md"), join(stage, "README.md"));
  for (const f of pkg.files) cpSync(f === "dist/bin" ? BIN : join(REPO, f), join(stage, f), { recursive: true });
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp, npm_config_cache: join(tmp, "cache"), npm_config_update_notifier: "false" };
  const packed = await runCommand("/bin/sh", ["-c", `cd '${stage}' && '${NPM}' pack --ignore-scripts --pack-destination '${tmp}'`], { env, timeoutMs: 60_000 });
  assert.equal(packed.code, 0, packed.stderr);
  const tgz = join(tmp, `procwatch-${pkg.version}.tgz`);
  assert.ok(existsSync(tgz), packed.stdout);
  const prefix = join(tmp, "prefix");
  const installed = await runCommand(NPM, ["install", "-g", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, tgz], { env, timeoutMs: 120_000 });
  assert.equal(installed.code, 0, installed.stderr);
  const procwatch = join(prefix, "bin", "procwatch");
  const version = await runCommand(procwatch, ["--version"], { timeoutMs: 30_000 });
  assert.equal(version.stdout, `${pkg.version}\n`);
  const check = await runCommand(procwatch, ["check", "pw-npm-absent-x:0-0", "init:0-"], { timeoutMs: 30_000 });
  assert.equal(check.stdout, "");
  assert.equal(check.code, 0);
  const validate = await runCommand(procwatch, ["validate", "--config", join(prefix, "lib/node_modules/procwatch/packaging/procwatch.yaml")], { timeoutMs: 30_000 });
  assert.equal(validate.code, 0, validate.stderr);
  assert.ok(existsSync(join(prefix, "share/man/man1/procwatch.1")), "npm links the man page");
  assert.deepEqual(readdirSync(join(prefix, "lib/node_modules/procwatch")).includes("node_modules"), false, "nothing was installed beside it");
});
