// Typed, located reads from a parsed YAML document: a wrong type, an unknown key or a duplicate
// key becomes a Problem at its exact line:column, and reading goes on so that every problem
// is found in one pass. Knows YAML nodes and value shapes, not what any setting means.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { parseDuration, formatDuration } from "../rules/duration.js";
import { suggest } from "./suggest.js";
import type { Problem } from "../rules/problem.js";

export interface YamlContext {
  readonly file: string;
  readonly text: string;
  readonly lines: LineCounter;
  readonly doc: Document;
  readonly problems: Problem[];
  /** Where a key unknown in one section belongs, for the hint ("max_percent belongs under cpu"). */
  readonly homeOf?: (key: string) => string | undefined;
}

/** A value with the place to blame when it is missing: a mapping entry's key, or the list item itself. */
export interface Field {
  /** Aliases resolved; null when nothing is written (`key:` alone). */
  readonly node: Node | null;
  readonly key: Node;
}

/** A mapping's allowed keys; `where` names it in messages ("under cpu", "at the top level"). */
export interface Section {
  readonly where: string;
  /** What a key is ("key" unless told: "security check"). */
  readonly noun?: string;
  readonly keys: readonly string[];
}

export function report(ctx: YamlContext, at: Node | number, token: string, reason: string): void {
  const offset = typeof at === "number" ? at : at.range?.[0] ?? 0;
  const { line, col } = ctx.lines.linePos(offset);
  ctx.problems.push({ code: "config", file: ctx.file, line, column: col, token, reason });
}

/** Where a field's problem is reported: its value, or its key when no value is written. */
export function blame(f: Field): Node {
  const r = f.node?.range;
  return f.node !== null && r !== undefined && r !== null && r[1] > r[0] ? f.node : f.key;
}

/** The value as written: a plain scalar's source text (so `-3` stays "-3" and 0x1F stays "0x1F"),
 * a quoted or block scalar's value, or the first line of a collection (shortened). */
export function tokenOf(ctx: YamlContext, node: Node | null): string {
  if (node === null) return "";
  if (isScalar(node)) {
    if (node.type === "PLAIN" && typeof node.source === "string") return node.source;
    return node.value === null || node.value === undefined ? "" : String(node.value);
  }
  const r = node.range;
  if (r === undefined || r === null) return "";
  const first = ctx.text.slice(r[0], r[1]).split("\n")[0]?.trim() ?? "";
  return first.length > 40 ? `${first.slice(0, 39)}…` : first;
}

/** Follows an alias to its anchored node; an unknown alias is a problem. */
export function resolve(ctx: YamlContext, node: unknown): Node | null | undefined {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target === undefined) report(ctx, node, `*${node.source}`, "alias of an anchor that is not defined before it");
    return target;
  }
  return node as Node;
}

export function kindOf(node: Node | null): string {
  if (node === null) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    if (node.value === null || node.value === undefined) return "nothing";
    if (typeof node.value === "number" || typeof node.value === "bigint") return "a number";
    if (typeof node.value === "boolean") return "a boolean";
    return "a string";
  }
  return "an unsupported node";
}

function wrongType(ctx: YamlContext, f: Field, expected: string, hint = ""): undefined {
  report(ctx, blame(f), tokenOf(ctx, f.node), `expected ${expected}, got ${kindOf(f.node)}${hint}`);
  return undefined;
}

/** `key:` with nothing after it: a section or list that is empty. */
function isNothing(node: Node | null): boolean {
  return node === null || (isScalar(node) && (node.value === null || node.value === undefined));
}

/** The known entries of a mapping (nothing written: an empty one). Unknown, duplicate and
 * non-word keys are problems; their values are not read. */
export function parseMapping(ctx: YamlContext, f: Field, section: Section): Map<string, Field> | undefined {
  if (isNothing(f.node)) return new Map();
  if (!isMap(f.node)) return wrongType(ctx, f, "a mapping (indented key: value lines)");
  const out = new Map<string, Field>();
  const first = new Map<string, Node>();
  for (const pair of f.node.items) {
    const key = resolve(ctx, pair.key);
    if (key === undefined) continue;
    if (key === null || !isScalar(key) || isNothing(key)) {
      report(ctx, key ?? f.node, tokenOf(ctx, key), `a key must be a plain word (known${section.where === "" ? "" : ` ${section.where}`}: ${section.keys.join(", ")})`);
      continue;
    }
    const name = tokenOf(ctx, key);
    const earlier = first.get(name);
    if (earlier !== undefined) {
      const { line, col } = ctx.lines.linePos(earlier.range?.[0] ?? 0);
      report(ctx, key, name, `duplicate key (first at ${line}:${col}): one value would silently replace the other`);
      continue;
    }
    first.set(name, key);
    if (!section.keys.includes(name)) {
      report(ctx, key, name, unknownKeyReason(name, section, ctx.homeOf?.(name)));
      continue;
    }
    const value = resolve(ctx, pair.value);
    if (value === undefined) continue;
    out.set(name, { node: value, key });
  }
  return out;
}

