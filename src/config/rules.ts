// The `rules:` list of a config file → Rule[]. An item is a one-liner string (the command-line
// grammar, parsed by oneliner.ts or probe.ts) or a mapping with the same meaning, built from the
// same validated pieces (selector, range, qualifier values; probe address, banner, timeout) rather
// than pasted into a one-liner, so a value the one-liner cannot carry (an args= regex containing
// ",user=") still means what it says. A mapping with `probe:` is a probe, any other a count rule.
// Every error is located at the rule string or at the offending key's value. Pure given Accounts.
import { isMap, isScalar, type Node } from "yaml";
import type { Accounts } from "../system/accounts.js";
import { hiddenCharacterReason } from "../rules/characters.js";
import { RuleError } from "../rules/errors.js";
import { parseRuleText } from "../rules/list.js";
import { CPU_KEY, parseQualifierValue, parseRange, parseSelector, parseWarnRange, QUALIFIER_KEYS, WARN_KEY } from "../rules/oneliner.js";
import { checkProbeAddress, DEFAULT_PROBE_TIMEOUT_MS, parseBanner, parseProbeTarget, parseProbeTimeout, type ProbeTarget } from "../rules/probe.js";
import { LIMIT_KEYS, type LimitKey, parseLimit } from "../rules/limits.js";
import type { CountRange, ProbeRule, ProcessLimits, Qualifier, QualifierKey, Rule, RuleSource, Selector } from "../rules/types.js";
import { blame, type Field, type YamlContext, parseBool, parseList, parseMapping, parseString, report, tokenOf } from "./fields.js";
import { suggest } from "./suggest.js";

/** A mapping's `not_unit: ssh.service` is the one-liner's `unit!=ssh.service`. */
const NEGATED = { not_unit: "unit", not_cgroup: "cgroup", not_container: "container" } as const;
const NEGATED_KEYS = Object.keys(NEGATED);

/** The keys of a rule mapping, qualifiers in the one-liner's order. */
export const RULE_KEYS: readonly string[] = ["name", "select", "count", ...QUALIFIER_KEYS, ...NEGATED_KEYS, CPU_KEY, WARN_KEY, ...LIMIT_KEYS];

/** The keys of a probe mapping: `probe: tcp://127.0.0.1:22`, then the one-liner's qualifiers. */
export const PROBE_RULE_KEYS: readonly string[] = ["name", "probe", "banner", "timeout", "remote"];

/** Longest rule name: it becomes a metric attribute value and a word in mon's summary line. */
const MAX_NAME = 128;

interface Placed {
  readonly rule: Rule;
  /** Where a duplicate is reported, and the token shown: the one-liner, or the name. */
  readonly at: Node;
  readonly token: string;
}

export function parseRules(ctx: YamlContext, f: Field, accounts: Accounts): Rule[] {
  const items = parseList(ctx, f) ?? [];
  const placed: Placed[] = [];
  for (const item of items) {
    const p = isMap(item.node) ? parseStructured(ctx, item, accounts) : parseOneLinerItem(ctx, item, accounts);
    if (p !== undefined) placed.push(p);
  }
  // ps.monitor lets the last duplicate win silently; two rules with one label would also share
  // one metric series and one summary word.
  const byLabel = new Map<string, Rule>();
  for (const p of placed) {
    const first = byLabel.get(p.rule.label);
    if (first === undefined) byLabel.set(p.rule.label, p.rule);
    else report(ctx, p.at, p.token, duplicateReason(p.rule.label, `${first.source.line}:${first.source.column}`));
  }
  return placed.map((p) => p.rule);
}

export function duplicateReason(label: string, firstAt: string): string {
  return `duplicate rule label "${label}" (first at ${firstAt}); a label names one rule's metric series and summary line, so give one of them a distinct name`;
}

function sourceOf(ctx: YamlContext, node: Node): RuleSource {
  const { line, col } = ctx.lines.linePos(node.range?.[0] ?? 0);
  return { file: ctx.file, line, column: col };
}

function parseOneLinerItem(ctx: YamlContext, item: Field, accounts: Accounts): Placed | undefined {
  if (!isScalar(item.node) || item.node.value === null) {
    report(ctx, blame(item), tokenOf(ctx, item.node), `a rule is a one-liner string ("sshd:1-,user=root") or a mapping (select: sshd, count: 1-), got ${item.node === null || isScalar(item.node) ? "nothing" : "a list"}`);
    return undefined;
  }
  const text = parseRuleTextItem(ctx, item);
  if (text === undefined) return undefined;
  const at = item.node;
  if (!text.includes(":")) {
    report(ctx, at, text, `no ':MIN-MAX' range (e.g. "${text === "" ? "sshd" : text}:1-")`);
    return undefined;
  }
  try {
    return { rule: parseRuleText(text, { accounts, source: sourceOf(ctx, at) }), at, token: text };
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    report(ctx, at, text, err.reason);
    return undefined;
  }
}

