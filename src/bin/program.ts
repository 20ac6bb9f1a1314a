// Bundle entry of the CLI proper (commander and the commands), loaded by bin/cli.ts once the
// scanner child is on its way. A bundle of its own so cli.js stays small to parse.
export { runCli } from "../cli/program.js";
