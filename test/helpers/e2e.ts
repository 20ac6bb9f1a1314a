// Tests that need a system package skip locally with a loud reason, and fail instead when
// PROCWATCH_E2E_REQUIRED=1 (CI sets it), so a missing install step can never pass silently.
import { accessSync, constants, readFileSync } from "node:fs";
import type { TestContext } from "node:test";

export const E2E_REQUIRED = process.env.PROCWATCH_E2E_REQUIRED === "1";

/** True when every path is executable; otherwise skips (or fails under CI) and returns false. */
export function haveTools(t: TestContext, paths: readonly string[], install: string): boolean {
  const missing = paths.filter((p) => {
    try {
      accessSync(p, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return true;
  skipOrFail(t, `needs ${missing.join(", ")} (${install})`);
  return false;
}

/** Skips with a loud reason, or fails under PROCWATCH_E2E_REQUIRED=1: for what a test needs of the
 * machine that CI has (a mount, a kernel feature), beside haveTools and haveRoot. */
export function skipOrFail(t: TestContext, reason: string): void {
  if (E2E_REQUIRED) throw new Error(`PROCWATCH_E2E_REQUIRED=1 but ${reason}`);
  process.stderr.write(`\n*** SKIPPED ${t.name}: ${reason} ***\n`);
  t.skip(reason);
}

/** True when running as root; otherwise skips (or fails under CI, which runs as root). */
export function haveRoot(t: TestContext): boolean {
  if (process.geteuid?.() === 0) return true;
  skipOrFail(t, "needs root (spawns processes as other users)");
  return false;
}

/** This process's security label, or undefined when no security module is active (EINVAL). */
export function ownLabel(): string | undefined {
  try {
    return readFileSync("/proc/self/attr/current", "latin1");
  } catch {
    return undefined;
  }
}
