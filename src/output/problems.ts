// Pure: problems with what procwatch was asked (rules, configuration, flags, variables) and
// failures to check at all (an unreadable root, a timeout, a daemon that cannot be trusted) →
// the text of each output. The one place such text is built. Every part is escaped: a problem
// echoes its own tokens (a newline, ESC or U+202E in a YAML file or an argument must not split
// or reorder a line), and the reason quotes them too.
import type { Problem } from "../rules/problem.js";
import { escapeText } from "./escape.js";
import type { Formatted, OutputFormat } from "./format.js";
import { capOutput } from "./mon.js";
import { formatNagiosUnknown } from "./nagios.js";

/** `procwatch.yaml:12:9: "5-1": ...`, `argument 2: "sshd:x-": ...`, `environment: "OTEL_...=grpc": ...` */
export function formatProblem(p: Problem): string {
  const reason = escapeText(p.reason);
  if (p.file === "options") return `command-line options: ${reason}`;
  const where = p.file === "argv" ? `argument ${p.line}` : p.file === "environment" ? "environment" : `${escapeText(p.file)}:${p.line}:${p.column}`;
  return `${where}: "${escapeText(p.token)}": ${reason}`;
}

/**
 * A check that could not run, in its format: mon `procwatch: REASON` (and the detail on a line of
 * its own), json `{"ok":false,"error":...}`, Nagios UNKNOWN (exit 3) with the detail after the
 * reason. Reason and detail may hold argv or error text: escaped here.
 */
export function formatFailure(format: OutputFormat, reason: string, detail = ""): Formatted {
  if (format === "nagios") return formatNagiosUnknown(detail === "" ? reason : `${reason}: ${detail}`);
  if (format === "json") return { text: `${JSON.stringify({ ok: false, error: escapeText(reason), ...(detail === "" ? {} : { detail: escapeText(detail) }) })}\n`, exitCode: 1 };
  return { text: `procwatch: ${escapeText(reason)}\n${detail === "" ? "" : `${escapeText(detail)}\n`}`, exitCode: 1 };
}

/**
 * Problems with a check's own arguments and flags, all of them. Bad rule arguments read as
 * ps.monitor said it (`Can't parse "ARG": reason`, one line each); a flag's problem as a failure.
 * Nagios: UNKNOWN with the first on line 1 and every one below.
 */
export function formatProblems(format: OutputFormat, problems: readonly Problem[]): Formatted {
  const first = problems[0];
  if (first === undefined) throw new Error("bug: formatProblems without a problem");
  if (problems.every((p) => p.file === "options")) return formatFailure(format, first.reason);
  if (format === "json") {
    const errors = problems.map((p) => ({ ...(p.file === "argv" ? { argument: p.line } : { file: escapeText(p.file), line: p.line, column: p.column }), token: escapeText(p.token), reason: escapeText(p.reason) }));
    return { text: `${JSON.stringify({ ok: false, errors })}\n`, exitCode: 1 };
  }
  if (format === "nagios") {
    const raw = problems.map(rawLine);
    return formatNagiosUnknown(raw[0] as string, raw.length > 1 ? raw : []);
  }
  return { text: capOutput(problems.map((p) => escapeText(rawLine(p))), 16 * 1024), exitCode: 1 };
}

/** One problem as a line before escaping (formatNagiosUnknown escapes its own input). */
function rawLine(p: Problem): string {
  if (p.file === "argv") return `Can't parse "${p.token}": ${p.reason}`;
  if (p.file === "options") return `procwatch: ${p.reason}`;
  return `${p.file === "environment" ? "environment" : `${p.file}:${p.line}:${p.column}`}: "${p.token}": ${p.reason}`;
}