/** Thrown by a piece's fail callback; caught right there and turned into a located problem. */
class PieceError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const throwPiece = (reason: string): never => {
  throw new PieceError(reason);
};

/** Parses one piece with a oneliner.ts helper; its error is reported at the piece's value. */
function piece<T>(ctx: YamlContext, f: Field, token: string, parse: (fail: (reason: string) => never) => T): T | undefined {
  try {
    return parse(throwPiece);
  } catch (err) {
    if (!(err instanceof PieceError)) throw err;
    report(ctx, blame(f), token, err.reason);
    return undefined;
  }
}

function parseStructured(ctx: YamlContext, item: Field, accounts: Accounts): Placed | undefined {
  const map = item.node;
  if (!isMap(map)) return undefined;
  if (map.items.some((pair) => isScalar(pair.key) && tokenOf(ctx, pair.key) === "probe")) return parseProbeItem(ctx, item);
  const only = map.items.length === 1 ? map.items[0] : undefined;
  const onlyKey = only !== undefined && isScalar(only.key) ? tokenOf(ctx, only.key) : undefined;
  if (only !== undefined && onlyKey !== undefined && !RULE_KEYS.includes(onlyKey) && suggest(onlyKey, RULE_KEYS) === undefined) {
    // "- sshd: 1-" is YAML for a mapping; the one-liner has no space after the colon.
    const name = onlyKey;
    report(ctx, only.key as Node, name, `not a rule key; a one-liner has no space after ':' ("${name}:${isScalar(only.value) ? tokenOf(ctx, only.value) : "MIN-MAX"}"), or write select: ${name} and count: MIN-MAX`);
    return undefined;
  }
  const before = ctx.problems.length;
  const entries = parseMapping(ctx, item, { where: "in a rule", keys: RULE_KEYS });
  if (entries === undefined) return undefined;
  const select = entries.get("select");
  const count = entries.get("count");
  for (const [key, f] of [["select", select], ["count", count]] as const) {
    if (f === undefined) report(ctx, map, key, "missing: a rule mapping needs select (a process name or /path) and count (MIN-MAX)");
  }
  const texts = new Map<string, string>();
  for (const [key, f] of entries) {
    const text = parseRuleTextItem(ctx, f);
    if (text !== undefined) texts.set(key, text);
  }
  const pctx = { accounts, source: sourceOf(ctx, map) };
  const selectText = texts.get("select");
  const countText = texts.get("count");
  const selector = select === undefined || selectText === undefined ? undefined : piece<Selector>(ctx, select, selectText, (fail) => parseSelector(selectText, fail));
  const range = count === undefined || countText === undefined ? undefined : piece<CountRange>(ctx, count, countText, (fail) => parseRange(countText, fail, ""));
  const qualifiers: Qualifier[] = [];
  let cpu: CountRange | undefined;
  let warn: CountRange | undefined;
  let limits: ProcessLimits | undefined;
  const parts: string[] = [];
  for (const [key, f] of entries) {
    const text = texts.get(key);
    if (key === "name" || key === "select" || key === "count" || text === undefined) continue;
    const negated = (NEGATED as Record<string, QualifierKey | undefined>)[key];
    parts.push(negated === undefined ? `${key}=${text}` : `${negated}!=${text}`);
    if (key === CPU_KEY) cpu = piece(ctx, f, text, (fail) => parseRange(text, fail, ""));
    else if (key === WARN_KEY) warn = piece(ctx, f, text, (fail) => (range === undefined ? parseRange(text, fail, "") : parseWarnRange(text, range, fail)));
    else if ((LIMIT_KEYS as readonly string[]).includes(key)) limits = piece(ctx, f, text, (fail) => parseLimit(key as LimitKey, text, limits ?? {}, fail)) ?? limits;
    else {
      const q = piece(ctx, f, text, (fail) => parseQualifierValue(negated ?? (key as QualifierKey), text, pctx, fail, { negate: negated !== undefined }));
      if (q !== undefined) qualifiers.push(q);
    }
  }
  const nameField = entries.get("name");
  const name = nameField === undefined ? undefined : texts.get("name");
  if (nameField !== undefined && name !== undefined) checkName(ctx, nameField, name);
  if (ctx.problems.length > before || selector === undefined || range === undefined || selectText === undefined) return undefined;
  // The same text and label as the equivalent one-liner; warn= is a threshold, not part of the label.
  const label = name ?? selectText + parts.filter((p) => !p.startsWith(`${WARN_KEY}=`)).map((p) => `,${p}`).join("");
  const rule: Rule = {
    kind: "count",
    text: `${selectText}:${countText}${parts.map((p) => `,${p}`).join("")}`,
    label,
    selector,
    range,
    ...(warn === undefined ? {} : { warn }),
    ...(cpu === undefined ? {} : { cpu }),
    ...(limits === undefined ? {} : { limits }),
    qualifiers,
    source: pctx.source,
  };
  return { rule, at: nameField?.node ?? map, token: name ?? label };
}

