// Pure: which characters can hide or reorder text on a terminal, in a log or in a web page. One
// definition for the output escape (output/escape.ts) and for rule text in the daemon's
// configuration (a rule's label names a metric series and a word of mon's summary).
//
// The set is Unicode's "Other" categories plus the two separators, not a list of code points, so
// none is forgotten: Cc (C0, DEL, C1), Cf (every bidi control: U+061C, U+200E/F, U+202A-E,
// U+2066-9; zero-width and tag characters, U+FEFF), Zl/Zp (U+2028, U+2029), Co (private use) and
// Cn (unassigned: a future format character). Surrogates (Cs) never reach here as text.
// See https://www.unicode.org/reports/tr9/ (bidi controls) and Unicode TR #36 (security).

const HIDDEN = /[\p{C}\p{Zl}\p{Zp}]/u;

export function isHiddenCodePoint(cp: number): boolean {
  if (cp < 0xa0) return cp < 0x20 || cp >= 0x7f;
  return HIDDEN.test(String.fromCodePoint(cp));
}

/** The first hidden character of a text and its code point, or undefined. */
export function findHiddenCharacter(text: string): { readonly index: number; readonly codePoint: number } | undefined {
  const m = HIDDEN.exec(text);
  return m === null ? undefined : { index: m.index, codePoint: m[0].codePointAt(0) as number };
}

/** "U+061C": how a message names a character it must not print. */
export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Why rule text with a hidden character is refused, or undefined when it has none. */
export function hiddenCharacterReason(text: string): string | undefined {
  const hidden = findHiddenCharacter(text);
  if (hidden === undefined) return undefined;
  const position = [...text.slice(0, hidden.index)].length + 1;
  return `character ${formatCodePoint(hidden.codePoint)} at position ${position} is a control, invisible, bidi or separator character`
    + " (it could hide or reorder text where the rule's name is shown: metric labels, mon's summary)";
}
