/**
 * Resolves the run config from a preset or a YAML/JSON file plus `key=value` overrides, and
 * validates it once. Errors name the file, the key path and, for unknown keys, the closest known key.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CliError } from '../cli-error.js';
import { presets, type PresetName } from './presets.js';
import { runConfigSchema, type RunConfig } from './run-config.js';
import { suggest } from './suggest.js';

export interface ConfigSource {
  readonly preset?: string;
  readonly file?: string;
  readonly overrides?: readonly string[];
}

export function loadRunConfig(src: ConfigSource): RunConfig {
  let base: Record<string, unknown> = {};
  if (src.preset && src.file) throw new CliError('E_CONFIG_ARGS', 'give either --preset or --config, not both');
  if (src.preset) {
    if (!(src.preset in presets)) {
      const s = suggest(src.preset, Object.keys(presets));
      throw new CliError(
        'E_UNKNOWN_PRESET',
        `unknown preset "${src.preset}"`,
        { presets: Object.keys(presets).join(', ') },
        s ? `did you mean "${s}"?` : undefined,
      );
    }
    base = structuredClone(presets[src.preset as PresetName]) as Record<string, unknown>;
  } else if (src.file) {
    base = readConfigFile(src.file);
  }
  for (const o of src.overrides ?? []) applyOverride(base, o);
  return validateRunConfig(base, src.file ?? (src.preset ? `preset ${src.preset}` : 'defaults'));
}

export function validateRunConfig(input: unknown, origin: string): RunConfig {
  const r = runConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => describeIssue(i));
  throw new CliError(
    'E_CONFIG_INVALID',
    `invalid config (${origin}):\n  ${lines.join('\n  ')}`,
    {},
    '`kvc train --preset seed --print-config` shows every key with its value; docs/presets.md says where the seed values come from',
  );
}

function describeIssue(i: z.core.$ZodIssue): string {
  const path = i.path.join('.') || '(root)';
  if (i.code === 'unrecognized_keys') {
    const known = knownKeysAt(i.path.map(String));
    return i.keys
      .map((k) => {
        const s = suggest(k, known);
        return `${path === '(root)' ? '' : path + '.'}${k}: unknown key${s ? ` (did you mean "${s}"?)` : ''}`;
      })
      .join('\n  ');
  }
  return `${path}: ${i.message}`;
}

function knownKeysAt(path: readonly string[]): string[] {
  let schema: unknown = runConfigSchema;
  for (const p of path) {
    const shape = shapeOf(schema);
    schema = shape?.[p];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  // Unwrap defaults/prefaults/optionals to the object schema underneath.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  for (let k = 0; k < 5 && s && !s.shape; k++) s = s.def?.innerType as typeof s;
  return s?.shape;
}

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new CliError('E_CONFIG_FILE', 'config file not found', { file });
  const text = readFileSync(file, 'utf8');
  let v: unknown;
  try {
    v = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(
      'E_CONFIG_FILE',
      `cannot parse config: ${(err as Error).message}`,
      { file },
      'configs are YAML (.yaml/.yml) or JSON (.json)',
    );
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new CliError('E_CONFIG_FILE', 'config must be a mapping of keys to values', { file });
  return v as Record<string, unknown>;
}

/** `train.stage1.lr=1e-3`, `eval.metrics=meteor,cider`, `llm.model=Qwen/Qwen3-0.6B`. Values are parsed as YAML scalars. */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new CliError(
      'E_CONFIG_OVERRIDE',
      `override "${assignment}" is not key=value`,
      {},
      'e.g. train.stage1.lr=1e-3',
    );
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown =
    raw.includes(',') && !raw.startsWith('[') ? raw.split(',').map((x) => parseScalar(x.trim())) : parseScalar(raw);
  if (typeof value === 'string' && value.startsWith('[')) value = parseYaml(value);
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new CliError('E_CONFIG_OVERRIDE', `cannot set ${path.join('.')}: ${key} is not a section`);
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function parseScalar(s: string): unknown {
  try {
    const v = parseYaml(s) as unknown;
    return v === null ? s : v;
  } catch {
    return s;
  }
}
