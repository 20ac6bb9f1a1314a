// parseStat on hostile names (stat field 2 is raw bytes, never escaped) and on malformed text.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ProcParseError } from "../../src/procfs/errors.js";
import { PF_KTHREAD, parseStat } from "../../src/procfs/stat.js";
import { byteString, fixtureRoot, statLine, type Bytes } from "../helpers/proctree.js";

const fields = { pid: 4242, state: "S", ppid: 77, flags: 0x400100, utime: 31, stime: 12, threads: 3, starttime: 987654, rss: 2048 };
const expected = { pid: 4242, state: "S", ppid: 77, flags: 0x400100, majorFaults: 0, utimeTicks: 31, stimeTicks: 12, threads: 3, startTicks: 987654, rssPages: 2048 };

describe("parseStat: comm is everything between the first '(' and the LAST ')'", () => {
  const cases: [string, Bytes][] = [
    ["plain", "sshd"],
    ["spaces", "two words here"],
    ["a ')' inside", "a)b"],
    ["a '(' inside", "a(b"],
    ["parenthesised like a kernel name", "(sshd)"],
    ["forged fields after a ')'", "a) Z 1 1 1 1 1"],
    ["only parentheses", ")))((("],
    ["newline", "new\nline"],
    ["tab and ESC", "tab\there\x1b[31m"],
    ["empty (PR_SET_NAME \"\")", ""],
    ["kernel thread longer than TASK_COMM_LEN", "kworker/u8:0-events_unbound"],
    ["31 bytes", "rcu_exp_par_gp_kthread_worker/0"],
    ["invalid UTF-8", Buffer.from([0x61, 0x62, 0xff, 0xfe])],
    ["UTF-8 multibyte", "naïve"],
  ];
  for (const [what, comm] of cases) {
    test(what, () => {
      const text = byteString(statLine({ ...fields, comm }));
      assert.deepEqual(parseStat(text), { ...expected, comm: byteString(comm) });
    });
  }
});

test("parseStat: PF_KTHREAD is visible in flags (kthreadd as captured: 0x208040)", () => {
  const st = parseStat(byteString(statLine({ pid: 2, comm: "kthreadd", ppid: 0, flags: 0x208040 })));
  assert.equal(st.flags & PF_KTHREAD, PF_KTHREAD);
});

test("parseStat: a real stat line, all 52 fields, as the kernel wrote it", () => {
  const text = "1 (process_api) S 0 0 0 0 -1 4194560 34234 2561425 0 670 344 1278 3425 2178 20 0 13 0 30 44597248 3413 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  assert.deepEqual(parseStat(text), {
    pid: 1, comm: "process_api", state: "S", ppid: 0, flags: 4194560, majorFaults: 0, utimeTicks: 344, stimeTicks: 1278, threads: 13, startTicks: 30, rssPages: 3413,
  });
});

describe("parseStat: malformed text throws ProcParseError naming the path and the text", () => {
  const full = byteString(statLine({ ...fields, comm: "x" }));
  const cases: [string, string, string][] = [
    ["empty file", "", '/proc/4242/stat: no (comm) field: ""'],
    ["no parentheses", "4242 sshd S 1", '/proc/4242/stat: no (comm) field: "4242 sshd S 1"'],
    ["no pid before comm", "(sshd) S 1", '/proc/4242/stat: no (comm) field: "(sshd) S 1"'],
    ["')' before '('", "4242 )sshd( S 1", '/proc/4242/stat: no (comm) field: "4242 )sshd( S 1"'],
    ["too few fields", "4242 (sshd) S 1 4242 4242 0 -1", '/proc/4242/stat: too few fields: "4242 (sshd) S 1 4242 4242 0 -1"'],
    ["stops before rss (field 24)", full.split(" ").slice(0, 23).join(" "), `/proc/4242/stat: too few fields: ${JSON.stringify(full.split(" ").slice(0, 23).join(" ").slice(0, 80))}`],
    ["pid not a number", full.replace("4242 (", "42a2 ("), `/proc/4242/stat: pid is not a number: ${JSON.stringify(full.replace("4242 (", "42a2 (").slice(0, 80))}`],
    ["ppid not a number", full.replace("(x) S 77", "(x) S 7x"), '/proc/4242/stat: field 4 is not a number: "7x"'],
    ["utime not a number", full.replace(" 31 12 ", " abc 12 "), '/proc/4242/stat: field 14 is not a number: "abc"'],
    ["starttime beyond 2^53", full.replace(" 987654 ", " 99999999999999999999 "), '/proc/4242/stat: field 22 is not a number: "99999999999999999999"'],
  ];
  for (const [what, text, message] of cases) {
    test(what, () => {
      assert.throws(() => parseStat(text, "/proc/4242/stat"), (err: unknown) => {
        assert.ok(err instanceof ProcParseError);
        assert.equal(err.message, message);
        assert.equal(err.path, "/proc/4242/stat");
        return true;
      });
    });
  }
});

// Oracle: in captured trees the comm file (raw name + "\n") and status (PPid:, State:, Threads:)
// were written by the kernel independently of stat; the parse must agree with them.
describe("parseStat agrees with comm and status in captured trees", () => {
  for (const scenario of ["odd-names", "kernel-threads"]) {
    const root = fixtureRoot(scenario);
    for (const pid of readdirSync(root).filter((n) => /^\d+$/.test(n))) {
      test(`${scenario}/${pid}`, () => {
        const st = parseStat(readFileSync(`${root}/${pid}/stat`, "latin1"));
        const comm = readFileSync(`${root}/${pid}/comm`, "latin1");
        const status = readFileSync(`${root}/${pid}/status`, "latin1");
        const line = (key: string): string => /^(.*)$/m.exec(status.slice(status.indexOf(`\n${key}:\t`) + key.length + 3))?.[1] ?? "";
        assert.equal(st.pid, Number(pid));
        assert.equal(`${st.comm}\n`, comm);
        assert.equal(st.ppid, Number(line("PPid")));
        assert.equal(st.state, line("State")[0]);
        assert.equal(st.threads, Number(line("Threads")));
        assert.equal((st.flags & PF_KTHREAD) !== 0, scenario === "kernel-threads");
      });
    }
  }
});
