// Every shipped example in the real tool it targets: each mon.cf loaded by the real mon daemon
// (every watch and service present), each Nagios object file through `nagios4 -v` beside Debian's
// templates, each YAML through `procwatch validate` against the account files of the host it is
// written for, and the packaged default configuration too. (The unit: test/otel-config/examples.test.ts.)
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli, runCommand } from "../helpers/cli.js";
import { haveTools } from "../helpers/e2e.js";
import { MON, MON_INSTALL, MONCMD, MonServer } from "../helpers/mon.js";
import { NAGIOS, NAGIOS_INSTALL } from "../helpers/nagios.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const MAIL_HOST_ETC = join(REPO, "test/fixtures/etc/debian-mail-host");
const tmp = mkdtempSync(join(tmpdir(), "pw-examples-tools-"));
// nagios4 -v reads the files as user nagios.
chmodSync(tmp, 0o755);
after(() => rmSync(tmp, { recursive: true, force: true }));

/** (watch, service) pairs a mon.cf declares, read the way mon's parser does: by keyword. */
function declaredServices(text: string): string[] {
  const out: string[] = [];
  let watch: string | undefined;
  for (const line of text.split("\n")) {
    const w = /^watch\s+(\S+)/.exec(line);
    if (w !== null) watch = w[1];
    const s = /^\s+service\s+(\S+)/.exec(line);
    if (s !== null && watch !== undefined) out.push(`${watch} ${s[1] as string}`);
  }
  return out;
}

describe("mon.cf examples in the real mon", () => {
  for (const file of ["examples/mon.cf", "examples/mail-server/mon.cf"]) {
    test(`${file}: mon loads every watch and service`, async (t) => {
      if (!haveTools(t, [MON, MONCMD], MON_INSTALL)) return;
      const text = readFileSync(join(REPO, file), "utf8");
      const expected = declaredServices(text);
      assert.ok(expected.length > 0, `${file} declares no service`);
      const monitors = [...text.matchAll(/^\s+monitor\s+(\S+)/gm)].map((m) => m[1] as string).filter((m) => m !== "procwatch.monitor");
      const alerts = [...text.matchAll(/^\s+(?:alert|upalert)\s+(\S+)/gm)].map((m) => m[1] as string);
      const stub = "#!/bin/sh\nexit 0\n";
      const mon = await MonServer.start({
        services: [],
        configBody: text,
        monitors: Object.fromEntries(monitors.map((m) => [m, stub])),
        alerts: Object.fromEntries(alerts.map((a) => [a, stub])),
      });
      try {
        const listed = (await mon.moncmd("list", "watch")).split("\n").map((l) => l.trim()).filter((l) => /^\S+ \S+$/.test(l));
        assert.deepEqual(listed.sort(), [...expected].sort(), `moncmd list watch for ${file}`);
      } finally {
        await mon.stop();
        mon.cleanup();
      }
    });
  }

  test("a blank line inside a watch ends it in mon (why the examples have none)", async (t) => {
    if (!haveTools(t, [MON, MONCMD], MON_INSTALL)) return;
    const body = "hostgroup g localhost\n\nwatch g\n\tservice a\n\t\tmonitor procwatch.monitor \"x:0-\" ;;\n\n\tservice b\n\t\tmonitor procwatch.monitor \"x:0-\" ;;\n";
    const mon = await MonServer.start({ services: [], configBody: body }).catch((e: unknown) => e);
    if (mon instanceof MonServer) {
      try {
        const listed = await mon.moncmd("list", "watch");
        assert.doesNotMatch(listed, /^g b$/m);
      } finally {
        await mon.stop();
        mon.cleanup();
      }
    } else {
      // mon refuses the file outright: equally a lost service.
      assert.ok(mon instanceof Error);
    }
  });
});

