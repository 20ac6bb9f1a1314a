// Pure: configuration problems → the lines `procwatch validate` prints and `procwatch run` logs.
// Every part is escaped: a problem echoes the file's own tokens (a newline, ESC or U+202E in
// the YAML must not split or reorder the line), and the reason quotes them too.
import type { ConfigProblem } from "../config/types.js";
import { escapeText } from "./escape.js";

/** `procwatch.yaml:12:9: "5-1": ...`, `argument 2: "sshd:x-": ...`, `environment: "OTEL_...=grpc": ...` */
export function formatProblem(p: ConfigProblem): string {
  const reason = escapeText(p.reason);
  if (p.file === "options") return `command-line options: ${reason}`;
  const where = p.file === "argv" ? `argument ${p.line}` : p.file === "environment" ? "environment" : `${escapeText(p.file)}:${p.line}:${p.column}`;
  return `${where}: "${escapeText(p.token)}": ${reason}`;
}
