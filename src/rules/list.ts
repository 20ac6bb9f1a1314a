// Pure: the rule arguments of one command line → rules (counts and probes), or every error found
// (not just the first).
import type { Accounts } from "../system/accounts.js";
import { RuleError } from "./errors.js";
import type { Problem } from "./problem.js";
import { type ParseContext, parseOneLiner } from "./oneliner.js";
import { isProbeText, parseProbe } from "./probe.js";
import type { CountRule, ProbeRule, Rule } from "./types.js";

/** One argument: a probe (tcp://...) or a count rule (NAME:MIN-MAX[,...]). */
export function parseRuleText(arg: string, ctx: ParseContext): Rule {
  return isProbeText(arg) ? parseProbe(arg, ctx.source) : parseOneLiner(arg, ctx);
}

export function countRules(rules: readonly Rule[]): CountRule[] {
  return rules.filter((r): r is CountRule => r.kind === "count");
}

export function probeRules(rules: readonly Rule[]): ProbeRule[] {
  return rules.filter((r): r is ProbeRule => r.kind === "probe");
}

export interface ParsedRules {
  readonly rules: readonly Rule[];
  /** One per bad argument, code "rule", at `argv` line N (its position). */
  readonly errors: readonly Problem[];
}

export function parseRuleArgs(args: readonly string[], accounts: Accounts): ParsedRules {
  const rules: Rule[] = [];
  const errors: Problem[] = [];
  const byLabel = new Map<string, number>();
  args.forEach((arg, i) => {
    const source = { file: "argv", line: i + 1, column: 1 };
    try {
      const rule = parseRuleText(arg, { accounts, source });
      const earlier = byLabel.get(rule.label);
      if (earlier !== undefined) {
        // ps.monitor lets the last duplicate win silently; two ranges for one rule is a mistake.
        throw new RuleError(arg, `duplicate of argument ${earlier} ("${args[earlier - 1]}")`, source);
      }
      byLabel.set(rule.label, i + 1);
      rules.push(rule);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push(err.problem);
    }
  });
  return { rules, errors };
}
