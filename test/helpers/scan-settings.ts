// The daemon's scan settings for rule arguments on a fixture /proc root, as the tests of the scan
// cycle, the publisher and the outputs build them: the command line's rule parser (so a test may
// use names a daemon config refuses), the fixture accounts, CPU always measured, 100 ticks/s.
import assert from "node:assert/strict";
import type { CpuRequest, ResourceGroup, SecurityRequest } from "../../src/config/types.js";
import { makeInterpreterSet } from "../../src/evaluate/names.js";
import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import { isProblem } from "../../src/rules/problem.js";
import { parseRuleArgs } from "../../src/rules/list.js";
import type { ScanSettings } from "../../src/measure/cycle.js";
import { prepareSetup } from "../../src/measure/setup.js";
import type { Accounts } from "../../src/system/accounts.js";
import { fixtureAccounts } from "./accounts.js";

export interface ScanSettingsOptions {
  readonly forCycles?: number;
  /** Over the window default (1 s window, no runaway limit, ordinary users included, top 5). */
  readonly cpu?: Partial<CpuRequest>;
  readonly security?: SecurityRequest;
  readonly resourceGroups?: readonly ResourceGroup[];
  readonly accounts?: Accounts;
}

const defaultAccounts = fixtureAccounts();

export function scanSettings(root: string, rules: readonly string[], options: ScanSettingsOptions = {}): ScanSettings {
  const accounts = options.accounts ?? defaultAccounts;
  const parsed = parseRuleArgs([...rules], accounts);
  assert.deepEqual(parsed.errors, []);
  const cpu: CpuRequest = {
    basis: { kind: "window", windowMs: 1000 }, exemptNames: [], exemptUsers: [], includeNormalUsers: true, defaultExempt: false, top: 5, clockTicks: 100,
    ...options.cpu,
  };
  const setup = prepareSetup({ procRoot: root, excludeRoots: [], cpu, ...(options.security === undefined ? {} : { security: options.security }) },
    parsed.rules, makeInterpreterSet(DEFAULT_INTERPRETERS), accounts, { alwaysMeasureCpu: true });
  assert.ok(!isProblem(setup) && setup.cpu !== undefined, isProblem(setup) ? setup.reason : "no CPU setup");
  return {
    rules: parsed.rules, setup: { ...setup, cpu: setup.cpu }, forCycles: options.forCycles ?? 1, intervalMs: 1000,
    ...(options.resourceGroups === undefined ? {} : { resourceGroups: options.resourceGroups }),
  };
}