function unknownKeyReason(name: string, section: Section, home: string | undefined): string {
  const what = `unknown ${section.noun ?? "key"}${section.where === "" ? "" : ` ${section.where}`}`;
  if (home !== undefined) return `${what}: ${name} belongs ${home}`;
  const near = suggest(name, section.keys);
  return near === undefined ? `${what} (known: ${section.keys.join(", ")})` : `${what} (did you mean "${near}"?)`;
}

/** The items of a list (nothing written: none). A single value where a list belongs is a problem
 * with the bracketed spelling as hint. */
export function parseList(ctx: YamlContext, f: Field): Field[] | undefined {
  if (isNothing(f.node)) return [];
  if (!isSeq(f.node)) {
    return wrongType(ctx, f, "a list", isScalar(f.node) ? ` (a single item is written [${tokenOf(ctx, f.node)}])` : "");
  }
  const items: Field[] = [];
  for (const item of f.node.items) {
    const node = resolve(ctx, item);
    if (node === undefined) continue;
    items.push({ node, key: node ?? f.node });
  }
  return items;
}

/** A scalar as text. Numbers and booleans count as written (user: 0, select: "123" or 123). */
export function parseString(ctx: YamlContext, f: Field): string | undefined {
  if (isNothing(f.node)) {
    report(ctx, blame(f), tokenOf(ctx, f.key), "needs a value");
    return undefined;
  }
  if (!isScalar(f.node)) return wrongType(ctx, f, "a single value");
  return tokenOf(ctx, f.node);
}

/** A list of non-empty strings, each with its node (for per-item checks). */
export function parseStrings(ctx: YamlContext, f: Field): { readonly text: string; readonly field: Field }[] | undefined {
  const items = parseList(ctx, f);
  if (items === undefined) return undefined;
  const out: { text: string; field: Field }[] = [];
  for (const item of items) {
    const text = parseString(ctx, item);
    if (text === undefined) continue;
    if (text === "") {
      report(ctx, blame(item), text, "an empty string names nothing");
      continue;
    }
    out.push({ text, field: item });
  }
  return out;
}

export function parseBool(ctx: YamlContext, f: Field): boolean | undefined {
  if (isScalar(f.node) && typeof f.node.value === "boolean") return f.node.value;
  const token = tokenOf(ctx, f.node);
  // YAML 1.2 has only true/false; yes/no/on/off are strings there (unlike YAML 1.1).
  const hint = /^(yes|no|on|off|y|n)$/i.test(token) ? ` ("${token}" is a string in YAML 1.2)` : "";
  return wrongType(ctx, f, "true or false", hint);
}

/** A whole number in [min, max], written as a number (not quoted). */
export function parseWholeNumber(ctx: YamlContext, f: Field, min: number, max: number, meaning: string): number | undefined {
  if (!isScalar(f.node) || isNothing(f.node) || f.node.type !== "PLAIN") {
    return wrongType(ctx, f, `a whole number (${meaning})`, isScalar(f.node) && f.node.type !== "PLAIN" ? "; remove the quotes" : "");
  }
  const token = tokenOf(ctx, f.node);
  const n = /^\d{1,10}$/.test(token) ? Number(token) : NaN;
  if (!(n >= min && n <= max)) {
    report(ctx, f.node, token, `must be a whole number from ${min} to ${max} (${meaning})`);
    return undefined;
  }
  return n;
}

/** A duration ("10s", "500ms", "1m"; a bare number is seconds) within [minMs, maxMs]. */
export function parseDurationValue(ctx: YamlContext, f: Field, minMs: number, maxMs: number, meaning: string): number | undefined {
  const token = parseString(ctx, f);
  if (token === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(token, { minMs: 1, maxMs: Number.MAX_SAFE_INTEGER });
  } catch {
    // parseDuration's only failure here is the syntax: say what a duration looks like.
    report(ctx, blame(f), token, "not a duration (a number with a unit: 500ms, 10s, 1m, 1h; a bare number is seconds)");
    return undefined;
  }
  if (ms < minMs || ms > maxMs) {
    report(ctx, blame(f), token, `${meaning} must be from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`);
    return undefined;
  }
  return ms;
}
