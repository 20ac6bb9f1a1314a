// The bounds of a configuration: how large a file, how many rules, how long a rule's label may be.
// Everything in a config file can come from whoever can write it, and one oversized item must
// end in a located problem, not in seconds of parsing or gigabytes of metric attributes.
// Pure: checks what load.ts read; the file's size is capped where it is read (load.ts).
import { isNode, isSeq } from "yaml";
import type { Rule } from "../rules/types.js";
import { type Field, type YamlContext, report } from "./fields.js";
import type { Problem } from "../rules/problem.js";

/** Largest configuration file read. The example with every key is ~6 KiB; 10,000 one-line
 * rules fit in ~400 KiB. The YAML parser needs ~50x the file's size in memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most rules (file and command line together): each is a metric series set and a summary word,
 * and each costs evaluation time per process and scan. */
export const MAX_RULES = 10_000;
/** Longest rule label, in UTF-8 bytes: it is a metric attribute value and a word of mon's summary. */
export const MAX_LABEL_BYTES = 256;

/** A token shown in a message, cut so that a 10 MB value does not become a 10 MB log line. */
export function shortToken(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** False (with a problem at the first rule too many) when `rules:` lists more than MAX_RULES:
 * then the list is not read at all, which would take long for nothing. */
export function checkRuleCount(ctx: YamlContext, f: Field): boolean {
  const node = f.node;
  if (!isSeq(node) || node.items.length <= MAX_RULES) return true;
  const extra = node.items[MAX_RULES];
  const at = (isNode(extra) ? extra.range?.[0] : undefined) ?? node.range?.[0] ?? 0;
  report(ctx, at, `rule ${MAX_RULES + 1}`, `too many rules: ${node.items.length}, at most ${MAX_RULES} (file and command line together)`);
  return false;
}

/** Problems for labels longer than MAX_LABEL_BYTES, and for more than MAX_RULES rules once the
 * command line's are added; each at the rule's own place (file:line:col, or argument N). */
export function ruleLimitProblems(rules: readonly Rule[]): Problem[] {
  const problems: Problem[] = [];
  for (const rule of rules) {
    const bytes = Buffer.byteLength(rule.label, "utf8");
    if (bytes <= MAX_LABEL_BYTES) continue;
    problems.push({
      code: "limit",
      file: rule.source.file,
      line: rule.source.line,
      column: rule.source.column,
      token: shortToken(rule.label),
      reason: `the rule's label is ${bytes} bytes long, at most ${MAX_LABEL_BYTES}: it names the rule's metric series and summary word; give the rule a shorter name: (the mapping form), or shorten its selector and qualifiers`,
    });
  }
  const extra = rules[MAX_RULES];
  if (extra !== undefined) {
    problems.push({
      code: "limit",
      file: extra.source.file,
      line: extra.source.line,
      column: extra.source.column,
      token: shortToken(extra.text),
      reason: `too many rules: ${rules.length}, at most ${MAX_RULES} (file and command line together)`,
    });
  }
  return problems;
}
