// Security checks end to end: fixture /proc trees (SELinux labels, a selinuxfs enforce file, a
// deleted exe link, gid 0 without uid 0, a hostile name; AppArmor per-module files for domain=)
// and real processes (a process run as uid 65534 with gid 0, a deleted copy of sleep, an exe
// path spoofed in a user namespace), plus this machine without a security module.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test, type TestContext } from "node:test";
import { runCli } from "../helpers/cli.js";
import { E2E_REQUIRED, haveRoot, ownLabel } from "../helpers/e2e.js";
import { ProcessPool, uniqueName, waitFor, waitForComm } from "../helpers/procs.js";
import { type DirSpec, fixtureRoot, link, statLine, statusText, SYSTEM_STAT, TreePool } from "../helpers/proctree.js";

const pool = new ProcessPool();
const trees = new TreePool();
after(async () => {
  await pool.cleanup();
  trees.cleanup();
});
const tree = (spec: Parameters<TreePool["make"]>[0]): string => trees.make(spec);

type Ids = number | readonly [number, number, number, number];

/** One process directory; `type` gives an SELinux label system_u:system_r:TYPE:s0 (with the kernel's NUL). */
function p(pid: number, comm: string, f: { uid?: Ids; gid?: Ids; exe?: string; type?: string } = {}): DirSpec {
  return {
    stat: statLine({ pid, comm, starttime: 1000 + pid }),
    status: statusText({ pid, name: comm, uid: f.uid ?? 0, gid: f.gid ?? f.uid ?? 0 }),
    cmdline: [comm],
    exe: link(f.exe ?? `/usr/sbin/${comm}`),
    "attr/current": f.type === undefined ? null : `system_u:system_r:${f.type}:s0\0`,
  };
}

/** A directory standing in for selinuxfs, with enforce reading `value`. */
function selinuxfs(value: string): string {
  return trees.make({ enforce: value });
}

describe("SELinux checks on fixture trees", () => {
  const sel = ["selinux-init-t", "selinux-initrc-t"].join(",");

  test("init_t twice fails and names the second process, not init", async () => {
    const root = tree({ 1: p(1, "systemd", { type: "init_t", exe: "/usr/lib/systemd/systemd" }), 40: p(40, "mydaemon", { type: "init_t" }), 41: p(41, "sshd", { type: "sshd_t" }) });
    const r = await runCli(["check", "--proc-root", root, "--security", sel]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, [
      "sec:selinux-init-t:mydaemon@root",
      "security selinux-init-t: 1 process in init_t other than pid 1 (only init belongs there)",
      "  pid 40 name mydaemon user root exe /usr/sbin/mydaemon label system_u:system_r:init_t:s0",
      "",
    ].join("\n"));
  });

  test("init_t once (init itself) is fine", async () => {
    const root = tree({ 1: p(1, "systemd", { type: "init_t" }), 41: p(41, "sshd", { type: "sshd_t" }) });
    const r = await runCli(["check", "--proc-root", root, "--security", sel]);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
    const n = await runCli(["check", "--proc-root", root, "--security", sel, "--format", "nagios"]);
    assert.equal(n.stdout, "PROCS OK: security ok: selinux-init-t, selinux-initrc-t | 'sec_selinux_init_t'=0;;0:0;0; 'sec_selinux_initrc_t'=0;;0:0;0;\n");
  });

  test("any process in initrc_t fails; Nagios CRITICAL with perfdata", async () => {
    const root = tree({ 1: p(1, "systemd", { type: "init_t" }), 50: p(50, "legacyd", { type: "initrc_t", uid: 107 }) });
    const r = await runCli(["check", "--proc-root", root, "--security", sel, "--format", "nagios"]);
    assert.equal(r.code, 2);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", /^PROCS CRITICAL: security: sec:selinux-initrc-t:legacyd@\S+ \| 'sec_selinux_init_t'=0;;0:0;0; 'sec_selinux_initrc_t'=1;;0:0;0;$/);
    assert.equal(lines[1], "security selinux-initrc-t: 1 process in initrc_t (started without a domain transition)");
    assert.match(lines[2] ?? "", /^ {2}pid 50 name legacyd user \S+ exe \/usr\/sbin\/legacyd label system_u:system_r:initrc_t:s0$/);
  });

  test("the checked-in selinux fixture: its rc-script daemon is in initrc_t", async () => {
    const root = fixtureRoot("selinux");
    const r = await runCli(["check", "--proc-root", root, "--security", sel, "--format", "json"]);
    const doc = JSON.parse(r.stdout) as { ok: boolean; security: { checks: { check: string; state: string; offenders: { pid: number; type: string }[] }[] } };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.security.checks.map((c) => [c.check, c.state, c.offenders.map((o) => [o.pid, o.type])]), [
      ["selinux-init-t", "ok", []],
      ["selinux-initrc-t", "fail", [[1203, "initrc_t"]]],
    ]);
  });

  test("selinux-enforcing reads <selinuxfs>/enforce: 0 fails, 1 passes", async () => {
    const root = tree({ 1: p(1, "systemd", { type: "init_t" }) });
    const permissive = await runCli(["check", "--proc-root", root, "--security", "selinux-enforcing", "--selinuxfs", selinuxfs("0")]);
    assert.equal(permissive.code, 1);
    assert.equal(permissive.stdout, "sec:selinux-enforcing:permissive\nsecurity selinux-enforcing: SELinux is permissive (enforce reads 0)\n");
    const enforcing = await runCli(["check", "--proc-root", root, "--security", "selinux-enforcing", "--selinuxfs", selinuxfs("1")]);
    assert.deepEqual([enforcing.code, enforcing.stdout], [0, ""]);
    const nagios = await runCli(["check", "--proc-root", root, "--security", "selinux-enforcing", "--selinuxfs", selinuxfs("0"), "--format", "nagios"]);
    assert.equal(nagios.stdout.split("\n")[0], "PROCS CRITICAL: security: sec:selinux-enforcing:permissive | 'sec_selinux_enforcing'=1;;0:0;0;");
  });

  test("a tree without labels: the SELinux checks are not applicable, never a failure", async () => {
    const root = tree({ 1: p(1, "systemd"), 41: p(41, "sshd") });
    const r = await runCli(["check", "--proc-root", root, "--security", "all", "--selinuxfs", join(root, "nonexistent"), "--format", "json"]);
    const doc = JSON.parse(r.stdout) as { ok: boolean; security: { checks: { check: string; state: string; note?: string }[] } };
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.security.checks.map((c) => [c.check, c.state]), [
      ["gid0-not-uid0", "ok"], ["deleted-exe", "ok"], ["selinux-init-t", "not-applicable"], ["selinux-initrc-t", "not-applicable"], ["selinux-enforcing", "not-applicable"],
    ]);
    assert.equal(doc.security.checks[2]?.note, "not applicable (no security module active)");
  });
});

