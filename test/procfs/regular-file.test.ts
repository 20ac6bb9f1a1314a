// readRegularFile: the bounded, never-blocking read of the files procwatch is told to read.
// A FIFO without a writer, a device and a directory are refused by what they are, without a wait
// (each runs in the test process: a blocking open would hang the test, not pass it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readWholeBytes } from "../../src/procfs/read.js";
import { describeRefusal, readRegularFile } from "../../src/procfs/regular-file.js";
import { readSelinuxEnforce } from "../../src/procfs/selinuxfs.js";
import { readAccounts, readNormalUidRange } from "../../src/system/accounts.js";

const dir = mkdtempSync(join(tmpdir(), "procwatch-regular-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, "fifo");
execFileSync("mkfifo", [fifo]);
const small = join(dir, "small");
writeFileSync(small, "hello\n");
const big = join(dir, "big");
writeFileSync(big, Buffer.alloc(5000, 0x61));

describe("readRegularFile", () => {
  const cases: [string, string, number, string][] = [
    ["a FIFO", fifo, 100, `${fifo} is a FIFO, not a regular file; refusing to read it`],
    ["/dev/zero", "/dev/zero", 100, "/dev/zero is a character device, not a regular file; refusing to read it"],
    ["a directory", dir, 100, `${dir} is a directory, not a regular file; refusing to read it`],
    ["a file over the cap", big, 4096, `${big} is larger than 4 KiB (5000 bytes); refusing to read it`],
    ["a missing file", join(dir, "none"), 100, `cannot read ${join(dir, "none")} (ENOENT)`],
  ];
  for (const [what, path, cap, message] of cases) {
    test(`refuses ${what}`, () => {
      const r = readRegularFile(path, cap);
      assert.ok(!Buffer.isBuffer(r), `read ${what}`);
      assert.equal(describeRefusal(r), message);
    });
  }
  test("reads a regular file whole, up to exactly the cap", () => {
    assert.equal(String(readRegularFile(small, 6)), "hello\n");
    assert.equal((readRegularFile(big, 5000) as Buffer).length, 5000);
  });
  test("reads a size-0 pseudo file to its end (procfs, selinuxfs)", () => {
    const r = readRegularFile("/proc/self/stat", 4096);
    assert.ok(Buffer.isBuffer(r));
    assert.match(r.toString("latin1"), /^\d+ \(/);
  });
  test("stops at the cap where fstat says 0 bytes but the file goes on", () => {
    const r = readRegularFile("/proc/self/maps", 16);
    assert.ok(!Buffer.isBuffer(r));
    assert.equal(describeRefusal(r), "/proc/self/maps is larger than 16 bytes; refusing to read it");
  });
});

describe("/etc and selinuxfs files are read with the same bounds", () => {
  const etc = join(dir, "etc");
  execFileSync("mkdir", [etc]);
  execFileSync("mkfifo", [join(etc, "passwd"), join(etc, "login.defs")]);
  test("a FIFO as passwd: the lookup throws naming it instead of blocking", () => {
    assert.throws(() => readAccounts(etc).userName(0), { name: "FileRefusedError", message: `${etc}/passwd is a FIFO, not a regular file; refusing to read it` });
  });
  test("a FIFO as login.defs", () => {
    assert.throws(() => readNormalUidRange(etc), { name: "FileRefusedError", message: `${etc}/login.defs is a FIFO, not a regular file; refusing to read it` });
  });
  test("a FIFO as <selinuxfs>/enforce: unknown, saying why", () => {
    const fs = join(dir, "selinuxfs");
    execFileSync("mkdir", [fs]);
    execFileSync("mkfifo", [join(fs, "enforce")]);
    assert.deepEqual(readSelinuxEnforce(fs), { kind: "unknown", path: `${fs}/enforce`, why: `${fs}/enforce is a FIFO, not a regular file; refusing to read it` });
  });
});

describe("the whole-file reader of the /proc/net tables is capped too", () => {
  test("/dev/zero as a table: EFBIG at the cap, not memory until it runs out", () => {
    assert.deepEqual(readWholeBytes("/dev/zero", 1024 * 1024), { failure: "other", code: "EFBIG" });
  });
});
