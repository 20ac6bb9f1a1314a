// Reads a process's security labels. Where <securityfs>/lsm lists the active modules, each
// registered one's own attr file is read (attr/apparmor/current, attr/smack/current; SELinux has
// only attr/current); elsewhere (securityfs not mounted, older kernels, fixture trees) the shared
// attr/current, whose format says which module wrote it. Classifies errno here; decides nothing.
import { resolve } from "node:path";
import { isFailure, readBytes, type ReadFailure, statIdentity } from "../read.js";
import type { SecurityLabel } from "../types.js";
import { type LabelProvider, trimLabel } from "./provider.js";
import { activeProviders, parseLabelAs, parseSharedLabel } from "./registry.js";

export const DEFAULT_SECURITYFS = "/sys/kernel/security";

/** attr files hold one label: SELinux contexts stay far below a page. */
const ATTR_CAP = 4096;

/**
 * The securityfs that belongs to a proc root: /proc → /sys/kernel/security, a container's
 * /host/proc → /host/sys/kernel/security, a fixture DIR/proc → DIR/sys/kernel/security. The
 * module list must describe the same kernel as the /proc tree it is used with, so it is not
 * taken from the host when the tree is another (a fixture's labels would be read the host's way).
 */
export function securityfsFor(procRoot: string): string {
  return resolve(procRoot, "..", "sys/kernel/security");
}

/** Module names from <securityfs>/lsm ("lockdown,capability,yama,apparmor"), or undefined when the
 * file cannot be read (securityfs not mounted, kernel before 4.15). */
export function readModuleList(securityfs: string): string[] | undefined {
  const r = readBytes(`${securityfs}/lsm`, ATTR_CAP);
  if (isFailure(r)) return undefined;
  return r.text.trim().split(",").filter((name) => name !== "");
}

export type LabelReader = (pidDir: string) => readonly SecurityLabel[] | ReadFailure;

/**
 * A reader for one scan: the module list is read once, on the first label asked for, so scans
 * that need no label never touch securityfs. With no registered module active (or no list) it
 * reads attr/current, which then says EINVAL on a kernel without any: "no module active".
 * Without a module list, procRoot/self/attr/current is asked first, once: EINVAL there means no
 * module is active for any process, and the per-process reads (~10 µs each, failing) are skipped.
 */
export function createLabelReader(securityfs: string, procRoot?: string): LabelReader {
  let active: readonly LabelProvider[] | undefined;
  let none: ReadFailure | undefined;
  return (pidDir) => {
    if (active === undefined) {
      const list = readModuleList(securityfs);
      active = activeProviders(list ?? []);
      if (list === undefined && procRoot !== undefined) none = noModuleAtAll(procRoot);
    }
    if (none !== undefined) return none;
    return active.length === 0 ? readShared(pidDir) : readPerModule(pidDir, active);
  };
}

/** EINVAL from our own attr/current: the kernel has no module that labels tasks. A fixture tree
 * has no self/ (ENOENT), so its processes are read one by one. */
function noModuleAtAll(procRoot: string): ReadFailure | undefined {
  const r = readBytes(`${procRoot}/self/attr/current`, ATTR_CAP);
  return isFailure(r) && r.failure === "unsupported" ? r : undefined;
}

function readShared(pidDir: string): readonly SecurityLabel[] | ReadFailure {
  const r = readBytes(`${pidDir}/attr/current`, ATTR_CAP);
  if (isFailure(r)) return noFileOrGone(pidDir, r);
  const label = parseSharedLabel(trimLabel(r.text));
  return label === undefined ? [] : [label];
}

function readPerModule(pidDir: string, active: readonly LabelProvider[]): readonly SecurityLabel[] | ReadFailure {
  const labels: SecurityLabel[] = [];
  for (const provider of active) {
    const hasOwnFile = provider.attrFile !== "current";
    let r = readBytes(`${pidDir}/attr/${provider.attrFile}`, ATTR_CAP);
    // A kernel before 5.1 has no per-module directories: there the shared file is the module's.
    const fromShared = !hasOwnFile || (isFailure(r) && r.code === "ENOENT");
    if (hasOwnFile && fromShared) r = readBytes(`${pidDir}/attr/current`, ATTR_CAP);
    if (isFailure(r)) {
      const failure = noFileOrGone(pidDir, r);
      // The module is active but says nothing for this task (EINVAL): no label from it.
      if (failure.failure === "unsupported") continue;
      return failure;
    }
    const raw = trimLabel(r.text);
    // The shared file may hold another module's label (the one that owns attr/current): keep it
    // only in this module's format. Its own file is this module's, whatever the text.
    const label = fromShared && provider.parse(raw) === undefined ? undefined : parseLabelAs(provider, raw);
    if (label !== undefined) labels.push(label);
  }
  return labels;
}

/**
 * attr/ does not exist on kernels built without CONFIG_SECURITY (fs/proc/base.c), nor in fixture
 * trees: ENOENT then means "no label file", not "the process left", and the stat file tells the
 * two apart. EINVAL (no module answers) stays "unsupported".
 */
function noFileOrGone(pidDir: string, r: ReadFailure): ReadFailure {
  if (r.failure !== "vanished") return r;
  return isFailure(statIdentity(`${pidDir}/stat`)) ? r : { failure: "unsupported", code: r.code };
}
