// Shared by the config tests: the fixture accounts (test/helpers/accounts.ts), so the tests do
// not depend on this machine's accounts, and a parse helper that formats every problem.
import { fixtureAccounts } from "../helpers/accounts.js";
import { parseConfig, type LoadResult } from "../../src/config/load.js";
import type { DaemonConfig } from "../../src/config/types.js";
import { formatProblem } from "../../src/output/problems.js";

export const accounts = fixtureAccounts();

/** Problems as the daemon logs them, one string each; [] when the text is valid. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = parseConfig(text, "pw.yaml", { accounts, env });
  return "problems" in r ? r.problems.map(formatProblem) : [];
}

export function configOf(text: string, env: NodeJS.ProcessEnv = {}): DaemonConfig {
  const r: LoadResult = parseConfig(text, "pw.yaml", { accounts, env });
  if ("problems" in r) throw new Error(`unexpected problems:\n${r.problems.map(formatProblem).join("\n")}`);
  return r.config;
}