describe("process checks on fixture trees", () => {
  test("gid 0 with uid 65534: every id is named", async () => {
    const root = tree({ 1: p(1, "systemd"), 30: p(30, "sneaky", { uid: 65534, gid: [0, 0, 0, 0], exe: "/usr/bin/sneaky" }), 31: p(31, "nobodyd", { uid: 65534 }) });
    const r = await runCli(["check", "--proc-root", root, "--security", "gid0-not-uid0"]);
    assert.equal(r.code, 1);
    const [summary, head, line] = r.stdout.split("\n");
    assert.match(summary ?? "", /^sec:gid0-not-uid0:sneaky@(nobody|65534)$/);
    assert.equal(head, "security gid0-not-uid0: 1 process with group id 0 but user id not 0");
    assert.match(line ?? "", /^ {2}pid 30 name sneaky user (nobody|65534) exe \/usr\/bin\/sneaky ruid 65534 euid 65534 suid 65534 rgid 0 egid 0 sgid 0$/);
  });

  test("a deleted exe is reported, memfd is not; exemptions by name and user", async () => {
    const root = tree({
      1: p(1, "systemd"),
      20: p(20, "ntpd", { exe: "/usr/sbin/ntpd (deleted)", uid: 104 }),
      21: p(21, "runc", { exe: "/memfd:runc_cloned:/proc/self/exe (deleted)" }),
      22: p(22, "cron", { exe: "/usr/sbin/cron (deleted)" }),
      23: p(23, "vim", { exe: "/usr/bin/vim.basic (deleted)", uid: 1000 }),
    });
    const run = (...flags: string[]) => runCli(["check", "--proc-root", root, "--security", "deleted-exe", ...flags]);
    const r = await run();
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", /^sec:deleted-exe:cron@root sec:deleted-exe:ntpd@\S+ sec:deleted-exe:vim@\S+$/);
    assert.equal(lines[1], "security deleted-exe: 3 processes running a deleted or replaced executable");
    assert.match(lines[2] ?? "", /^ {2}pid 20 name ntpd user \S+ exe \/usr\/sbin\/ntpd \(deleted\)$/);
    assert.ok(!r.stdout.includes("runc"), "memfd executables are ignored");
    const maxUid = await run("--deleted-exe-max-uid", "999", "--security-exempt", "cron");
    assert.match(maxUid.stdout.split("\n")[0] ?? "", /^sec:deleted-exe:ntpd@\S+$/);
    assert.equal(maxUid.stdout.split("\n")[1], "security deleted-exe: 1 process running a deleted or replaced executable; 1 exempt");
    assert.equal((await run("--security-exempt-user", "root", "--security-exempt-user", "104", "--deleted-exe-max-uid", "999")).code, 0);
    assert.equal((await run("--security-exempt-user", "nosuchuser")).stdout, "procwatch: --security-exempt-user: unknown user \"nosuchuser\"\n");
  });

  test("with count rules and the CPU check in the same run, one summary line", async () => {
    const root = tree({ uptime: "1000.00 0\n", 1: p(1, "systemd"), 20: p(20, "ntpd", { exe: "/usr/sbin/ntpd (deleted)" }) });
    const r = await runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "--cpu-max", "80", "--security", "gid0-not-uid0,deleted-exe", "sshd:1-", "ntpd:1-1"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.split("\n")[0], "sshd:0 sec:deleted-exe:ntpd@root");
    const n = await runCli(["check", "--proc-root", root, "--clock-ticks", "100", "--cpu-lifetime", "--cpu-max", "80", "--security", "gid0-not-uid0,deleted-exe", "ntpd:1-1", "--format", "nagios"]);
    assert.equal(n.stdout.split("\n")[0], "PROCS CRITICAL: security: sec:deleted-exe:ntpd@root | 'ntpd'=1;;1:1;0; 'cpu_runaway'=0;;0:0;0; 'sec_gid0_not_uid0'=0;;0:0;0; 'sec_deleted_exe'=1;;0:0;0;");
  });

  test("a hostile name stays escaped in every format", async () => {
    const root = tree({ 1: p(1, "systemd"), 7: p(7, "x\nOK|y", { exe: "/tmp/a|b\n (deleted)" }) });
    const nagios = await runCli(["check", "--proc-root", root, "--security", "deleted-exe", "--format", "nagios"]);
    assert.equal(nagios.code, 2);
    const lines = nagios.stdout.split("\n");
    assert.equal(lines[0]?.split("|").length, 2, "exactly one raw '|' on line 1");
    assert.match(lines[0] ?? "", /sec:deleted-exe:x%0AOK%7Cy@root/);
    assert.ok(lines.slice(1).every((l) => !l.includes("|")));
    assert.ok(lines.includes("  pid 7 name x%0AOK%7Cy user root exe /tmp/a%7Cb%0A (deleted)"), nagios.stdout);
    const mon = await runCli(["check", "--proc-root", root, "--security", "deleted-exe"]);
    assert.equal(mon.stdout.split("\n")[0], "sec:deleted-exe:x%0AOK%7Cy@root");
    const json = await runCli(["check", "--proc-root", root, "--security", "deleted-exe", "--format", "json"]);
    assert.ok(!/[\x00-\x1f]/.test(json.stdout.trimEnd()));
  });

  test("usage errors name the flag", async () => {
    const bad = await runCli(["check", "--security", "gid0,deleted-exe"]);
    assert.equal(bad.code, 1);
    // a commander argument error: on stderr, stdout (mon's summary) empty
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /--security: unknown check "gid0"/);
    const nagios = await runCli(["check", "--security", "nope", "--format", "nagios"]);
    assert.equal(nagios.code, 3);
    assert.equal((await runCli(["check", "--selinuxfs", "/x"])).stdout, "procwatch: --selinuxfs needs --security\n");
  });
});

