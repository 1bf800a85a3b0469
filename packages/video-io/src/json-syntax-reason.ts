/**
 * Why a label's JSON does not parse, in words that never quote the text: V8's messages quote the
 * start of the input ("Unexpected token 'r', "root:x:0:0"... is not valid JSON"), and a label may
 * be a symlink to a secret. Says where (line and column) when the engine gives a position.
 */

const KINDS: readonly (readonly [RegExp, string])[] = [
  [/Unexpected end/i, 'the text ends before the JSON value does'],
  [/Unterminated string/i, 'a string is not closed'],
  [/Bad control character/i, 'a control character inside a string'],
  [/Bad (escaped|Unicode escape)/i, 'a bad escape inside a string'],
  [/after JSON/i, 'unexpected text after the JSON value'],
  [/Expected property name/i, 'a property name (in double quotes) is expected'],
  [/Expected ',' or/i, "a ',' or a closing bracket is expected"],
  [/Expected ':'/i, "a ':' is expected after a property name"],
  [/Expected double-quoted/i, 'a property name (in double quotes) is expected'],
];

/** `invalid JSON: <what> [at line L, column C]` for an error thrown by `JSON.parse(text)`. */
export function jsonSyntaxReason(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : '';
  const what = KINDS.find(([re]) => re.test(message))?.[1] ?? 'an unexpected character';
  const pos = /at position (\d+)/.exec(message);
  if (!pos) return `invalid JSON: ${what}`;
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `invalid JSON: ${what} at line ${line}, column ${column}`;
}
