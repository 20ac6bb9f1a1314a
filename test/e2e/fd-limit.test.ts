// procwatch check under a low open-files limit (ulimit -n): from the lowest limit at which Node can
// load the CLI at all up to one where the check runs, every answer is a clean mon failure or a
// Nagios UNKNOWN naming EMFILE, or the check's normal answer; never a stack trace or empty stdout.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CLI, runCommand } from "../helpers/cli.js";
import { uniqueName } from "../helpers/procs.js";

type How = "node cli.js" | "the command";

/** The CLI under `ulimit -n limit`, as a shell (mon, NRPE) with a low limit would start it: by
 * node, or as the command itself (its shell lines, src/bin/launch.sh, then decide). */
function underLimit(how: How, limit: number, args: readonly string[]) {
  const argv = how === "node cli.js" ? [process.execPath, CLI, ...args] : [CLI, ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return runCommand("/bin/sh", ["-c", `ulimit -n ${limit} && exec ${quoted}`]);
}

/** Below this, Node itself cannot start or open the bundle: nothing of procwatch runs to answer. */
async function lowestLoadableLimit(how: How): Promise<number> {
  for (let limit = 8; limit < 64; limit++) {
    const r = await underLimit(how, limit, ["--version"]);
    if (r.code === 0) return limit;
  }
  throw new Error("node cannot load the CLI with 63 open files");
}

describe("a low open-files limit ends in a clean answer", () => {
  const rule = `${uniqueName("fdlim")}:0-0`;
  for (const [how, format] of [["node cli.js", "mon"], ["node cli.js", "nagios"], ["the command", "mon"], ["the command", "nagios"]] as const) {
    test(`${how}, --format ${format}: every limit from the lowest loadable one up`, async () => {
      const floor = await lowestLoadableLimit(how);
      const seen: string[] = [];
      let okAt: number | undefined;
      for (let limit = floor; okAt === undefined || limit <= okAt + 2; limit++) {
        assert.ok(limit < floor + 60, `no normal answer even with ulimit -n ${limit}`);
        const r = await underLimit(how, limit, ["check", "--format", format, rule]);
        const where = `ulimit -n ${limit}: code ${r.code} stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr.slice(0, 300))}`;
        assert.equal(r.signal, null, where);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${where}`);
        const normal = format === "mon" ? r.code === 0 && r.stdout === "" : r.code === 0 && r.stdout.startsWith("PROCS OK: ");
        if (normal) {
          okAt ??= limit;
          continue;
        }
        if (format === "mon") {
          assert.equal(r.code, 1, where);
          assert.match(r.stdout, /^procwatch: cannot (?:load procwatch: |run the check\ncannot start the scanner: )EMFILE, too many open files in this process \(raise ulimit -n\)\n$/, where);
        } else {
          assert.equal(r.code, 3, where);
          assert.match(r.stdout, /^PROCS UNKNOWN: cannot (load procwatch|run the check: cannot start the scanner): EMFILE, too many open files in this process \(raise ulimit -n\)\n$/, where);
        }
        seen.push(r.stdout.split("\n")[0] ?? "");
      }
      assert.ok(seen.some((line) => line.includes("cannot start the scanner") || line.includes("cannot run the check")),
        `some limit must have let the CLI load but not start the scanner (seen: ${JSON.stringify(seen)})`);
    });
  }
});
