// Characters that can hide or reorder text, and the test's own oracle for them (independent of
// src/rules/characters.ts): for the escape table test and the parser/loader property tests.
import assert from "node:assert/strict";

/** name, character: C0 and C1 controls, every bidi control, the separators, invisible ones. */
export const HIDDEN: readonly (readonly [string, string])[] = [
  ["U+0001", "\u0001"], ["LF", "\n"], ["CR", "\r"], ["TAB", "\t"], ["ESC", "\u001b"], ["DEL", "\u007f"],
  ["U+0085 NEL", "\u0085"], ["U+009B CSI", "\u009b"],
  ["U+061C ARABIC LETTER MARK", "\u061c"], ["U+200E LRM", "\u200e"], ["U+200F RLM", "\u200f"],
  ["U+202A LRE", "\u202a"], ["U+202B RLE", "\u202b"], ["U+202C PDF", "\u202c"], ["U+202D LRO", "\u202d"], ["U+202E RLO", "\u202e"],
  ["U+2066 LRI", "\u2066"], ["U+2067 RLI", "\u2067"], ["U+2068 FSI", "\u2068"], ["U+2069 PDI", "\u2069"],
  ["U+2028 LINE SEPARATOR", "\u2028"], ["U+2029 PARAGRAPH SEPARATOR", "\u2029"],
  ["U+200B ZERO WIDTH SPACE", "\u200b"], ["U+FEFF", "\ufeff"], ["U+E0041 TAG LATIN CAPITAL LETTER A", "\u{e0041}"],
];

// The test's own oracle, independent of src/rules/characters.ts: controls, format characters and
// separators. A line break ends a line, so it is checked by counting lines instead.
export const RAW = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** %XX of the character's UTF-8 bytes: what procwatch prints instead. */
export const escaped = (ch: string): string => [...Buffer.from(ch, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");

export function assertNoRaw(text: string, what: string): void {
  text.split("\n").forEach((line, i) => {
    const m = RAW.exec(line);
    assert.equal(m, null, `${what}, line ${i + 1}: raw U+${m?.[0].codePointAt(0)?.toString(16).toUpperCase()} in ${JSON.stringify(line)}`);
  });
}

/** Every string in a parsed JSON document. */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}
