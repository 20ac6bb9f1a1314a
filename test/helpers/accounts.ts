// A fixture /etc with passwd and group files (the users and groups the tests and the example
// config name), so tests do not depend on this machine's users.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Accounts, readAccounts } from "../../src/system/accounts.js";

export function fixtureAccounts(): Accounts {
  const dir = mkdtempSync(join(tmpdir(), "procwatch-etc-"));
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
