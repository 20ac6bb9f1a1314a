// A throw or rejection nothing handled ends the daemon with status 70 and one log line naming
// the error and its causes, so systemd restarts a whole daemon instead of keeping a half-alive one.
// Runs the daemon's own handler in a child process that then throws or rejects for real.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCommand } from "../helpers/cli.js";

const RUN = fileURLToPath(new URL("../../src/daemon/run.js", import.meta.url));

/** A child that installs the handler, logs through stderr, and then does `fail` after a turn. */
function child(fail: string): Promise<{ code: number | null; stderr: string }> {
  const script = `import(${JSON.stringify(RUN)}).then((m) => {
    m.exitOnUncaught((line) => process.stderr.write("LOG " + line.split("\\n").join("\\\\n") + "\\n"));
    setTimeout(() => { ${fail} }, 10);
    setTimeout(() => process.exit(0), 5000);
  });`;
  return runCommand(process.execPath, ["--input-type=module", "-e", script], { timeoutMs: 15_000 });
}

describe("uncaught errors end the daemon", () => {
  test("an uncaught exception: exit 70, one line with the error and its cause", async () => {
    const r = await child(`throw new Error("scan state broken", { cause: new Error("root cause here") });`);
    assert.equal(r.code, 70);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("LOG "));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, /^LOG fatal: uncaught exception: Error: scan state broken.*caused by: Error: root cause here.*exiting with status 70$/);
  });

  test("an unhandled rejection: exit 70, one line", async () => {
    const r = await child(`Promise.reject(new TypeError("export went wrong"));`);
    assert.equal(r.code, 70);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("LOG "));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, /^LOG fatal: unhandled rejection: TypeError: export went wrong.*exiting with status 70$/);
  });

  test("two failures in a row still log once", async () => {
    const r = await child(`Promise.reject(new Error("first")); Promise.reject(new Error("second"));`);
    assert.equal(r.code, 70);
    assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("LOG ")).length, 1, r.stderr);
  });
});
