// Runs one measured command the way mon would (stdin /dev/null, cwd /, a given environment) and
// times it wall-clock with process.hrtime.bigint(); plus the median used for every figure.
import { spawnSync } from "node:child_process";

export interface Command {
  readonly label: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Variables set for this command on top of the bench's environment. */
  readonly setEnv?: Readonly<Record<string, string>>;
}

export interface Run {
  readonly ms: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function timeRun(cmd: Command, env: NodeJS.ProcessEnv): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, { cwd: "/", env: cmd.setEnv === undefined ? env : { ...env, ...cmd.setEnv }, stdio: ["ignore", "pipe", "pipe"], encoding: "latin1", maxBuffer: 16 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error !== undefined) throw new Error(`cannot run ${cmd.file}: ${r.error.message}`, { cause: r.error });
  return { ms, exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A shell-pasteable rendering of `env -u VAR file args...`. */
export function formatCommand(cmd: Command, unset: readonly string[]): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const set = Object.entries(cmd.setEnv ?? {});
  return ["env", ...unset.filter((v) => cmd.setEnv?.[v] === undefined).flatMap((v) => ["-u", v]), ...set.map(([k, v]) => `${k}=${v}`), cmd.file, ...cmd.args].map(quote).join(" ");
}
