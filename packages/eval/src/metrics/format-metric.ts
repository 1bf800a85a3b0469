/**
 * A metric value as text, by its registry format: in a table (fixed 4 decimals, counts as
 * integers) or on a report card (3 significant-ish digits, rates as percentages).
 */
import { findMetric } from './metric-registry.js';

/** `table`: CLI tables (`kvc eval`, `kvc metrics`); `card`: the report's big numbers and gallery. */
export type MetricTextStyle = 'table' | 'card';

/** Format `value` of metric `name` (a key or alias; unknown names print integers as integers). */
export function formatMetric(name: string, value: number, style: MetricTextStyle = 'card'): string {
  const format = findMetric(name)?.format ?? 'number';
  if (format === 'count' || (format === 'number' && Number.isInteger(value))) return String(value);
  if (style === 'table') return value.toFixed(4);
  if (format === 'percent') return `${(value * 100).toFixed(1)}%`;
  const a = Math.abs(value);
  return a >= 100 ? value.toFixed(0) : a >= 10 ? value.toFixed(1) : value.toFixed(3);
}
