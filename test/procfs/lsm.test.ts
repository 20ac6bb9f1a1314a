// Security labels: each provider's format (SELinux, AppArmor, Smack), recognising whose label the
// shared attr/current holds, and the reader on fixture trees: attr/current alone, the per-module
// files of a kernel that lists its active modules in securityfs, stacked modules, and this
// machine's real /proc (no security module: EINVAL).
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { apparmor } from "../../src/procfs/lsm/apparmor.js";
import { trimLabel } from "../../src/procfs/lsm/provider.js";
import { readModuleList, securityfsFor } from "../../src/procfs/lsm/read.js";
import { activeProviders, parseSharedLabel, parseLabelAs } from "../../src/procfs/lsm/registry.js";
import { ownLabel } from "../helpers/e2e.js";
import { parseSelinuxContext, selinux } from "../../src/procfs/lsm/selinux.js";
import { smack } from "../../src/procfs/lsm/smack.js";
import { takeSnapshot } from "../../src/procfs/snapshot.js";
import { Field, type ProcessRecord, type SecurityLabel } from "../../src/procfs/types.js";
import { type DirSpec, link, statLine, statusText, TreePool } from "../helpers/proctree.js";

const trees = new TreePool();
after(() => trees.cleanup());

describe("trimLabel: the terminator goes, whatever the module", () => {
  const cases: [string, string, string][] = [
    ["SELinux: trailing NUL stripped, the level keeps its ':'", "system_u:system_r:sshd_t:s0-s0:c0.c1023\0", "system_u:system_r:sshd_t:s0-s0:c0.c1023"],
    ["AppArmor: newline stripped", "/usr/sbin/ntpd (enforce)\n", "/usr/sbin/ntpd (enforce)"],
    ["Smack: no terminator", "System", "System"],
    ["empty", "", ""],
    ["only a terminator", "\0", ""],
    ["only trailing terminators go; inner ones stay", "a\nb\0\n", "a\nb"],
    ["invalid UTF-8 kept", "x_t:\xff\0", "x_t:\xff"],
  ];
  for (const [what, text, want] of cases) test(what, () => assert.equal(trimLabel(text), want));
});

describe("parseSelinuxContext: at most three fields split off", () => {
  const cases: [string, ReturnType<typeof parseSelinuxContext>][] = [
    ["system_u:system_r:init_t:s0", { user: "system_u", role: "system_r", type: "init_t", level: "s0" }],
    ["system_u:system_r:sshd_t:s0-s0:c0.c1023", { user: "system_u", role: "system_r", type: "sshd_t", level: "s0-s0:c0.c1023" }],
    ["user_u:user_r:user_t", { user: "user_u", role: "user_r", type: "user_t", level: "" }],
    ["unconfined", undefined],
    ["/usr/sbin/ntpd (enforce)", undefined],
    ["a//&b:c:d (enforce)", undefined],
    ["::x_t:s0", undefined],
    ["", undefined],
  ];
  for (const [label, want] of cases) test(JSON.stringify(label), () => assert.deepEqual(parseSelinuxContext(label), want));
});

describe("each provider parses its own format and refuses the others'", () => {
  const no = undefined;
  // text → [selinux, apparmor, smack]
  const cases: [string, [unknown, unknown, unknown]][] = [
    ["system_u:system_r:sshd_t:s0-s0:c0.c1023", [{ domain: "sshd_t" }, no, {}]],
    ["unconfined", [no, { domain: "unconfined" }, {}]],
    ["/usr/sbin/ntpd (enforce)", [no, { domain: "/usr/sbin/ntpd" }, no]],
    ["/usr/sbin/cupsd (complain)", [no, { domain: "/usr/sbin/cupsd" }, no]],
    ["lxc-container-default-cgns//&docker-default (enforce)", [no, { domain: "lxc-container-default-cgns//&docker-default" }, no]],
    ["my profile (with space) (kill)", [no, { domain: "my profile (with space)" }, no]],
    ["/usr/bin/x (Enforce)", [no, no, no]],
    ["System", [no, no, {}]],
    ["_", [no, no, {}]],
    ["a/b", [no, no, no]],
    ["x".repeat(256), [no, no, no]],
    ["", [no, no, no]],
  ];
  for (const [text, [se, aa, sm]] of cases) {
    test(JSON.stringify(text.slice(0, 60)), () => assert.deepEqual([selinux.parse(text), apparmor.parse(text), smack.parse(text)], [se, aa, sm]));
  }
});

