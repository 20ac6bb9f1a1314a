// Commander wiring of the CPU watch flags (shared by every command that scans): flags → the
// request's cpu settings. Validation of names and users happens in the scanner, like rules.
import type { CpuRequest } from "../config/types.js";
import { optionProblem, type Problem } from "../rules/problem.js";
import { type Command, InvalidArgumentError, Option } from "commander";
import { durationArg } from "./arg-parsers.js";

export interface CpuFlags {
  cpuMax?: number;
  cpuWindow?: number;
  cpuLifetime?: boolean;
  cpuExempt: string[];
  cpuExemptUser: string[];
  cpuIncludeNormalUsers?: boolean;
  cpuNoDefaultExempt?: boolean;
  cpuTop: number;
  clockTicks?: number;
}

/** Default window: long enough for a tick-quantisation error under 1%, short for a mon check. */
export const DEFAULT_WINDOW_MS = 5000;

const percentArg = (value: string): number => {
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(value) || Number(value) <= 0) {
    throw new InvalidArgumentError(`--cpu-max: "${value}" is not a percentage above 0 (100 = one full CPU)`);
  }
  return Number(value);
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `hasWindow: false` (the daemon, whose window is its scan interval) hides --cpu-window from
 * --help; it is still parsed, so typing it gets the reason it is refused instead of "unknown option".
 */
export function withCpuOptions(cmd: Command, { hasWindow = true }: { hasWindow?: boolean } = {}): Command {
  const window = new Option("--cpu-window <duration>", `measure CPU between two scans DURATION apart (default ${DEFAULT_WINDOW_MS / 1000}s)`)
    .argParser(durationArg("--cpu-window", 100));
  return cmd
    .option("--cpu-max <percent>", "report processes using more than PERCENT of one CPU (ps/top scale: a multi-threaded process can exceed 100)", percentArg)
    .addOption(hasWindow ? window : window.hideHelp())
    .option("--cpu-lifetime", "use each process's lifetime average (ps %cpu) instead of a window: no wait")
    .option("--cpu-exempt <name>", "never report this process name (repeatable)", collect, [])
    .option("--cpu-exempt-user <user>", "never report this user's processes (repeatable)", collect, [])
    .option("--cpu-include-normal-users", "also report ordinary users (UID_MIN..UID_MAX in /etc/login.defs), exempt by default")
    .option("--cpu-no-default-exempt", "drop the built-in exempt list (boinc, gzip, xz, bzip2, zstd, ...)")
    .option("--cpu-top <n>", "offenders listed in detail", (v: string) => {
      if (!/^\d{1,3}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`--cpu-top: "${v}" is not a whole number from 1 to 999`);
      return Number(v);
    }, 5)
    .option("--clock-ticks <hz>", "CLK_TCK of the system the /proc tree comes from (default: getconf CLK_TCK)", (v: string) => {
      if (!/^\d{1,5}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`--clock-ticks: "${v}" is not a whole number of ticks per second`);
      return Number(v);
    });
}

/** The cpu part of a request, or the problem naming the flag. */
export function cpuRequest(flags: CpuFlags): CpuRequest | Problem {
  if (flags.cpuLifetime === true && flags.cpuWindow !== undefined) return optionProblem("--cpu-lifetime and --cpu-window exclude each other");
  return {
    ...(flags.cpuMax === undefined ? {} : { maxPercent: flags.cpuMax }),
    basis: flags.cpuLifetime === true ? { kind: "lifetime" } : { kind: "window", windowMs: flags.cpuWindow ?? DEFAULT_WINDOW_MS },
    exemptNames: flags.cpuExempt,
    exemptUsers: flags.cpuExemptUser,
    includeNormalUsers: flags.cpuIncludeNormalUsers === true,
    defaultExempt: flags.cpuNoDefaultExempt !== true,
    top: flags.cpuTop,
    ...(flags.clockTicks === undefined ? {} : { clockTicks: flags.clockTicks }),
  };
}
