// parseCmdline: the shapes /proc/PID/cmdline takes, from captured processes and proc(5).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseCmdline } from "../../src/procfs/cmdline.js";
import { byteString, cmdlineBytes, fixtureRoot } from "../helpers/proctree.js";

describe("parseCmdline", () => {
  const cases: [string, string, string[]][] = [
    ["empty: zombie or kernel thread", "", []],
    ["argc=0: one NUL (kernel >= 5.18 supplies argv[0] = \"\")", "\0", [""]],
    ["ordinary", "/usr/sbin/sshd\0-D\0", ["/usr/sbin/sshd", "-D"]],
    ["setproctitle: one string with spaces, no trailing NUL", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"]],
    ["setproctitle: one string with spaces and a trailing NUL", "sshd: alice [priv]\0", ["sshd: alice [priv]"]],
    // Not told apart from real empty arguments: the kernel gives the same bytes for both.
    ["NUL padding after a setproctitle string stays as empty arguments", "nginx: master process\0\0\0", ["nginx: master process", "", ""]],
    ["embedded newline and '|'", "perl\0a\nb\0x|y\0", ["perl", "a\nb", "x|y"]],
    ["an empty argument in the middle", "prog\0\0last\0", ["prog", "", "last"]],
    ["cut short (read cap): last argument partial, no trailing NUL", "prog\0--long-opt\0partia", ["prog", "--long-opt", "partia"]],
    ["invalid UTF-8 survives as bytes", byteString(cmdlineBytes([Buffer.from([0xff, 0xfe]), "ok"])), ["\xff\xfe", "ok"]],
  ];
  for (const [what, text, argv] of cases) {
    test(what, () => assert.deepEqual(parseCmdline(text), argv));
  }
});

describe("parseCmdline on captured cmdline files (odd-names)", () => {
  const cases: [number, string[]][] = [
    [21917, ["./pw-averyveryverylongname", "300"]],
    [21918, ["/usr/sbin/sshd -D [listener] 0 of 10-100 startups"]],
    [21919, ["sshd", "300"]],
    [21920, ["perl", "-e", "sleep 300", "--", "a\nb", "x|y", "", "--password=hunter2"]],
    [21922, ["./evil (deleted)", "300"]],
  ];
  for (const [pid, argv] of cases) {
    test(String(pid), () => assert.deepEqual(parseCmdline(readFileSync(`${fixtureRoot("odd-names")}/${pid}/cmdline`, "latin1")), argv));
  }
});
