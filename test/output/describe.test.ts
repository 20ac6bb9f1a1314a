// Process descriptions in detail lines: pid, the name procwatch counted the process by (the script
// for an interpreter), user and exe, every process-derived part escaped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatProcessLine } from "../../src/output/describe.js";
import { fixtureAccounts } from "../helpers/accounts.js";
import { proc } from "../helpers/records.js";

const accounts = fixtureAccounts();

describe("formatProcessLine", () => {
  const node = { pid: 15868, comm: "node", exe: { path: "/usr/bin/node", deleted: false } };
  const cases: [string, Parameters<typeof proc>[0], string][] = [
    ["comm until a detail pass named it", { pid: 42, comm: "sshd" }, "pid 42 name sshd user root exe /usr/sbin/sshd"],
    ["an interpreter: the script it runs, not the interpreter", { ...node, countedName: "pwacc-thief" }, "pid 15868 name pwacc-thief user root exe /usr/bin/node"],
    ["a hostile script name stays one word of one line", { ...node, countedName: "a b\nOK|x" }, "pid 15868 name a%20b%0AOK%7Cx user root exe /usr/bin/node"],
    ["invalid UTF-8 in the name", { pid: 7, comm: "x\xff", exe: undefined, hasNoExe: true }, "pid 7 name x%FF user root exe -"],
    ["an empty counted name is shown as such", { ...node, countedName: "" }, 'pid 15868 name "" user root exe /usr/bin/node'],
  ];
  for (const [what, spec, want] of cases) test(what, () => assert.equal(formatProcessLine(proc(spec), accounts), want));
});
