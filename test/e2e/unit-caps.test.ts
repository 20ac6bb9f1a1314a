// The shipped unit's privileges are enough, and each is needed: procwatch run as an unprivileged
// uid with exactly the capability set examples/systemd/procwatch.service grants (setpriv: the same
// bounding, inheritable and ambient sets systemd gives a DynamicUser service) decides listen= and
// exe= rules about a root process holding a real listening socket; with CAP_SYS_PTRACE alone the
// exe rule is still decided but listen= is unknown (the fd directory is mode 0500), and with
// nothing both are unknown.
import assert from "node:assert/strict";
import { realpathSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { cliForAnyUser, runCommand } from "../helpers/cli.js";
import { haveRoot, haveTools } from "../helpers/e2e.js";
import { type ListenerProcess, startListenerProcess } from "../helpers/listeners.js";
import { ProcessPool, uniqueName } from "../helpers/procs.js";

const SETPRIV = "/usr/bin/setpriv";
const NOBODY = 65534;
const UNIT = fileURLToPath(new URL("../../../examples/systemd/procwatch.service", import.meta.url));

/** AmbientCapabilities= of the shipped unit, as setpriv names them (sys_ptrace, dac_read_search). */
function unitCapabilities(): string[] {
  const lines = readFileSync(UNIT, "utf8").split("\n").filter((l) => l.startsWith("AmbientCapabilities="));
  const bounding = readFileSync(UNIT, "utf8").split("\n").filter((l) => l.startsWith("CapabilityBoundingSet="));
  const caps = lines.flatMap((l) => l.slice("AmbientCapabilities=".length).trim().split(/\s+/));
  const bound = bounding.flatMap((l) => l.slice("CapabilityBoundingSet=".length).trim().split(/\s+/));
  assert.deepEqual([...caps].sort(), [...bound].sort(), "the unit's ambient and bounding sets differ");
  return caps.map((c) => c.replace(/^CAP_/, "").toLowerCase());
}

/** procwatch check as uid/gid nobody, no groups, holding exactly `caps` (ambient, so they survive exec). */
function checkWithCaps(caps: readonly string[], rules: readonly string[]) {
  const set = ["-all", ...caps.map((c) => `+${c}`)].join(",");
  return runCommand(SETPRIV, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", `--bounding-set=${set}`, `--inh-caps=${set}`,
    `--ambient-caps=${set}`, "--", process.execPath, cliForAnyUser(), "check", ...rules], { timeoutMs: 30_000 });
}

describe("the unit's capability set decides every rule kind", () => {
  const pool = new ProcessPool();
  let listener: ListenerProcess;
  let exe: string;
  before(async () => {
    if (process.geteuid?.() !== 0) return;
    listener = await startListenerProcess(pool, uniqueName("cap"));
    exe = realpathSync(process.execPath);
  });
  after(() => pool.cleanup());

  test("exactly the unit's capabilities (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH): listen= and exe= of a root process decided", async (t) => {
    if (!haveRoot(t) || !haveTools(t, [SETPRIV], "apt-get install util-linux")) return;
    const caps = unitCapabilities();
    assert.deepEqual([...caps].sort(), ["dac_read_search", "sys_ptrace"]);
    const rules = [`${listener.name}:1-1,user=root,listen=${listener.port}`, `${listener.name}:1-1,exe=${exe}`, `/${exe.slice(1)}:1-,listen=${listener.port}`];
    const r = await checkWithCaps(caps, rules);
    assert.equal(r.stdout, "", r.stderr);
    assert.equal(r.code, 0);
    // and a wrong port is a decided failure, not an unknown: the fd links were read
    const wrong = await checkWithCaps(caps, [`${listener.name}:1-1,listen=${listener.port === 1 ? 2 : 1}`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, new RegExp(`^${listener.name},listen=\\d+:0\\n`));
  });

  test("CAP_SYS_PTRACE alone: exe= decided, listen= unknown (the fd directory needs CAP_DAC_READ_SEARCH)", async (t) => {
    if (!haveRoot(t) || !haveTools(t, [SETPRIV], "apt-get install util-linux")) return;
    const exeRule = await checkWithCaps(["sys_ptrace"], [`${listener.name}:1-1,exe=${exe}`]);
    assert.equal(exeRule.stdout, "");
    assert.equal(exeRule.code, 0);
    const listenRule = await checkWithCaps(["sys_ptrace"], [`${listener.name}:1-1,listen=${listener.port}`]);
    assert.equal(listenRule.code, 1);
    assert.match(listenRule.stdout, new RegExp(`^${listener.name},listen=${listener.port}:unknown\\n`));
    assert.match(listenRule.stdout, /fd links unreadable \(EACCES\)/);
  });

  test("CAP_DAC_READ_SEARCH alone: the fd directory lists, but its links and exe stay unknown", async (t) => {
    if (!haveRoot(t) || !haveTools(t, [SETPRIV], "apt-get install util-linux")) return;
    const r = await checkWithCaps(["dac_read_search"], [`${listener.name}:1-1,exe=${exe}`, `${listener.name}:1-1,listen=${listener.port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${listener.name},exe=[^ ]+:unknown ${listener.name},listen=${listener.port}:unknown\\n`));
  });

  test("no capabilities: both unknown, never a silent miss", async (t) => {
    if (!haveRoot(t) || !haveTools(t, [SETPRIV], "apt-get install util-linux")) return;
    const r = await checkWithCaps([], [`${listener.name}:1-1,exe=${exe}`, `${listener.name}:1-1,listen=${listener.port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${listener.name},exe=[^ ]+:unknown ${listener.name},listen=${listener.port}:unknown\\n`));
  });
});

