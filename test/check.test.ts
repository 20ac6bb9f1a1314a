// prepareSetup → measure for the security checks, as the daemon runs them from its config: the
// per-check exemptions the config loader fills (security.checks.<check>.exempt, exempt_users)
// reach the evaluation, on top of the exemptions for every check, over a fixture /proc tree.
import { isProblem } from "../src/rules/problem.js";
import { DEFAULT_INTERPRETERS } from "../src/rules/interpreters.js";
import { prepareSetup } from "../src/measure/setup.js";
import type { SecurityRequest } from "../src/config/types.js";
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { makeInterpreterSet } from "../src/evaluate/names.js";
import { measure } from "../src/measure/measure.js";
import { accounts, configOf } from "./config/fixture.js";
import { link, statLine, statusText, TreePool } from "./helpers/proctree.js";

const trees = new TreePool();
after(() => trees.cleanup());
const interpreters = makeInterpreterSet(DEFAULT_INTERPRETERS);

function p(pid: number, comm: string, uid: number, gid: number, exe: string) {
  return { stat: statLine({ pid, comm }), status: statusText({ pid, name: comm, uid, gid }), cmdline: [comm], exe: link(exe) };
}

/** A host with a daemon still running its replaced binary, and a backup user's vim (gid 0) doing the same. */
const root = trees.make({
  1: p(1, "systemd", 0, 0, "/usr/lib/systemd/systemd"),
  20: p(20, "ntpd", 102, 102, "/usr/sbin/ntpd (deleted)"),
  23: p(23, "vim", 34, 0, "/usr/bin/vim.basic (deleted)"),
});

async function offenders(security: SecurityRequest): Promise<Record<string, [number[], number]>> {
  const setup = prepareSetup({ procRoot: root, excludeRoots: [], security }, [], interpreters, accounts);
  assert.ok(!isProblem(setup), String(setup));
  const m = await measure([], setup);
  const out: Record<string, [number[], number]> = {};
  for (const r of m.security?.results ?? []) out[r.check] = [r.offenders.map((o) => o.process.pid), r.exempted];
  return out;
}

describe("per-check exemptions from the config", () => {
  test("deleted-exe exempts vim; gid0-not-uid0 still reports it", async () => {
    const config = configOf("security:\n  checks:\n    deleted-exe: { exempt: [vim] }\n    gid0-not-uid0: {}\n");
    assert.ok(config.security !== undefined);
    assert.deepEqual(await offenders(config.security), { "gid0-not-uid0": [[23], 0], "deleted-exe": [[20], 1] });
  });

  test("a user exempt from gid0-not-uid0 only, with a name exempt from every check", async () => {
    const config = configOf("security:\n  exempt: [ntpd]\n  checks:\n    deleted-exe: {}\n    gid0-not-uid0: { exempt_users: [backup] }\n");
    assert.ok(config.security !== undefined);
    assert.deepEqual(await offenders(config.security), { "gid0-not-uid0": [[], 1], "deleted-exe": [[23], 1] });
  });

  test("an unknown user in a check's exemptions is a setup error naming the check", () => {
    const security: SecurityRequest = {
      checks: ["deleted-exe"], exemptNames: [], exemptUsers: [], deletedExeIgnore: [], selinuxfs: "/sys/fs/selinux",
      perCheck: { "deleted-exe": { exemptNames: [], exemptUsers: ["nosuchuser-xyz"] } },
    };
    const problem = prepareSetup({ procRoot: root, excludeRoots: [], security }, [], interpreters, accounts);
    assert.ok(isProblem(problem));
    assert.deepEqual([problem.code, problem.reason], ["setting", 'security deleted-exe exempt_users: unknown user "nosuchuser-xyz"']);
  });
});
