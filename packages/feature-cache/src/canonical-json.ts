/**
 * Canonical JSON: object keys sorted, no whitespace, so equal ingredient objects always hash to the
 * same cache key whatever order their fields were written in.
 */
import { InvalidArgumentError } from './errors.js';

/** Serialises plain data (objects, arrays, strings, finite numbers, booleans, null) canonically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new InvalidArgumentError(`cannot put ${value} in a cache key`, { value: String(value) });
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined) // like JSON.stringify: an absent field and `undefined` agree
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
  }
  throw new InvalidArgumentError(`cannot put a ${typeof value} in a cache key`, { type: typeof value });
}
