// The only road from process-derived (or user-given) text to output. Byte-wise and free of
// backslashes, because mon's clients double every backslash and decode "\xx" themselves.
// Escaped as %XX: control bytes, DEL, '%' itself (so the escape is unambiguous), '|' (Nagios
// splits output and perfdata on it), invalid UTF-8, and every code point that can hide or reorder
// text (rules/characters.ts: C1 controls, all bidi controls, line and paragraph separators,
// zero-width and other format characters). Valid printable UTF-8 stays.
import { isHiddenCodePoint } from "../rules/characters.js";

export interface EscapeOptions {
  /** Also escape spaces, for tokens that must stay one word (mon summary). */
  readonly space?: boolean;
}

const HEX = "0123456789ABCDEF";

function pct(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

/** Escapes a byte string (latin1: one char per byte), as read from /proc. */
export function escapeBytes(bytes: string, options: EscapeOptions = {}): string {
  let out = "";
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes.charCodeAt(i);
    if (b > 0xff) {
      // Not a byte: a JavaScript character slipped in (mixed text). Escape it through its UTF-8.
      const cp = bytes.codePointAt(i) as number;
      out += escapeText(String.fromCodePoint(cp), options);
      if (cp > 0xffff) i++;
      continue;
    }
    if (b < 0x80) {
      if (b < 0x20 || b === 0x7f || b === 0x25 || b === 0x7c || (b === 0x20 && options.space === true)) out += pct(b);
      else out += bytes[i];
      continue;
    }
    const len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? (b <= 0xef ? 3 : 0) : b >= 0xc2 ? 2 : 0;
    let cp = len === 4 ? b & 0x07 : len === 3 ? b & 0x0f : b & 0x1f;
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const c = bytes.charCodeAt(i + k);
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    // reject overlongs, surrogates and code points beyond Unicode
    if (ok && ((len === 3 && cp < 0x800) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok && !isHiddenCodePoint(cp)) {
      out += String.fromCodePoint(cp);
      i += len - 1;
    } else if (ok) {
      for (let k = 0; k < len; k++) out += pct(bytes.charCodeAt(i + k));
      i += len - 1;
    } else {
      out += pct(b);
    }
  }
  return out;
}

/** Escapes a JavaScript string (argv, config) the same way, through its UTF-8 bytes. */
export function escapeText(text: string, options: EscapeOptions = {}): string {
  return escapeBytes(Buffer.from(text, "utf8").toString("latin1"), options);
}
