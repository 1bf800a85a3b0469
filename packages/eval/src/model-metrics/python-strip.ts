/**
 * Python's `str.strip()` (bert_score strips every sentence before encoding): its whitespace set
 * differs from `String.prototype.trim`'s — U+001C..U+001F and U+0085 are stripped, U+FEFF is not.
 */
const PY_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f,
    0x3000,
  ]
    .concat(Array.from({ length: 11 }, (_, i) => 0x2000 + i))
    .map((c) => String.fromCharCode(c)),
);

/** `s.strip()` as Python computes it. */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  // Every Python whitespace character is in the BMP, so UTF-16 units suffice.
  while (start < end && PY_WHITESPACE.has(s[start]!)) start++;
  while (end > start && PY_WHITESPACE.has(s[end - 1]!)) end--;
  return s.slice(start, end);
}
