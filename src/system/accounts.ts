// User and group names ↔ ids. Reads /etc/passwd and /etc/group (fast, no child process) and
// falls back to getent(1) for names the files do not hold, so NSS users (LDAP, sssd) resolve too.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface Accounts {
  userId(name: string): number | undefined;
  groupId(name: string): number | undefined;
  userName(id: number): string | undefined;
  groupName(id: number): string | undefined;
}

interface Table {
  readonly byName: Map<string, number>;
  readonly byId: Map<number, string>;
}

export function readAccounts(etcDir = "/etc"): Accounts {
  let users: Table | undefined;
  let groups: Table | undefined;
  const isHost = etcDir === "/etc";
  const userTable = (): Table => (users ??= readTable(`${etcDir}/passwd`));
  const groupTable = (): Table => (groups ??= readTable(`${etcDir}/group`));
  return {
    // getent answers for this host: for another host's files (validate --accounts-from) they alone count.
    userId: (name) => userTable().byName.get(name) ?? (isHost ? lookupGetent("passwd", name, userTable()) : undefined),
    groupId: (name) => groupTable().byName.get(name) ?? (isHost ? lookupGetent("group", name, groupTable()) : undefined),
    userName: (id) => userTable().byId.get(id),
    groupName: (id) => groupTable().byId.get(id),
  };
}

function readTable(path: string): Table {
  const byName = new Map<string, number>();
  const byId = new Map<number, string>();
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    // A missing passwd/group file (minimal container) leaves getent as the only source.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    const n = Number(id);
    if (name === undefined || name === "" || name.startsWith("+") || !Number.isSafeInteger(n)) continue;
    if (!byName.has(name)) byName.set(name, n);
    if (!byId.has(n)) byId.set(n, name);
  }
  return { byName, byId };
}

function lookupGetent(db: "passwd" | "group", name: string, table: Table): number | undefined {
  if (!/^[A-Za-z0-9._][A-Za-z0-9._@-]*\$?$/.test(name)) return undefined;
  let out: string;
  try {
    // Loaded only here: node:child_process costs ~5 ms of start-up in the scanner, and most
    // rules name no user at all or one that /etc/passwd holds.
    const { execFileSync } = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
    out = execFileSync("getent", [db, name], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    // getent exits 2 for an unknown name; missing getent means only the files count. Either way: unknown.
    return undefined;
  }
  const id = Number(out.split(":")[2]);
  if (!Number.isSafeInteger(id)) return undefined;
  table.byName.set(name, id);
  return id;
}

/** UID_MIN..UID_MAX of ordinary users from login.defs (shadow's defaults when absent). */
export function readNormalUidRange(etcDir = "/etc"): { min: number; max: number } {
  let text = "";
  try {
    text = readFileSync(`${etcDir}/login.defs`, "utf8");
  } catch (err) {
    // No login.defs (minimal container): the documented defaults apply.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const value = (key: string, fallback: number): number => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+)\\s*$`, "m").exec(text);
    return m?.[1] === undefined ? fallback : Number(m[1]);
  };
  return { min: value("UID_MIN", 1000), max: value("UID_MAX", 60000) };
}
