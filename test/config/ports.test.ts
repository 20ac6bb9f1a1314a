// listen= and probes in the daemon's config: the one-liners, the mapping forms (probe: with
// banner, timeout, remote), the same rule either way, and every problem at its own value.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countRules, probeRules } from "../../src/rules/list.js";
import type { ProbeRule } from "../../src/rules/types.js";
import { configOf, problemsOf } from "./fixture.js";

const withoutSource = (r: ProbeRule): Omit<ProbeRule, "source"> => {
  const { source: _source, ...rest } = r;
  return rest;
};

describe("listen= in a rule mapping", () => {
  test("listen: 25 (a YAML number) means what listen=25 means", () => {
    const [mapped, line] = countRules(configOf("rules:\n  - { select: master, count: 1-1, listen: 25 }\n  - \"smtpd:1-,listen=udp/::1:53\"\n").rules);
    assert.deepEqual([mapped?.text, mapped?.label], ["master:1-1,listen=25", "master,listen=25"]);
    assert.deepEqual(mapped?.qualifiers, [{ key: "listen", text: "25", listen: { proto: "tcp", port: 25 } }]);
    assert.deepEqual(line?.qualifiers.map((q) => q.key === "listen" && q.listen.proto), ["udp"]);
  });
  test("a bad port is located at its value", () => {
    assert.deepEqual(problemsOf("rules:\n  - { select: master, count: 1-1, listen: smtp }\n"), ['pw.yaml:2:43: "smtp": listen=: port "smtp" is not a number from 1 to 65535']);
  });
});

describe("probes", () => {
  test("a mapping builds the same probe as the equivalent one-liner", () => {
    const rules = probeRules(configOf([
      "rules:",
      "  - \"tcp://127.0.0.1:22,banner=^SSH-2\\\\.0-,timeout=3s\"",
      "  - probe: tcp://127.0.0.1:25",
      "    banner: ^220 .*ESMTP",
      "    timeout: 5s",
      "  - { name: relay, probe: \"tcp://192.0.2.7:25\", remote: true }",
      "",
    ].join("\n")).rules);
    const [ssh, smtp, relay] = rules;
    assert.deepEqual([ssh?.label, ssh?.banner?.text, ssh?.timeoutMs], ["tcp://127.0.0.1:22,banner=^SSH-2\\.0-", "^SSH-2\\.0-", 3000]);
    assert.deepEqual([smtp?.text, smtp?.label, smtp?.timeoutMs], ["tcp://127.0.0.1:25,banner=^220 .*ESMTP,timeout=5s", "tcp://127.0.0.1:25,banner=^220 .*ESMTP", 5000]);
    assert.deepEqual([relay?.label, relay?.isRemote, relay?.host], ["relay", true, "192.0.2.7"]);
    const oneLiner = probeRules(configOf("rules:\n  - \"tcp://127.0.0.1:25,banner=^220 .*ESMTP,timeout=5s\"\n").rules)[0];
    assert.ok(smtp !== undefined && oneLiner !== undefined);
    assert.deepEqual({ ...withoutSource(smtp), banner: smtp.banner?.text }, { ...withoutSource(oneLiner), banner: oneLiner.banner?.text });
  });

  test("probes and count rules share one label space", () => {
    assert.deepEqual(problemsOf("rules:\n  - \"tcp://127.0.0.1:22\"\n  - { probe: \"tcp://127.0.0.1:22\", timeout: 1s }\n"), [
      'pw.yaml:3:5: "tcp://127.0.0.1:22": duplicate rule label "tcp://127.0.0.1:22" (first at 2:5); a label names one rule\'s metric series and summary line, so give one of them a distinct name',
    ]);
  });

  const problems: [string, string, string[]][] = [
    ["one-liner: another scheme", "  - \"udp://127.0.0.1:53\"\n", ['pw.yaml:2:5: "udp://127.0.0.1:53": unsupported probe "udp://": procwatch probes tcp:// only (a UDP service answers only a request in its own protocol)']],
    ["one-liner: not loopback", "  - \"tcp://10.1.2.3:22\"\n", ['pw.yaml:2:5: "tcp://10.1.2.3:22": 10.1.2.3 is not a loopback address: procwatch probes only this host\'s loopback unless the rule says remote=yes (then it connects to that address once per check)']],
    ["mapping: not loopback, blamed on the address", "  - { probe: \"tcp://10.1.2.3:22\" }\n", ['pw.yaml:2:14: "tcp://10.1.2.3:22": 10.1.2.3 is not a loopback address: procwatch probes only this host\'s loopback unless the rule says remote=yes (then it connects to that address once per check)']],
    ["mapping: remote must be a boolean", "  - { probe: \"tcp://10.1.2.3:22\", remote: yes }\n", [
      'pw.yaml:2:43: "yes": expected true or false, got a string ("yes" is a string in YAML 1.2)',
      'pw.yaml:2:43: "tcp://10.1.2.3:22": 10.1.2.3 is not a loopback address: procwatch probes only this host\'s loopback unless the rule says remote=yes (then it connects to that address once per check)',
    ]],
    ["mapping: each problem at its value", "  - probe: tcp://localhost:99999\n    banner: \"(a)\\\\1\"\n    timeout: forever\n", [
      'pw.yaml:2:12: "tcp://localhost:99999": port "99999" is not a number from 1 to 65535',
      'pw.yaml:3:13: "(a)\\1": banner=: regular expression has a backreference "\\1": it needs backtracking, which is refused so that no pattern can stall a scan',
      'pw.yaml:4:14: "forever": timeout=: "forever" is not a duration (examples: 500ms, 2s, 1m)',
    ]],
    ["mapping: count-rule keys do not belong", "  - { probe: \"tcp://127.0.0.1:22\", user: root }\n", ['pw.yaml:2:36: "user": unknown key in a probe rule: user belongs in a rule']],
  ];
  for (const [name, yaml, want] of problems) test(name, () => assert.deepEqual(problemsOf(`rules:\n${yaml}`), want));
});
