// User and group names ↔ ids. Reads /etc/passwd and /etc/group (fast, no child process) and
// falls back to getent(1) for names the files do not hold, so NSS users (LDAP, sssd) resolve too.
// Reads are bounded (readRegularFile): a FIFO, a device or a huge file there throws a
// FileRefusedError naming the file, which the check and the daemon report as a usage error.
import { createRequire } from "node:module";
import { FileRefusedError, isRefusal, readRegularFile } from "../procfs/regular-file.js";

/** Largest passwd or group file read: ~100 bytes a line, so ~160,000 accounts. */
export const MAX_ACCOUNTS_FILE_BYTES = 16 * 1024 * 1024;
/** Largest login.defs read (Debian's is ~13 KiB). */
export const MAX_LOGIN_DEFS_BYTES = 1024 * 1024;

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
  const text = readEtcFile(path, MAX_ACCOUNTS_FILE_BYTES);
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
  // No login.defs (minimal container): the documented defaults apply.
  const text = readEtcFile(`${etcDir}/login.defs`, MAX_LOGIN_DEFS_BYTES);
  const value = (key: string, fallback: number): number => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+)\\s*$`, "m").exec(text);
    return m?.[1] === undefined ? fallback : Number(m[1]);
  };
  return { min: value("UID_MIN", 1000), max: value("UID_MAX", 60000) };
}

/** The file's text; "" when it does not exist (a minimal container: getent or the defaults
 * apply). Anything else that keeps it from being read whole throws FileRefusedError. */
function readEtcFile(path: string, capBytes: number): string {
  const r = readRegularFile(path, capBytes);
  if (!isRefusal(r)) return r.toString("utf8");
  if (r.kind === "unreadable" && r.code === "ENOENT") return "";
  throw new FileRefusedError(r);
}