describe("parseSharedLabel: whose label attr/current holds, by its format", () => {
  const cases: [string, SecurityLabel | undefined][] = [
    ["system_u:system_r:init_t:s0", { module: "selinux", raw: "system_u:system_r:init_t:s0", domain: "init_t" }],
    ["unconfined", { module: "apparmor", raw: "unconfined", domain: "unconfined" }],
    ["/usr/sbin/ntpd (enforce)", { module: "apparmor", raw: "/usr/sbin/ntpd (enforce)", domain: "/usr/sbin/ntpd" }],
    ["System", { module: "smack", raw: "System" }],
    ["odd/label with spaces", { module: "unknown", raw: "odd/label with spaces" }],
    ["", undefined],
  ];
  for (const [text, want] of cases) test(JSON.stringify(text), () => assert.deepEqual(parseSharedLabel(text), want));

  test("from a module's own file the module is certain; the domain only in its format", () => {
    assert.deepEqual(parseLabelAs(apparmor, "odd text"), { module: "apparmor", raw: "odd text" });
    assert.deepEqual(parseLabelAs(smack, "User"), { module: "smack", raw: "User" });
    assert.equal(parseLabelAs(smack, ""), undefined);
  });
});

describe("the module list", () => {
  test("registered modules in the list's order; modules without process labels left out", () => {
    assert.deepEqual(activeProviders(["lockdown", "capability", "landlock", "yama", "apparmor"]).map((p) => p.module), ["apparmor"]);
    assert.deepEqual(activeProviders(["capability", "smack", "selinux"]).map((p) => p.module), ["smack", "selinux"]);
    assert.deepEqual(activeProviders([]), []);
  });

  test("readModuleList reads <securityfs>/lsm; undefined where securityfs is not mounted", () => {
    const fs = trees.make({ lsm: "lockdown,capability,yama,apparmor" });
    assert.deepEqual(readModuleList(fs), ["lockdown", "capability", "yama", "apparmor"]);
    assert.equal(readModuleList(join(fs, "nonexistent")), undefined);
  });

  test("securityfs beside the proc root: /proc → /sys/kernel/security, DIR/proc → DIR/sys/kernel/security", () => {
    assert.equal(securityfsFor("/proc"), "/sys/kernel/security");
    assert.equal(securityfsFor("/host/proc"), "/host/sys/kernel/security");
    assert.equal(securityfsFor("/host/proc/"), "/host/sys/kernel/security");
  });
});

/** A process directory; `attr` adds files under attr/ ("current", "apparmor/current"...). */
function p(pid: number, comm: string, attr: Record<string, string> = {}): DirSpec {
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(attr)) files[`attr/${name}`] = content;
  return { stat: statLine({ pid, comm }), status: statusText({ pid, name: comm }), cmdline: [comm], exe: link(`/usr/sbin/${comm}`), ...files };
}

function labelsOf(root: string, securityfs?: string): Map<number, readonly SecurityLabel[] | string | undefined> {
  const s = takeSnapshot(root, { plan: () => Field.label, checkVisibility: false, ...(securityfs === undefined ? {} : { securityfs }) });
  return new Map(s.processes.map((rec: ProcessRecord) => [rec.pid, rec.labels ?? rec.unknownWhy?.label]));
}

