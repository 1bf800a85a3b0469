/**
 * Which keys of two configs differ, as dotted paths: resuming with a config that changes what
 * training computes is refused with this list, while keys that only affect where output goes or
 * how it is shown may differ.
 */

export function configDiff(a: unknown, b: unknown, ignore: readonly string[] = [], prefix = ''): string[] {
  if (ignore.includes(prefix)) return [];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDiff(a[k], b[k], ignore, prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
