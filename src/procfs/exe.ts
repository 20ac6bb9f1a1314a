// Pure: the exe link target → ExeInfo. The kernel appends " (deleted)" once when the file was
// unlinked or replaced (package upgrade); strip it exactly once, and remember it.
import type { ExeInfo } from "./types.js";

const DELETED = " (deleted)";

export function parseExeLink(target: string): ExeInfo {
  if (target.endsWith(DELETED)) return { path: target.slice(0, -DELETED.length), deleted: true };
  return { path: target, deleted: false };
}