describe("Nagios object files in nagios4 -v", () => {
  const debianObjects = ["commands.cfg", "contacts.cfg", "timeperiods.cfg", "templates.cfg"].map((f) => join("/etc/nagios4/objects", f));
  const verify = async (objectFiles: readonly string[]): Promise<{ code: number | null; out: string }> => {
    const dir = mkdtempSync(join(tmp, "nagios-"));
    chmodSync(dir, 0o755);
    // nagios4 checks that user nagios could write its temp and result paths.
    mkdirSync(join(dir, "rw"), { mode: 0o777 });
    chmodSync(join(dir, "rw"), 0o777);
    // Debian's localhost.cfg needs the monitoring-plugins commands; this host is all the services need.
    writeFileSync(join(dir, "host.cfg"), "define host {\n  use linux-server\n  host_name localhost\n  address 127.0.0.1\n  check_command check_procwatch_daemon\n}\n");
    const copies = objectFiles.map((f, i) => {
      const copy = join(dir, `${i}.cfg`);
      writeFileSync(copy, readFileSync(f));
      return copy;
    });
    const cfg = join(dir, "nagios.cfg");
    writeFileSync(cfg, [...debianObjects, join(dir, "host.cfg"), ...copies].map((f) => `cfg_file=${f}`)
      .concat([`check_result_path=${join(dir, "rw")}`, `lock_file=${join(dir, "rw", "lock")}`, `temp_path=${join(dir, "rw")}`, "illegal_macro_output_chars=`~$&|'\"<>", ""]).join("\n"));
    for (const f of [cfg, join(dir, "host.cfg"), ...copies]) chmodSync(f, 0o644);
    const r = await runCommand(NAGIOS, ["-v", cfg], { timeoutMs: 20_000, mergeStderr: true });
    return { code: r.code, out: r.stdout };
  };

  test("packaging/nagios-procwatch.cfg (the commands) with examples/nagios/procwatch.cfg (the services): valid", async (t) => {
    if (!haveTools(t, [NAGIOS], NAGIOS_INSTALL)) return;
    const r = await verify([join(REPO, "packaging/nagios-procwatch.cfg"), join(REPO, "examples/nagios/procwatch.cfg")]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Total Warnings: 0/);
    assert.match(r.out, /Total Errors: {3}0/);
  });

  test("nagios4 -v catches a service whose command is missing (the check is real)", async (t) => {
    if (!haveTools(t, [NAGIOS], NAGIOS_INSTALL)) return;
    const r = await verify([join(REPO, "examples/nagios/procwatch.cfg")]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /check_procwatch/);
  });

  test("every NRPE command line in examples/nagios/nrpe.cfg runs the Nagios plugin mode of /usr/bin/procwatch", () => {
    const commands = readFileSync(join(REPO, "examples/nagios/nrpe.cfg"), "utf8").split("\n").filter((l) => l.startsWith("command["));
    assert.ok(commands.length > 0);
    for (const c of commands) assert.match(c, /^command\[\w+\]=(\/usr\/bin\/sudo -n )?\/usr\/bin\/procwatch check --format nagios --timeout 8s /);
  });
});

describe("YAML examples through procwatch validate", () => {
  for (const file of ["examples/procwatch.example.yaml", "examples/mail-server/procwatch.yaml", "packaging/procwatch.yaml"]) {
    test(`${file}: valid on the host it is written for`, async () => {
      const r = await runCli(["validate", "--config", join(REPO, file), "--accounts-from", MAIL_HOST_ETC], { timeoutMs: 20_000 });
      assert.equal(r.stderr, "");
      assert.equal(r.code, 0);
      assert.match(r.stdout, /: ok: \d+ rule\(s\) from /);
    });
  }

  test("validate reads only --accounts-from's files: the mail example names users a bare host lacks", async () => {
    const bare = mkdtempSync(join(tmp, "etc-"));
    writeFileSync(join(bare, "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(bare, "group"), "root:x:0:\n");
    const file = join(REPO, "examples/mail-server/procwatch.yaml");
    const r = await runCli(["validate", "--config", file, "--accounts-from", bare], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "", "problems go to stderr");
    assert.match(r.stderr, /procwatch\.yaml:\d+:\d+: .*postfix/);
    assert.match(r.stderr, /procwatch\.yaml:\d+:\d+: .*debian-tor/);
  });
});

test("examples and packaging name the installed path /usr/bin/procwatch, never /usr/local", () => {
  for (const file of ["examples/mon.cf", "examples/mail-server/mon.cf", "examples/nagios/nrpe.cfg", "examples/systemd/procwatch.service",
    "packaging/procwatch.monitor", "packaging/nagios-procwatch.cfg"]) {
    const text = readFileSync(join(REPO, file), "utf8");
    assert.doesNotMatch(text, /\/usr\/local\/bin\/procwatch/, file);
  }
});