describe("real processes", () => {
  test("a process run as uid 65534 with gid 0 is reported by gid0-not-uid0", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("g");
    const proc = await pool.start(name, { uid: 65534, gid: 0 });
    const r = await runCli(["check", "--security", "gid0-not-uid0"]);
    assert.equal(r.code, 1, r.stdout);
    const tokens = (r.stdout.split("\n")[0] ?? "").split(" ");
    assert.ok(tokens.some((x) => x === `sec:gid0-not-uid0:${name}@nobody` || x === `sec:gid0-not-uid0:${name}@65534`), r.stdout);
    const line = r.stdout.split("\n").find((l) => l.startsWith(`  pid ${proc.pid} `)) ?? "";
    assert.match(line, /ruid 65534 euid 65534 suid 65534 rgid 0 egid 0 sgid 0$/);
    await pool.kill(proc);
  });

  test("a process running a deleted copy of sleep is reported by deleted-exe", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("d");
    const dir = join(pool.directory, "deleted");
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, name);
    copyFileSync("/bin/sleep", copy);
    const child = pool.spawnCommand(copy, ["600"]);
    await waitForComm(child.pid as number, name);
    unlinkSync(copy);
    const r = await runCli(["check", "--security", "deleted-exe"]);
    assert.equal(r.code, 1, r.stdout);
    assert.ok((r.stdout.split("\n")[0] ?? "").split(" ").includes(`sec:deleted-exe:${name}@root`), r.stdout);
    assert.ok(r.stdout.split("\n").includes(`  pid ${child.pid} name ${name} user root exe ${copy} (deleted)`), r.stdout);
    const n = await runCli(["check", "--security", "deleted-exe", "--format", "nagios"]);
    assert.equal(n.code, 2, n.stdout);
    assert.match(n.stdout.split("\n")[0] ?? "", /'sec_deleted_exe'=(U|[1-9]\d*);;0:0;0;$/);
    await pool.kill(child);
  });

  test("as nobody, root's exe links are unreadable: the unknown names its processes (pid, name, user, why), capped", async (t) => {
    if (!haveRoot(t)) return;
    const name = uniqueName("u");
    const proc = await pool.start(name);
    const NOBODY = { uid: 65534, gid: 65534 };
    const r = await runCli(["check", "--security", "deleted-exe", "--detail-limit", "3"], NOBODY);
    const lines = r.stdout.split("\n");
    const head = /^security deleted-exe: unknown: (\d+) processes could not be checked: exe unreadable \(EACCES\)$/.exec(lines[1] ?? "");
    assert.ok(head !== null, r.stdout);
    const undecided = Number(head[1]);
    assert.ok(undecided >= 2, r.stdout);
    const shown = lines.slice(2, 2 + Math.min(3, undecided));
    for (const l of shown) assert.match(l, /^ {2}undecided: pid \d+ name \S+ user \S+ exe \? \(EACCES\): exe unreadable \(EACCES\)$/);
    if (undecided > 3) assert.equal(lines[5], `  ... and ${undecided - 3} more`);
    // JSON names every one up to the limit, ours among them when the limit reaches it.
    const j = await runCli(["check", "--security", "deleted-exe", "--format", "json", "--detail-limit", "1000"], NOBODY);
    const doc = JSON.parse(j.stdout) as { security: { checks: { undecided: number; undecidedProcesses: { pid: number; name: string; user: string; why: string }[]; moreUndecided: number }[] } };
    const check = doc.security.checks[0];
    assert.ok(check !== undefined);
    // The machine is shared: more root processes than the limit may run here (then JSON counts the rest).
    const listed = Math.min(check.undecided, 1000);
    assert.equal(check.undecidedProcesses.length, listed);
    assert.equal(check.moreUndecided, check.undecided - listed);
    for (const u of check.undecidedProcesses) assert.deepEqual([typeof u.name, u.why], ["string", "exe unreadable (EACCES)"]);
    const ours = check.undecidedProcesses.find((u) => u.pid === proc.pid);
    if (check.undecided <= 1000) assert.deepEqual(ours && [ours.name, ours.user, ours.why], [name, "root", "exe unreadable (EACCES)"]);
    else if (ours !== undefined) assert.deepEqual([ours.name, ours.user], [name, "root"]);
    await pool.kill(proc);
  });

  test("this machine has no security module: the SELinux checks are not applicable", async (t) => {
    const label = ownLabel();
    if (label !== undefined) {
      t.skip(`a security module is active here (label ${JSON.stringify(label)})`);
      return;
    }
    const sel = ["--security", "selinux-init-t,selinux-initrc-t,selinux-enforcing"];
    const mon = await runCli(["check", ...sel]);
    assert.deepEqual([mon.code, mon.stdout], [0, ""]);
    const nagios = await runCli(["check", ...sel, "--format", "nagios"]);
    assert.deepEqual([nagios.code, nagios.stdout], [0, "PROCS OK: security not applicable: selinux-init-t, selinux-initrc-t, selinux-enforcing\n"]);
    const json = JSON.parse((await runCli(["check", ...sel, "--format", "json"])).stdout) as { ok: boolean; security: { checks: { state: string; note: string }[] } };
    assert.equal(json.ok, true);
    assert.deepEqual(json.security.checks.map((c) => c.state), ["not-applicable", "not-applicable", "not-applicable"]);
    assert.equal(json.security.checks[0]?.note, "not applicable (no security module active)");
    // In mon, when the run fails for another reason, the detail says the checks did not apply.
    const failing = await runCli(["check", ...sel, "pwnosuchproc:1-"]);
    assert.equal(failing.stdout, [
      "pwnosuchproc:0",
      "pwnosuchproc:0 < 1 (1-)",
      "security selinux-init-t: not applicable (no security module active)",
      "security selinux-initrc-t: not applicable (no security module active)",
      "security selinux-enforcing: not applicable (SELinux not active: no /sys/fs/selinux/enforce)",
      "",
    ].join("\n"));
  });
});

