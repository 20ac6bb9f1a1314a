// parseLabel: attr/current as SELinux (trailing NUL) and AppArmor (trailing newline) write it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseLabel } from "../../src/procfs/label.js";

describe("parseLabel", () => {
  const cases: [string, string, string][] = [
    ["SELinux: trailing NUL stripped, the level keeps its ':'", "system_u:system_r:sshd_t:s0-s0:c0.c1023\0", "system_u:system_r:sshd_t:s0-s0:c0.c1023"],
    ["SELinux: init_t", "system_u:system_r:init_t:s0\0", "system_u:system_r:init_t:s0"],
    ["AppArmor: profile and mode, newline stripped", "/usr/sbin/ntpd (enforce)\n", "/usr/sbin/ntpd (enforce)"],
    ["AppArmor: unconfined has no mode", "unconfined\n", "unconfined"],
    ["AppArmor: stacked", "lxc-container-default-cgns//&docker-default (enforce)\n", "lxc-container-default-cgns//&docker-default (enforce)"],
    ["no terminator", "unconfined", "unconfined"],
    ["empty", "", ""],
    ["only a terminator", "\0", ""],
    ["only trailing terminators go; inner ones stay", "a\nb\0\n", "a\nb"],
    ["invalid UTF-8 kept", "x_t:\xff\0", "x_t:\xff"],
  ];
  for (const [what, text, want] of cases) {
    test(what, () => assert.equal(parseLabel(text), want));
  }
});
