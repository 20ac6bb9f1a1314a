// The values daemon scans share with earlier ones (src/procfs/reuse.ts): equal values come back as
// the first instance met, unequal ones never do, and the tables stay bounded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createValueReuse } from "../../src/procfs/reuse.js";

/** A fresh string with the same text (not the interned literal). */
const fresh = (s: string): string => [...s].join("");

describe("value reuse", () => {
  test("texts come back equal, byte strings included", () => {
    // Strings have no identity JavaScript can observe; what the table may never do is answer
    // with another text.
    const r = createValueReuse();
    for (const s of ["sshd", "cron", "s\xffd", "", "kworker/0:1"]) {
      assert.equal(r.text(fresh(s)), s);
      assert.equal(r.text(fresh(s)), s);
    }
  });

  test("id sets with four equal ids are shared; mixed ones are kept as they are", () => {
    const r = createValueReuse();
    const root = { real: 0, effective: 0, saved: 0, fs: 0 };
    assert.equal(r.ids(root), root);
    assert.equal(r.ids({ real: 0, effective: 0, saved: 0, fs: 0 }), root);
    const user = { real: 1000, effective: 1000, saved: 1000, fs: 1000 };
    assert.equal(r.ids(user), user);
    assert.notEqual(r.ids({ real: 1000, effective: 1000, saved: 1000, fs: 1000 }), root);
    const setuid = { real: 1000, effective: 0, saved: 0, fs: 0 };
    assert.equal(r.ids(setuid), setuid);
    const setuid2 = { real: 1000, effective: 0, saved: 0, fs: 0 };
    assert.equal(r.ids(setuid2), setuid2, "a mixed set is never swapped for another object");
    // A set that differs in one id only is never answered with the all-equal one.
    assert.deepEqual(r.ids({ real: 0, effective: 0, saved: 0, fs: 1000 }), { real: 0, effective: 0, saved: 0, fs: 1000 });
  });

  test("exe infos are shared only when path and deleted flag both match", () => {
    const r = createValueReuse();
    const live = { path: "/usr/sbin/sshd", deleted: false };
    assert.equal(r.exe(live), live);
    assert.equal(r.exe({ path: "/usr/sbin/sshd", deleted: false }), live);
    const gone = { path: "/usr/sbin/sshd", deleted: true };
    assert.equal(r.exe(gone), gone, "a deleted executable is not the live one");
    assert.equal(r.exe({ path: "/usr/sbin/sshd", deleted: true }), gone);
    // A file really named "x (deleted)" that is not deleted must not be confused with x deleted.
    const odd = { path: "/usr/sbin/sshd (deleted)", deleted: false };
    assert.deepEqual(r.exe(odd), odd);
    assert.deepEqual(r.exe({ path: "/usr/sbin/sshd", deleted: true }), gone);
  });

  test("unknown-field reasons are shared per field and code", () => {
    const r = createValueReuse();
    const a = r.unknownWhy("label", "EINVAL");
    assert.deepEqual(a, { label: "EINVAL" });
    assert.equal(r.unknownWhy("label", "EINVAL"), a);
    assert.deepEqual(r.unknownWhy("label", "EACCES"), { label: "EACCES" });
    assert.deepEqual(r.unknownWhy("exe", "EINVAL"), { exe: "EINVAL" });
  });

  test("a table emptied at its bound keeps answering with equal values", () => {
    const r = createValueReuse();
    const kept = { path: "/bin/first", deleted: false };
    r.exe(kept);
    // A local user can rename processes every scan: 60,000 distinct names pass the bound.
    for (let i = 0; i < 60_000; i++) r.exe({ path: `/tmp/x${i}`, deleted: false });
    const after = { path: "/bin/first", deleted: false };
    assert.equal(r.exe(after), after, "the table was emptied: the first value is no longer held");
    assert.equal(r.exe({ path: "/bin/first", deleted: false }), after);
  });
});