/** Whether a security module is active here; label tests on the real /proc need none. */
function activeLabel(): string | undefined {
  try {
    return readFileSync("/proc/self/attr/current", "latin1");
  } catch {
    return undefined; // EINVAL: no security module
  }
}

describe("domain= and label= rules", () => {
  test("the checked-in selinux fixture: domain=sshd_t counts the real sshd, not alice's copy", async () => {
    const root = fixtureRoot("selinux");
    const ok = await runCli(["check", "--proc-root", root, "sshd:1-1,domain=sshd_t", "sshd:1-1,domain=unconfined_t", "sshd:2-2,label=*:s0-s0:c0.c1023"]);
    assert.deepEqual([ok.code, ok.stdout], [0, ""]);
    const r = await runCli(["check", "--proc-root", root, "sshd:2-,domain=sshd_t"]);
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 3), ["sshd,domain=sshd_t:1", "sshd,domain=sshd_t:1 < 2 (2-)", "  pid 812 name sshd user root exe /usr/sbin/sshd"]);
    assert.match(lines[3] ?? "", /^ {2}near miss: pid 2255 name sshd user \S+ exe \/home\/alice\/sshd: domain=sshd_t: domain is unconfined_t$/);
  });

  test("AppArmor per-module files listed in DIR/sys/kernel/security/lsm: domain= is the profile", async () => {
    const aa = (pid: number, comm: string, label: string): DirSpec => ({ ...p(pid, comm), "attr/apparmor/current": `${label}\n`, "attr/current": "not read when the list names apparmor\n" });
    const top = tree({
      proc: { stat: SYSTEM_STAT, 1: aa(1, "systemd", "unconfined"), 640: aa(640, "ntpd", "/usr/sbin/ntpd (enforce)"), 702: aa(702, "cupsd", "/usr/sbin/cupsd (complain)") },
      sys: { kernel: { security: { lsm: "lockdown,capability,landlock,yama,apparmor" } } },
    });
    const root = join(top, "proc");
    const ok = await runCli(["check", "--proc-root", root, "ntpd:1-1,domain=/usr/sbin/ntpd", "cupsd:1-1,label=* (complain)", "systemd:1-1,domain=unconfined"]);
    assert.deepEqual([ok.code, ok.stdout], [0, ""]);
    const r = await runCli(["check", "--proc-root", root, "cupsd:1-,domain=/usr/sbin/cups*,label=*(enforce)"]);
    assert.deepEqual(r.stdout.split("\n"), [
      "cupsd,domain=/usr/sbin/cups*,label=*(enforce):0",
      "cupsd,domain=/usr/sbin/cups*,label=*(enforce):0 < 1 (1-)",
      "  near miss: pid 702 name cupsd user root exe /usr/sbin/cupsd: label=*(enforce): label is /usr/sbin/cupsd (complain)",
      "",
    ]);
  });

  test("this machine has no security module: domain= and label= rules are unknown and say not applicable", async (t) => {
    const label = activeLabel();
    if (label !== undefined) {
      t.skip(`a security module is active here (label ${JSON.stringify(label)})`);
      return;
    }
    const name = uniqueName("l");
    const proc = await pool.start(name);
    const mon = await runCli(["check", `${name}:1-,domain=sshd_t`, `${name}:0-0,label=*:sshd_t:*`]);
    assert.equal(mon.code, 1, mon.stdout);
    const lines = mon.stdout.split("\n");
    assert.equal(lines[0], `${name},domain=sshd_t:unknown ${name},label=*:sshd_t:*:unknown`);
    assert.ok(lines.some((l) => new RegExp(`^  undecided: pid ${proc.pid} name ${name} user \\S+ exe \\S+: domain= not applicable \\(no security module active\\)$`).test(l)), mon.stdout);
    assert.ok(lines.some((l) => new RegExp(`^  undecided: pid ${proc.pid} name ${name} user \\S+ exe \\S+: label= not applicable \\(no security module active\\)$`).test(l)), mon.stdout);
    const nagios = await runCli(["check", `${name}:1-,domain=sshd_t`, "--format", "nagios"]);
    assert.equal(nagios.code, 3, nagios.stdout);
    assert.match(nagios.stdout.split("\n")[0] ?? "", /^PROCS UNKNOWN: /);
    await pool.kill(proc);
  });
});

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** readlink /proc/PID/ns/mnt, e.g. "mnt:[4026532179]". */
const mountNs = (pid: number | undefined) => readlinkSync(`/proc/${pid}/ns/mnt`);

