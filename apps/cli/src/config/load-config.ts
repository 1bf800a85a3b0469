/**
 * Resolves the run config from a preset or a YAML/JSON file plus `key=value` overrides, and
 * validates it once. Errors name the file, the key path and, for unknown keys, the closest known key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CliError } from '../cli-error.js';
import { precisionIssues } from './precision-flag.js';
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
  const lines = r.success ? crossFieldIssues(r.data) : r.error.issues.map((i) => describeIssue(i));
  if (r.success && lines.length === 0) return r.data;
  throw new CliError(
    'E_CONFIG_INVALID',
    `invalid config (${origin}):\n  ${lines.join('\n  ')}`,
    {},
    '`kvc train --preset seed --print-config` shows every key with its value; docs/presets.md says where the seed values come from',
  );
}

/**
 * Checks that span keys, caught here rather than deep in a run: f16 needs a backend that can be webgpu;
 * a prompt takes at least one token, a caption at least one, and EOS one, so maxTextLength below that
 * can never hold an example (the exact prompt length is known only once the tokenizer is loaded).
 */
function crossFieldIssues(c: RunConfig): string[] {
  const issues = precisionIssues(c);
  const need = (c.prompt.trim() === '' ? 0 : 1) + 2;
  if (c.maxTextLength >= need) return issues;
  const parts =
    c.prompt.trim() === '' ? 'a caption token and EOS' : 'the prompt (one token or more), a caption token and EOS';
  return [...issues, `maxTextLength: ${c.maxTextLength} cannot hold ${parts}: use ${need} or more`];
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
  // A FIFO or a device would block or never end: read regular files only.
  if (!statSync(file).isFile()) throw new CliError('E_CONFIG_FILE', 'config is not a regular file', { file });
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
  const key = assignment.slice(0, eq);
  const path = key.split('.');
  checkKeyPath(key, path);
  const raw = assignment.slice(eq + 1);
  let value: unknown =
    raw.includes(',') && !raw.startsWith('[') ? raw.split(',').map((x) => parseScalar(x.trim())) : parseScalar(raw);
  if (typeof value === 'string' && value.startsWith('[')) value = parseYaml(value);
  let node = target;
  for (const k of path.slice(0, -1)) {
    // Own keys only: `toString` and friends come from Object.prototype and are not sections.
    const next = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === undefined) node[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new CliError('E_CONFIG_OVERRIDE', `cannot set ${key}: ${k} is not a section`);
    node = node[k] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Segments that would reach Object.prototype through `node[key]` (prototype pollution), never config keys. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function checkKeyPath(key: string, path: readonly string[]): void {
  const hint = 'keys are config paths such as train.stage1.lr; `kvc train --preset seed --print-config` lists them';
  if (path.some((k) => k.trim() === ''))
    throw new CliError('E_CONFIG_OVERRIDE', `override key "${key}" has an empty segment`, { key }, hint);
  const bad = path.find((k) => FORBIDDEN_SEGMENTS.has(k));
  if (bad !== undefined)
    throw new CliError('E_CONFIG_OVERRIDE', `override key "${key}": "${bad}" is not a config key`, { key }, hint);
}

function parseScalar(s: string): unknown {
  try {
    const v = parseYaml(s) as unknown;
    return v === null ? s : v;
  } catch {
    return s;
  }
}
