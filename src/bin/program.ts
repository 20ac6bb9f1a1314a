// Bundle entry of the CLI proper (commander and the commands), loaded by bin/cli.ts once the
// scanner child is on its way. A bundle of its own so cli.js stays small to parse. The daemon's
// commands are a third bundle (bin/daemon.ts), loaded here only for `run` and `validate`.
import type { ScanChild } from "../check/supervise.js";
import { runCli as run } from "../cli/program.js";
import type { DaemonCommands } from "../cli/run-command.js";

// The bundle keeps ./daemon.js external: require() in the CommonJS bundle, import() under tsc's ESM.
const loadDaemon = (): Promise<DaemonCommands> =>
  typeof require === "function" ? Promise.resolve(require("./daemon.js") as DaemonCommands) : import("./daemon.js");

export function runCli(argv: readonly string[], scanChild: ScanChild): Promise<void> {
  return run(argv, scanChild, loadDaemon);
}