/** Whether this machine lets us bind-mount in an unprivileged user+mount namespace; otherwise
 * skips loudly, or fails under PROCWATCH_E2E_REQUIRED=1. */
function haveUserNamespaces(t: TestContext, fake: string, target: string, uid?: number): boolean {
  const as = uid === undefined ? {} : { uid, gid: uid };
  const r = spawnSync("unshare", ["-Urm", "sh", "-c", 'mount --bind "$1" "$2"', "sh", fake, target], { encoding: "utf8", timeout: 10_000, ...as });
  if (r.status === 0) return true;
  const reason = `needs unprivileged user namespaces (unshare -Urm with mount --bind failed: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}; sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)`;
  if (E2E_REQUIRED) throw new Error(`PROCWATCH_E2E_REQUIRED=1 but ${reason}`);
  process.stderr.write(`\n*** SKIPPED ${t.name}: ${reason} ***\n`);
  t.skip(reason);
  return false;
}

describe("exe path spoofed in a user namespace", () => {
  test("a bind mount over the path is not counted by /PATH or exe=; the detail shows both files", async (t) => {
    const name = uniqueName("s");
    // '|' in the directory: every path in the output must come out escaped.
    const dir = join(pool.directory, "spoof|dir");
    mkdirSync(dir, { recursive: true });
    const target = join(dir, name);
    const fake = join(dir, `fake-${name}`);
    copyFileSync("/bin/sleep", target);
    copyFileSync("/bin/sleep", fake);
    if (!haveUserNamespaces(t, fake, target)) return;
    const spoof = pool.spawnCommand("unshare", ["-Urm", "sh", "-c", 'mount --bind "$1" "$2" && exec "$2" 600', "sh", fake, target]);
    await waitForComm(spoof.pid as number, name);
    assert.equal(readFileSync(`/proc/${spoof.pid}/comm`, "latin1"), `${name}\n`);
    const esc = (s: string) => s.replace(/\|/g, "%7C");
    const f = statSync(fake);
    const here = statSync(target);
    const mismatch = `exe ${esc(target)} is another file than ${esc(target)} here (dev:inode ${f.dev}:${f.ino}, here ${here.dev}:${here.ino})`;

    // Only the spoofed process runs: a rule that must not see it holds. (A /PATH rule reads every
    // process's exe, and where PID 1's is unreadable even to root, in a container, it stays
    // undecided: explain shows its count and near misses whatever the verdict.)
    const none = await runCli(["check", `${name}:0-0,exe=${target}`]);
    assert.deepEqual([none.code, none.stdout], [0, ""]);
    const path = await runCli(["explain", `${target}:0-0`]);
    assert.match(path.stdout.split("\n")[0] ?? "", new RegExp(`^rule ${escapeRegExp(esc(target))}:0-0: (ok|unknown), 0 matching`), path.stdout);
    assert.ok(path.stdout.split("\n").includes(`  near miss: pid ${spoof.pid} name ${name} user root exe ${esc(target)}: ${mismatch}; mount namespace ${mountNs(spoof.pid)}, procwatch's ${mountNs(process.pid)}`), path.stdout);

    // With a rule that wants one, mon's detail names the near miss and both files, escaped.
    const r = await runCli(["check", `${name}:1-,exe=${dir}/*`]);
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(r.stdout.split("\n"), [
      `${name},exe=${esc(dir)}/*:0`,
      `${name},exe=${esc(dir)}/*:0 < 1 (1-)`,
      `  near miss: pid ${spoof.pid} name ${name} user root exe ${esc(target)}: exe=${esc(dir)}/*: ${mismatch}; mount namespace ${mountNs(spoof.pid)}, procwatch's ${mountNs(process.pid)}`,
      "",
    ]);

    // A genuine process at that path is counted; the spoofed one still is not.
    const real = pool.spawnCommand(target, ["600"]);
    await waitForComm(real.pid as number, name);
    const both = await runCli(["check", `${name}:1-1,exe=${target}`]);
    assert.deepEqual([both.code, both.stdout], [0, ""]);
    const explainRule = await runCli(["explain", `${target}:1-1`]);
    assert.match(explainRule.stdout.split("\n")[0] ?? "", /: (ok|unknown), 1 matching/, explainRule.stdout);
    assert.ok(explainRule.stdout.includes(`  match: pid ${real.pid} name ${name} user root exe ${esc(target)}\n`), explainRule.stdout);
    const explain = await runCli(["explain", "--pid", String(spoof.pid)]);
    assert.ok(explain.stdout.split("\n").some((l) => l.startsWith(`exe file dev:inode ${f.dev}:${f.ino}, ${mismatch}`)), explain.stdout);
    await pool.kill(real);
    await pool.kill(spoof);
  });
});