describe("reading labels from fixture trees", () => {
  test("no module list: attr/current, recognised by its format (SELinux, AppArmor, Smack)", () => {
    const root = trees.make({
      1: p(1, "systemd", { current: "system_u:system_r:init_t:s0\0" }),
      2: p(2, "ntpd", { current: "/usr/sbin/ntpd (enforce)\n" }),
      3: p(3, "smackd", { current: "System" }),
      4: p(4, "none"),
    });
    assert.deepEqual([...labelsOf(root, join(root, "no-securityfs"))], [
      [1, [{ module: "selinux", raw: "system_u:system_r:init_t:s0", domain: "init_t" }]],
      [2, [{ module: "apparmor", raw: "/usr/sbin/ntpd (enforce)", domain: "/usr/sbin/ntpd" }]],
      [3, [{ module: "smack", raw: "System" }]],
      [4, "ENOENT"],
    ]);
  });

  test("AppArmor listed active: its own attr/apparmor/current is read, not attr/current", () => {
    const fs = trees.make({ lsm: "lockdown,capability,landlock,yama,apparmor" });
    const root = trees.make({
      640: p(640, "ntpd", { "apparmor/current": "/usr/sbin/ntpd (enforce)\n", current: "stale view of another module\n" }),
      1: p(1, "systemd", { "apparmor/current": "unconfined\n", current: "unconfined\n" }),
    });
    assert.deepEqual([...labelsOf(root, fs)], [
      [1, [{ module: "apparmor", raw: "unconfined", domain: "unconfined" }]],
      [640, [{ module: "apparmor", raw: "/usr/sbin/ntpd (enforce)", domain: "/usr/sbin/ntpd" }]],
    ]);
  });

  test("Smack listed active: attr/smack/current, a plain label without domain", () => {
    const fs = trees.make({ lsm: "capability,smack" });
    const root = trees.make({ 7: p(7, "app", { "smack/current": "User", current: "User" }) });
    assert.deepEqual([...labelsOf(root, fs)], [[7, [{ module: "smack", raw: "User" }]]]);
  });

  test("stacked modules: one label per active module, in the list's order", () => {
    const fs = trees.make({ lsm: "capability,smack,apparmor" });
    const root = trees.make({
      9: p(9, "web", { "smack/current": "Web", "apparmor/current": "nginx (enforce)\n", current: "Web" }),
      10: p(10, "db", { "smack/current": "DB", "apparmor/current": "unconfined\n", current: "DB" }),
    });
    assert.deepEqual([...labelsOf(root, fs)], [
      [9, [{ module: "smack", raw: "Web" }, { module: "apparmor", raw: "nginx (enforce)", domain: "nginx" }]],
      [10, [{ module: "smack", raw: "DB" }, { module: "apparmor", raw: "unconfined", domain: "unconfined" }]],
    ]);
  });

  test("SELinux listed with another module: attr/current is kept only when it is an SELinux context", () => {
    const fs = trees.make({ lsm: "selinux,apparmor" });
    const root = trees.make({
      11: p(11, "a", { current: "system_u:system_r:sshd_t:s0\0", "apparmor/current": "unconfined\n" }),
      12: p(12, "b", { current: "unconfined\n", "apparmor/current": "unconfined\n" }),
    });
    assert.deepEqual([...labelsOf(root, fs)], [
      [11, [{ module: "selinux", raw: "system_u:system_r:sshd_t:s0", domain: "sshd_t" }, { module: "apparmor", raw: "unconfined", domain: "unconfined" }]],
      [12, [{ module: "apparmor", raw: "unconfined", domain: "unconfined" }]],
    ]);
  });

  test("a kernel before 5.1 (no attr/apparmor/): the shared attr/current is the listed module's", () => {
    const fs = trees.make({ lsm: "capability,apparmor" });
    const root = trees.make({ 13: p(13, "old", { current: "/usr/bin/old (complain)\n" }) });
    assert.deepEqual([...labelsOf(root, fs)], [[13, [{ module: "apparmor", raw: "/usr/bin/old (complain)", domain: "/usr/bin/old" }]]]);
  });

  test("only modules without process labels listed: attr/current as without a list", () => {
    const fs = trees.make({ lsm: "capability,landlock,yama" });
    const root = trees.make({ 14: p(14, "x", { current: "system_u:system_r:crond_t:s0\0" }), 15: p(15, "y") });
    assert.deepEqual([...labelsOf(root, fs)], [[14, [{ module: "selinux", raw: "system_u:system_r:crond_t:s0", domain: "crond_t" }]], [15, "ENOENT"]]);
  });

  test("without the securityfs option, the one beside the proc root: DIR/proc and DIR/sys/kernel/security", () => {
    const top = trees.make({
      proc: { 20: p(20, "ntpd", { "apparmor/current": "/usr/sbin/ntpd (enforce)\n", current: "not this one\n" }) },
      sys: { kernel: { security: { lsm: "capability,apparmor" } } },
    });
    assert.deepEqual([...labelsOf(join(top, "proc"))], [[20, [{ module: "apparmor", raw: "/usr/sbin/ntpd (enforce)", domain: "/usr/sbin/ntpd" }]]]);
  });
});

describe("this machine's real /proc", () => {
  test("no security module active: the label is unknown with EINVAL, the process is kept", (t) => {
    const label = ownLabel();
    if (label !== undefined) {
      t.skip(`a security module is active here (label ${JSON.stringify(label)})`);
      return;
    }
    const s = takeSnapshot("/proc", { plan: (rec) => (rec.pid === process.pid ? Field.label : 0) });
    const me = s.processes.find((rec) => rec.pid === process.pid);
    assert.deepEqual([me?.labels, me?.unknownMask, me?.unknownWhy], [undefined, Field.label, { label: "EINVAL" }]);
  });
});
