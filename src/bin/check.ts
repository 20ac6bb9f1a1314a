// Entry the shell lines run for a check or an explain (src/bin/launch.sh). Loads the check itself,
// check-code.js (bundled from bin/check-code.ts), with the V8 code cache scripts/build-to makes
// beside it, so its bundle is not compiled again at every check (~5 ms of a check at +0, npm run
// bench). V8 refuses a cache made by another V8 version, under other V8 flags or on a CPU with
// other features, one for a source of another length, and (--verify-snapshot-checksum, given by
// the shell lines and the build) a damaged one; the bundle is then compiled as if there were no
// cache. The cache and the bundle are made together and installed together.
// PROCWATCH_CODE_CACHE=make (scripts/build-to) writes the cache when the check exits, with
// everything the check compiled; =report tells on stderr whether the cache was taken.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Script } from "node:vm";

const file = `${__dirname}/check-code.js`;
const cacheFile = `${__dirname}/check-code.cache`;
const mode = process.env.PROCWATCH_CODE_CACHE;
delete process.env.PROCWATCH_CODE_CACHE;

let cachedData: Buffer | undefined;
try {
  if (mode !== "make") cachedData = readFileSync(cacheFile);
} catch {
  // no cache: compile
}
// CommonJS's own wrapper, on a line of its own so that line numbers in stack traces hold.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${readFileSync(file, "utf8")}\n})`, {
  filename: file,
  lineOffset: -1,
  ...(cachedData === undefined ? {} : { cachedData }),
});
if (mode === "report") process.stderr.write(`code cache: ${cachedData === undefined ? "none" : script.cachedDataRejected === true ? "refused" : "taken"}\n`);
if (mode === "make") process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
const loaded = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(loaded.exports, createRequire(file), loaded, file, __dirname);