/** `{ name?, probe: tcp://ADDR:PORT, banner?, timeout?, remote? }`: the one-liner's probe, each
 * problem located at its own value. */
function parseProbeItem(ctx: YamlContext, item: Field): Placed | undefined {
  const map = item.node;
  if (!isMap(map)) return undefined;
  const before = ctx.problems.length;
  const entries = parseMapping(ctx, item, { where: "in a probe rule", keys: PROBE_RULE_KEYS });
  if (entries === undefined) return undefined;
  const text = (key: string): { f: Field; text: string } | undefined => {
    const f = entries.get(key);
    const t = f === undefined ? undefined : parseRuleTextItem(ctx, f);
    return f === undefined || t === undefined ? undefined : { f, text: t };
  };
  const probe = text("probe");
  const banner = text("banner");
  const timeout = text("timeout");
  const nameField = entries.get("name");
  const name = text("name")?.text;
  if (nameField !== undefined && name !== undefined) checkName(ctx, nameField, name);
  const remoteField = entries.get("remote");
  const isRemote = remoteField === undefined ? false : parseBool(ctx, remoteField) ?? false;
  const target = probe === undefined ? undefined : piece<ProbeTarget>(ctx, probe.f, probe.text, (fail) => parseProbeTarget(probe.text, fail));
  if (target !== undefined && probe !== undefined) piece(ctx, remoteField ?? probe.f, probe.text, (fail) => checkProbeAddress(target, isRemote, fail));
  const pattern = banner === undefined ? undefined : piece(ctx, banner.f, banner.text, (fail) => parseBanner(banner.text, fail));
  const timeoutMs = timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : piece(ctx, timeout.f, timeout.text, (fail) => parseProbeTimeout(timeout.text, fail));
  if (ctx.problems.length > before || target === undefined || probe === undefined || timeoutMs === undefined) return undefined;
  // The same text and label as the equivalent one-liner.
  const bannerPart = banner === undefined ? "" : `,banner=${banner.text}`;
  const rule: ProbeRule = {
    kind: "probe",
    text: `${probe.text}${bannerPart}${timeout === undefined ? "" : `,timeout=${timeout.text}`}${isRemote ? ",remote=yes" : ""}`,
    label: name ?? `${probe.text}${bannerPart}`,
    host: target.host,
    address: target.address,
    port: target.port,
    ...(pattern === undefined ? {} : { banner: pattern }),
    timeoutMs,
    isRemote,
    source: sourceOf(ctx, map),
  };
  return { rule, at: nameField?.node ?? map, token: name ?? rule.label };
}

/** A rule's text (a one-liner, or a mapping's value): one check for both forms, because either
 * ends up in the rule's label, which names its metric series and its word of mon's summary. */
function parseRuleTextItem(ctx: YamlContext, f: Field): string | undefined {
  const text = parseString(ctx, f);
  if (text === undefined) return undefined;
  const hidden = hiddenCharacterReason(text);
  if (hidden === undefined) return text;
  report(ctx, blame(f), text, hidden);
  return undefined;
}

/** A name has passed parseRuleTextItem; it must also stay one word. */
function checkName(ctx: YamlContext, f: Field, name: string): void {
  if (name === "") report(ctx, blame(f), name, "a rule name must not be empty");
  else if (/[\s,:]/u.test(name)) {
    report(ctx, blame(f), name, "a rule name may not contain spaces, commas or colons (it is a metric attribute and one word of mon's summary)");
  } else if (name.length > MAX_NAME) report(ctx, blame(f), name, `a rule name must be at most ${MAX_NAME} characters`);
}
