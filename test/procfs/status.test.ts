// parseStatus: real and effective ids from Uid:/Gid:, whatever else the file holds. Every case runs
// through parseStatusReference too (the general path alone): same value, same error.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ProcParseError } from "../../src/procfs/errors.js";
import { parseStatus as parseStatusFast, parseStatusReference } from "../../src/procfs/status.js";
import { byteString, fixtureRoot, statusText } from "../helpers/proctree.js";
import { seeded, testSeed } from "../helpers/seeded.js";

/** Both paths; they must agree (value or error message) before either answer counts. */
function parseStatus(text: string, path?: string): ReturnType<typeof parseStatusFast> {
  const outcome = (f: () => unknown): unknown => {
    try {
      return { value: f() };
    } catch (err) {
      if (!(err instanceof ProcParseError)) throw err;
      return { error: err.message, path: err.path };
    }
  };
  const fast = outcome(() => parseStatusFast(text, path));
  const reference = outcome(() => parseStatusReference(text, path));
  assert.deepEqual(fast, reference, `parseStatus and parseStatusReference disagree on ${JSON.stringify(text)}`);
  return parseStatusFast(text, path);
}

const ids = (real: number, effective: number, saved: number, fs: number) => ({ real, effective, saved, fs });
/** The identity part of a parse (memory and context switches have tests of their own). */
const idsOf = (text: string) => {
  const { uids, gids } = parseStatus(text);
  return { uids, gids };
};

describe("parseStatus: four ids each from Uid: and Gid:", () => {
  const cases: [string, Parameters<typeof statusText>[0], ReturnType<typeof idsOf>][] = [
    ["root", { pid: 1, name: "systemd" }, { uids: ids(0, 0, 0, 0), gids: ids(0, 0, 0, 0) }],
    ["nobody", { pid: 7, name: "sleep", uid: 65534, gid: 65534 }, { uids: ids(65534, 65534, 65534, 65534), gids: ids(65534, 65534, 65534, 65534) }],
    ["setuid binary run by nobody: real 65534, effective 0", { pid: 8, name: "sshd", uid: [65534, 0, 0, 0], gid: 65534 }, { uids: ids(65534, 0, 0, 0), gids: ids(65534, 65534, 65534, 65534) }],
    ["largest uid", { pid: 9, name: "x", uid: 4294967294, gid: 4294967294 }, { uids: ids(4294967294, 4294967294, 4294967294, 4294967294), gids: ids(4294967294, 4294967294, 4294967294, 4294967294) }],
    // status escapes '\n' in Name: as backslash-n, so a name cannot plant a Uid: line of its own
    ["a name that tries to inject a Uid: line", { pid: 10, name: "x\nUid:\t0\t0\t0\t0", uid: 1000, gid: 1000 }, { uids: ids(1000, 1000, 1000, 1000), gids: ids(1000, 1000, 1000, 1000) }],
    ["invalid UTF-8 name", { pid: 11, name: Buffer.from([0xff, 0xfe, 0x0a]), uid: 5 }, { uids: ids(5, 5, 5, 5), gids: ids(0, 0, 0, 0) }],
  ];
  for (const [what, spec, want] of cases) {
    test(what, () => assert.deepEqual(idsOf(byteString(statusText(spec))), want));
  }

  test("captured: sleep started with setpriv --reuid=65534 (odd-names/21923)", () => {
    const text = readFileSync(`${fixtureRoot("odd-names")}/21923/status`, "latin1");
    assert.deepEqual(idsOf(text), { uids: ids(65534, 65534, 65534, 65534), gids: ids(65534, 65534, 65534, 65534) });
  });

  test("unknown lines from a newer kernel are ignored", () => {
    const text = "Name:\tx\nFutureKey:\tUid: 9 9 9 9\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nAnotherNewKey:\t1\n";
    assert.deepEqual(parseStatus(text), { uids: ids(1, 2, 3, 4), gids: ids(5, 6, 7, 8) });
  });
});

describe("parseStatus: malformed text throws ProcParseError", () => {
  const cases: [string, string, string][] = [
    ["empty", "", 'p/status: no Uid: line: ""'],
    ["no Gid: line", "Name:\tx\nUid:\t0\t0\t0\t0\n", 'p/status: no Gid: line: "Name:\\tx\\nUid:\\t0\\t0\\t0\\t0\\n"'],
    ["three ids", "Name:\tx\nUid:\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 'p/status: Uid: needs four ids: "\\t0\\t0\\t0"'],
    ["five ids", "Name:\tx\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\t0\n", 'p/status: Gid: needs four ids: "\\t0\\t0\\t0\\t0\\t0"'],
    ["not a number", "Name:\tx\nUid:\t0\tzero\t0\t0\nGid:\t0\t0\t0\t0\n", 'p/status: Uid: needs four ids: "\\t0\\tzero\\t0\\t0"'],
    ["negative", "Name:\tx\nUid:\t-1\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 'p/status: Uid: needs four ids: "\\t-1\\t0\\t0\\t0"'],
    ["empty Uid:", "Name:\tx\nUid:\nGid:\t0\t0\t0\t0\n", 'p/status: Uid: needs four ids: ""'],
  ];
  for (const [what, text, message] of cases) {
    test(what, () => {
      assert.throws(() => parseStatus(text, "p/status"), (err: unknown) => err instanceof ProcParseError && err.message === message);
    });
  }
});

describe("parseStatus agrees with parseStatusReference", () => {
  test("captured status files of every fixture tree", () => {
    let n = 0;
    for (const scenario of ["apparmor", "kernel-threads", "odd-names", "selinux", "sockets"]) {
      const root = fixtureRoot(scenario);
      for (const pid of readdirSync(root).filter((e) => /^\d+$/.test(e))) {
        const path = `${root}/${pid}/status`;
        if (!existsSync(path)) continue;
        parseStatus(readFileSync(path, "latin1"));
        n++;
      }
    }
    assert.ok(n > 0, "no captured status file found");
  });

  test("this host's /proc/self/status", () => {
    parseStatus(readFileSync("/proc/self/status", "latin1"));
  });

  // Mutations of a kernel-shaped file around the lines that are parsed: signs, other blanks, long
  // numbers, lines cut or doubled, keys moved to the first line. Any disagreement names its seed.
  test("seeded mutations", () => {
    const seed = testSeed();
    const rnd = seeded(seed);
    const pieces = ["\t", " ", "\r", "\xa0", "\v", "+", "-", "0x1", "1e3", "1.0", "9".repeat(16), "12345678901234", " kB", "kB", "\n", "Uid:", "Gid:", "VmRSS:",
      "voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:", "0", "7", "", "\u00ff"];
    for (let i = 0; i < 3000; i++) {
      let text = byteString(statusText({ pid: 5, name: "m", uid: [1, 2, 3, 4], gid: [5, 6, 7, 8], rssKib: rnd.int(2) === 0 ? null : 42 }));
      for (let k = rnd.int(4); k >= 0; k--) {
        const at = rnd.int(text.length + 1);
        const cut = rnd.int(3) === 0 ? rnd.int(6) : 0;
        text = text.slice(0, at) + rnd.pick(pieces) + text.slice(at + cut);
      }
      try {
        parseStatus(text, "p/status");
      } catch (err) {
        if (err instanceof ProcParseError) continue;
        throw new Error(`seed ${seed} (PROCWATCH_SEED=${seed} replays it), case ${i}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});
