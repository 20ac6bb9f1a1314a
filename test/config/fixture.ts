// Shared by the config tests: a fixture /etc (users and groups the example file names), so the
// tests do not depend on this machine's accounts, and a parse helper that formats every problem.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Accounts, readAccounts } from "../../src/system/accounts.js";
import { parseConfig, type LoadResult } from "../../src/config/load.js";
import type { DaemonConfig } from "../../src/config/types.js";
import { formatProblem } from "../../src/output/problems.js";

export function configAccounts(): Accounts {
  const dir = mkdtempSync(join(tmpdir(), "procwatch-config-etc-"));
  writeFileSync(join(dir, "passwd"), [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "backup:x:34:34:backup:/var/backups:/usr/sbin/nologin",
    "postfix:x:102:104::/var/spool/postfix:/usr/sbin/nologin",
    "debian-tor:x:107:113::/var/lib/tor:/bin/false",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "",
  ].join("\n"));
  writeFileSync(join(dir, "group"), ["root:x:0:", "adm:x:4:", "postfix:x:104:", "debian-tor:x:113:", "nogroup:x:65534:", ""].join("\n"));
  const accounts = readAccounts(dir);
  // readAccounts reads each file on its first lookup: look once, then the directory can go.
  accounts.userName(0);
  accounts.groupName(0);
  rmSync(dir, { recursive: true, force: true });
  return accounts;
}

export const accounts = configAccounts();

/** Problems as the daemon logs them, one string each; [] when the text is valid. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = parseConfig(text, "pw.yaml", { accounts, env });
  return "problems" in r ? r.problems.map(formatProblem) : [];
}

export function configOf(text: string, env: NodeJS.ProcessEnv = {}): DaemonConfig {
  const r: LoadResult = parseConfig(text, "pw.yaml", { accounts, env });
  if ("problems" in r) throw new Error(`unexpected problems:\n${r.problems.map(formatProblem).join("\n")}`);
  return r.config;
}
