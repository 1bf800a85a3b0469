/**
 * Typed reads of HF config fields (config.json, adapter_config.json) with defaults: the one
 * reader every model's config parser uses. A bad value is a ConfigError `E_CONFIG_INVALID`
 * naming the field (unsupported but valid values are the parsers' `E_CONFIG_UNSUPPORTED`).
 */
import { ConfigError } from '../errors.js';

export type RawConfig = Readonly<Record<string, unknown>>;

/** A positive integer field (or its default when absent). */
export function intField(raw: RawConfig, key: string, def: number | undefined, file?: string): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw invalid(key, v, 'a positive integer', file);
  return v;
}

/** A positive finite number field (or its default). */
export function numField(raw: RawConfig, key: string, def: number | undefined, file?: string): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid(key, v, 'a positive number', file);
  return v;
}

export function strField(raw: RawConfig, key: string, def: string | undefined, file?: string): string {
  const v = raw[key] ?? def;
  if (typeof v !== 'string') throw invalid(key, v, 'a string', file);
  return v;
}

/** Checks that heads divide the hidden size (every attention here splits it evenly). */
export function checkHeads(hidden: number, heads: number, file?: string): void {
  if (hidden % heads !== 0) {
    throw new ConfigError(
      'E_CONFIG_INVALID',
      `hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`,
      { hidden_size: hidden, num_attention_heads: heads, ...(file ? { file } : {}) },
    );
  }
}

function invalid(key: string, v: unknown, what: string, file?: string): ConfigError {
  return new ConfigError('E_CONFIG_INVALID', `config field ${key} must be ${what}, got ${JSON.stringify(v)}`, {
    field: key,
    ...(file ? { file } : {}),
  });
}