const NOBODY = { uid: 65534, gid: 65534 };
/** The id of the mount at `target` in PID's mount namespace (/proc/PID/mountinfo, field 5). */
const mountIdIn = (pid: number | undefined, target: string) => {
  const line = readFileSync(`/proc/${pid}/mountinfo`, "latin1").split("\n").filter((l) => l.split(" ")[4] === target).at(-1);
  return Number(line?.split(" ")[0]);
};
/** The id of the mount `path` is on here, by util-linux (the last of stacked mounts). */
/** State S: the interpreter has read its script and sleeps in it. */
const sleeping = (pid: number | undefined) => readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1]?.startsWith("S") === true;
const findmntId = (path: string) => Number(spawnSync("findmnt", ["-n", "-o", "ID", "-T", path], { encoding: "utf8" }).stdout.trim().split("\n").at(-1));

describe("path identity on fixture trees (<root>/self says where procwatch stands)", () => {
  test("a replaced exe on the path's own mount counts; an interpreter counts for its script by its root", async () => {
    const bin = tree({ "daemon (deleted)": "old", daemon: "new", "x.pl": "sleep 600;\n" });
    const perl = (pid: number, root: string) => ({
      stat: statLine({ pid, comm: "perl", starttime: 1000 + pid }),
      status: statusText({ pid, name: "perl", uid: 0, gid: 0 }),
      cmdline: ["perl", join(bin, "x.pl")],
      exe: link("/usr/bin/perl"),
      root: link(root),
      fd: { 0: link("/dev/null") },
      ns: { mnt: link(root === "/" ? "mnt:[4026531841]" : "mnt:[4026532290]") },
    });
    const spec = {
      30: { ...p(30, "daemon"), exe: link(join(bin, "daemon (deleted)")) },
      31: perl(31, "/"),
      32: perl(32, bin),
    };
    const root = tree({ self: { root: link("/"), ns: { mnt: link("mnt:[4026531841]") } }, ...spec });
    const ok = await runCli(["check", "--proc-root", root, `${bin}/daemon:1-1`, `${bin}/x.pl:1-1`]);
    assert.deepEqual([ok.code, ok.stdout], [0, ""]);
    const r = await runCli(["explain", "--proc-root", root, `${bin}/x.pl:1-1`]);
    assert.deepEqual(r.stdout.split("\n"), [
      `rule ${bin}/x.pl:1-1: ok, 1 matching (range 1-1)`,
      `  match: pid 31 name x.pl user root exe /usr/bin/perl`,
      `  near miss: pid 32 name x.pl user root exe /usr/bin/perl: script ${bin}/x.pl not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${bin}/x.pl here; mount namespace mnt:[4026532290], procwatch's mnt:[4026531841]`,
      "",
    ]);
    // A tree that does not say where procwatch stands cannot prove a closed script: undecided.
    const bare = tree(spec);
    const u = await runCli(["check", "--proc-root", bare, `${bin}/x.pl:1-`]);
    assert.equal(u.code, 1);
    assert.equal(u.stdout.split("\n")[0], `${bin}/x.pl:unknown`);
    assert.ok(u.stdout.includes(`  undecided: pid 31 name x.pl user root exe /usr/bin/perl: script ${bin}/x.pl not held open, and the process's root is unreadable (${bare}/self/root: ENOENT)\n`), u.stdout);
  });
});

