// What one check is asked to do: the CLI builds it, the scanner child receives it as JSON.
import type { CpuRequest, SecurityRequest } from "../config/types.js";
import type { OutputFormat } from "../output/format.js";
import type { Accounts } from "../system/accounts.js";

export interface CheckRequest {
  readonly mode: "check" | "explain-rules" | "explain-pid";
  readonly rules: readonly string[];
  readonly procRoot: string;
  readonly format: OutputFormat;
  readonly recheckMs?: number;
  readonly interpreters?: readonly string[];
  readonly detailLimit?: number;
  readonly pid?: number;
  readonly cpu?: CpuRequest;
  readonly security?: SecurityRequest;
  /** PIDs whose whole subtree is procwatch itself (the CLI and this scanner): never counted. */
  readonly excludeRoots: readonly number[];
  /** The supervisor's --timeout, when the caller passes it: probes then end before it (their
   * timeout= is cut short to what is left), so a hung service reads as a probe timeout, not as
   * a check that timed out. */
  readonly timeoutMs?: number;
}

export interface CheckDeps {
  readonly accounts?: Accounts;
  /** Where login.defs lives (ordinary-user range); default /etc. */
  readonly etcDir?: string;
}
