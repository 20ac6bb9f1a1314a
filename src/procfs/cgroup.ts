// Pure: /proc/PID/cgroup text → the process's cgroup path, its systemd unit and container id.
// cgroup v2 has one line "0::/PATH"; v1 one line per hierarchy "ID:CONTROLLERS:/PATH", where
// systemd keeps its own tree as "name=systemd". Hybrid hosts have both, and under systemd both
// hold the same unit path; without systemd one of them may be "/" while the other is not. So the
// first path that is not the root wins: v2, then name=systemd, then any v1 hierarchy
// (cgroups(7), systemd.unit(5), systemd's CGROUP_DELEGATION docs).
import { ProcParseError } from "./errors.js";

export interface CgroupInfo {
  /** The cgroup path systemd manages, e.g. "/system.slice/ssh.service". Byte string. */
  readonly path: string;
  /** The unit the process belongs to: the innermost unit-named segment of the path
   * ("ssh.service", "session-3.scope", "user@1000.service"); absent outside any unit ("/"). */
  readonly unit?: string;
  /** A container runtime's id found in the path (64 hex digits: docker, containerd, CRI-O,
   * podman, Kubernetes pods' containers); absent for the host's own processes. */
  readonly containerId?: string;
}

// systemd unit types that own processes (systemd.unit(5)); slices only group units.
const UNIT_SUFFIX = /\.(service|scope|socket|mount|swap)$/;
// docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope, or a bare
// /docker/<id> and /kubepods/.../<id> segment under cgroupfs drivers.
const CONTAINER_SEGMENT = /^(?:[a-z-]+-)?([0-9a-f]{64})(?:\.scope)?$/;

export function parseCgroup(text: string, path = "cgroup"): CgroupInfo {
  let v2: string | undefined;
  let systemd: string | undefined;
  let first: string | undefined;
  // Lines are "ID:CONTROLLERS:PATH"; PATH itself may hold ':' (it is a directory name).
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const a = line.indexOf(":");
    const b = a < 0 ? -1 : line.indexOf(":", a + 1);
    if (b < 0) throw new ProcParseError(path, line, "expected ID:CONTROLLERS:PATH");
    const controllers = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (!p.startsWith("/")) throw new ProcParseError(path, line, "cgroup path is not absolute");
    if (line.startsWith("0::")) v2 = p;
    else if (controllers === "name=systemd") systemd = p;
    first ??= p;
  }
  const candidates = [v2, systemd, first].filter((p): p is string => p !== undefined);
  if (candidates.length === 0) throw new ProcParseError(path, text.slice(0, 40), "no cgroup line");
  return describeCgroup(candidates.find((p) => p !== "/") ?? "/");
}

/** The unit and container id a cgroup path names. */
export function describeCgroup(cgroupPath: string): CgroupInfo {
  const segments = cgroupPath.split("/").filter((s) => s !== "");
  let unit: string | undefined;
  let containerId: string | undefined;
  for (const s of segments) {
    if (UNIT_SUFFIX.test(s)) unit = s;
    const m = CONTAINER_SEGMENT.exec(s);
    if (m !== null) containerId = m[1];
  }
  return { path: cgroupPath, ...(unit === undefined ? {} : { unit }), ...(containerId === undefined ? {} : { containerId }) };
}