describe("path identity survives mount tricks", () => {
  /** A directory nobody can use, with a copy of sleep standing for the real daemon's file. */
  function setup(prefix: string): { name: string; dir: string; target: string } {
    const name = uniqueName(prefix);
    const dir = join(pool.directory, `mnt-${name}`);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const target = join(dir, name);
    copyFileSync("/bin/sleep", target);
    return { name, dir, target };
  }

  test("(a) nobody's bind mount of a since-deleted file reads 'PATH (deleted)' on our device: never counted, nor when run through its /proc/PID/root from our namespace", async (t) => {
    if (!haveRoot(t)) return;
    const { name, dir, target } = setup("a");
    const src = join(dir, `src-${name}`);
    copyFileSync("/bin/sleep", src);
    if (!haveUserNamespaces(t, src, target, 65534)) return;
    const spoof = pool.spawnCommand("unshare", ["-rm", "sh", "-c", 'mount --bind "$1" "$2" && exec "$2" 600', "sh", src, target], NOBODY);
    await waitForComm(spoof.pid as number, name);
    unlinkSync(src);
    assert.equal(readlinkSync(`/proc/${spoof.pid}/exe`), `${target} (deleted)`);
    assert.equal(statSync(`/proc/${spoof.pid}/exe`).dev, statSync(target).dev, "same device: comparing devices proves nothing");
    // The same file run from procwatch's own mount namespace, through the spoof's root.
    const via = pool.spawnCommand(`/proc/${spoof.pid}/root${target}`, ["601"], NOBODY);
    await waitForComm(via.pid as number, name);
    assert.equal(readlinkSync(`/proc/${via.pid}/exe`), `${target} (deleted)`);
    assert.equal(mountNs(via.pid), mountNs(process.pid), "comparing mount namespaces proves nothing either");

    const bound = mountIdIn(spoof.pid, target);
    const here = findmntId(target);
    const why = `exe ${target} (deleted): replaced or deleted, and not proven to be the file that was at ${target} here (it is on mount ${bound}, ${target} here on mount ${here})`;
    const r = await runCli(["check", `${name}:1-,exe=${target}`]);
    assert.equal(r.code, 1, r.stdout);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 2), [`${name},exe=${target}:0`, `${name},exe=${target}:0 < 1 (1-)`]);
    // in PID order, and PIDs may wrap between the two
    assert.deepEqual(lines.slice(2).sort(), [
      "",
      `  near miss: pid ${spoof.pid} name ${name} user nobody exe ${target} (deleted): exe=${target}: ${why}; mount namespace ${mountNs(spoof.pid)}, procwatch's ${mountNs(process.pid)}`,
      `  near miss: pid ${via.pid} name ${name} user nobody exe ${target} (deleted): exe=${target}: ${why}`,
    ].sort());
    // A /PATH rule reads every exe (PID 1's may be unreadable here: then the verdict is unknown).
    const path = await runCli(["explain", `${target}:1-`]);
    assert.match(path.stdout.split("\n")[0] ?? "", new RegExp(`^rule ${escapeRegExp(target)}:1-: (fail|unknown), 0 matching`), path.stdout);
    assert.ok(path.stdout.includes(`  near miss: pid ${via.pid} name ${name} user nobody exe ${target} (deleted): ${why}\n`), path.stdout);
    // explain says what was compared, never "the file at PATH here".
    const explain = await runCli(["explain", "--pid", String(spoof.pid)]);
    const f = statSync(`/proc/${spoof.pid}/exe`);
    assert.ok(explain.stdout.split("\n").includes(`exe file dev:inode ${f.dev}:${f.ino}, ${why}; mount namespace ${mountNs(spoof.pid)}, procwatch's ${mountNs(process.pid)}`), explain.stdout);
    assert.ok(!explain.stdout.includes("the file at"), explain.stdout);
    await pool.kill(via);
    await pool.kill(spoof);
  });

  test("a daemon pending restart (its file replaced by rename, as dpkg does) still counts, and explain says why", async (t) => {
    if (!haveRoot(t)) return;
    const { name, target } = setup("r");
    const daemon = pool.spawnCommand(target, ["600"]);
    await waitForComm(daemon.pid as number, name);
    copyFileSync("/bin/sleep", `${target}.dpkg-new`);
    renameSync(`${target}.dpkg-new`, target);
    assert.equal(readlinkSync(`/proc/${daemon.pid}/exe`), `${target} (deleted)`);
    const r = await runCli(["check", `${name}:1-1,exe=${target}`]);
    assert.deepEqual([r.code, r.stdout], [0, ""]);
    const rule = await runCli(["explain", `${target}:1-`]);
    assert.ok(rule.stdout.includes(`  match: pid ${daemon.pid} name ${name} user root exe ${target} (deleted)\n`), rule.stdout);
    const explain = await runCli(["explain", "--pid", String(daemon.pid)]);
    const f = statSync(`/proc/${daemon.pid}/exe`);
    assert.ok(explain.stdout.split("\n").includes(`exe file dev:inode ${f.dev}:${f.ino}, replaced or deleted since it started (pending restart): on mount ${findmntId(target)}, the mount ${target} resolves to here`), explain.stdout);
    await pool.kill(daemon);
  });

  test("(b) perl running a script bound over the path in nobody's mount namespace is not counted for the path; the real one is", async (t) => {
    if (!haveRoot(t)) return;
    const { name, dir } = setup("b");
    const script = join(dir, `${name}.pl`);
    // __END__ makes perl keep the script open (as fd 3); without it perl closes it after reading.
    writeFileSync(script, "sleep 600;\n__END__\n", { mode: 0o644 });
    const held = join(dir, `held-${name}.pl`);
    writeFileSync(held, "sleep 601;\n__END__\n", { mode: 0o644 });
    const closed = join(dir, `closed-${name}.pl`);
    writeFileSync(closed, "sleep 602;\n", { mode: 0o644 });
    if (!haveUserNamespaces(t, held, script, 65534)) return;
    const spoof = (fake: string) => pool.spawnCommand("unshare", ["-rm", "sh", "-c", 'mount --bind "$1" "$2" && exec perl "$2"', "sh", fake, script], NOBODY);
    const heldSpoof = spoof(held);
    const closedSpoof = spoof(closed);
    const real = pool.spawnCommand("perl", [script], NOBODY);
    // comm turns "perl" at exec; the scripts are open (or read and closed) once perl sleeps.
    for (const c of [heldSpoof, closedSpoof, real]) await waitForComm(c.pid as number, "perl");
    await waitFor(() => ([heldSpoof, closedSpoof, real].every((c) => sleeping(c.pid)) ? true : undefined));

    const h = statSync(held);
    const s = statSync(script);
    const ns = (pid: number | undefined) => `; mount namespace ${mountNs(pid)}, procwatch's ${mountNs(process.pid)}`;
    const r = await runCli(["explain", `${script}:1-1`]);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", new RegExp(`^rule ${escapeRegExp(script)}:1-1: (ok|unknown), 1 matching`), r.stdout);
    assert.ok(lines.includes(`  match: pid ${real.pid} name ${name}.pl user nobody exe /usr/bin/perl`), r.stdout);
    assert.ok(lines.some((l) => new RegExp(`^  near miss: pid ${heldSpoof.pid} name ${name}.pl user nobody exe /usr/bin/perl: script ${escapeRegExp(script)} held open as fd \\d+ is another file than ${escapeRegExp(script)} here \\(dev:inode ${h.dev}:${h.ino}, here ${s.dev}:${s.ino}\\)${escapeRegExp(ns(heldSpoof.pid))}$`).test(l)), r.stdout);
    assert.ok(lines.includes(`  near miss: pid ${closedSpoof.pid} name ${name}.pl user nobody exe /usr/bin/perl: script ${script} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${script} here${ns(closedSpoof.pid)}`), r.stdout);
    // The name rule still counts all three (names are the process's word); the path rule, one.
    assert.deepEqual(await runCli(["check", `${name}.pl:3-3`]).then((c) => [c.code, c.stdout]), [0, ""]);

    const explainReal = await runCli(["explain", "--pid", String(real.pid)]);
    assert.ok(explainReal.stdout.split("\n").some((l) => new RegExp(`^script file ${escapeRegExp(script)}: held open as fd \\d+, the file at ${escapeRegExp(script)} here \\(same dev:inode ${s.dev}:${s.ino}\\)$`).test(l)), explainReal.stdout);
    const explainClosed = await runCli(["explain", "--pid", String(closedSpoof.pid)]);
    assert.ok(explainClosed.stdout.split("\n").includes(`script file ${script}: script ${script} not held open, and the process resolves paths from another root than procwatch's: not proven to be the file at ${script} here${ns(closedSpoof.pid)}`), explainClosed.stdout);
    for (const c of [heldSpoof, closedSpoof, real]) await pool.kill(c);
  });

  test("python closes its script: in procwatch's root it counts, and explain says it was not compared", async (t) => {
    if (!haveRoot(t)) return;
    const { name, dir } = setup("p");
    const script = join(dir, `${name}.py`);
    writeFileSync(script, "import time\ntime.sleep(600)\n", { mode: 0o644 });
    const py = pool.spawnCommand("/usr/bin/python3", [script], NOBODY);
    await waitForComm(py.pid as number, "python3");
    await waitFor(() => (sleeping(py.pid) ? true : undefined));
    const r = await runCli(["explain", `${script}:1-1`]);
    assert.ok(r.stdout.split("\n").some((l) => l.startsWith(`  match: pid ${py.pid} name ${name}.py user nobody exe /usr/bin/python3`)), r.stdout);
    const explain = await runCli(["explain", "--pid", String(py.pid)]);
    assert.ok(explain.stdout.split("\n").includes(`script file ${script}: not held open; the process resolves paths from procwatch's root (same mount and directory), so argv names the path procwatch sees (not compared by dev:inode)`), explain.stdout);
    await pool.kill(py);
  });
});
