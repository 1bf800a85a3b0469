/**
 * Cache keys. A key is the sha256 of the canonical JSON of everything that changes the features:
 * which video (its identity) and how it was encoded (encoder id + revision, layer, frame count,
 * sampling, preprocessing version, storage dtype). Change any ingredient and the key changes, so
 * stale features are never served; the ingredients are kept beside the key for people to read.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { InvalidArgumentError } from './errors.js';
import type { VideoIdentity } from './video-identity.js';

/** How features are stored: float32, or float16 bits (half the size, ~3 significant digits). */
export type StorageDtype = 'float32' | 'float16';

/** Every setting that changes the features computed from one video. */
export interface FeatureRecipe {
  /** Vision encoder, e.g. `openai/clip-vit-large-patch14-336`. */
  readonly encoderId: string;
  /** Weights revision (commit sha or tag); `main` moves, so prefer a sha. */
  readonly encoderRevision: string;
  /** Which hidden state is taken, e.g. `-2` (penultimate) or `'last'`. */
  readonly layer: number | string;
  /** Frames sampled per video. */
  readonly frameCount: number;
  /** Frame sampling scheme, e.g. `'uniform'` or `{ strategy: 'uniform', offset: 'center' }`. */
  readonly sampling: string | Readonly<Record<string, unknown>>;
  /** Version of the resize/crop/normalise pipeline; bump it when preprocessing changes. */
  readonly preprocessingVersion: string;
  /** Storage dtype of the cached features. */
  readonly dtype: StorageDtype;
}

/** What a key is the hash of. `schema` changes if the key recipe itself ever changes. */
export interface KeyIngredients {
  readonly schema: 1;
  readonly video: VideoIdentity;
  readonly recipe: FeatureRecipe;
  /** Anything else that changes the features (free-form, plain data). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A compact cache key and the ingredients it was built from. */
export interface FeatureKey {
  /** `f1:` + base64url sha256 of the canonical JSON of `ingredients` (46 characters). */
  readonly key: string;
  readonly ingredients: KeyIngredients;
}

const DTYPES: readonly string[] = ['float32', 'float16'];

function validateRecipe(r: FeatureRecipe): void {
  const bad = (field: string, why: string) =>
    new InvalidArgumentError(`invalid feature recipe: ${field} ${why}`, {
      field,
      value: (r as unknown as Record<string, unknown>)[field],
    });
  for (const f of ['encoderId', 'encoderRevision', 'preprocessingVersion'] as const) {
    if (typeof r[f] !== 'string' || r[f].length === 0) throw bad(f, 'must be a non-empty string');
  }
  if (!Number.isInteger(r.frameCount) || r.frameCount <= 0) throw bad('frameCount', 'must be a positive integer');
  if (typeof r.layer !== 'string' && !Number.isInteger(r.layer)) throw bad('layer', 'must be an integer or a name');
  if (typeof r.sampling !== 'string' && (typeof r.sampling !== 'object' || r.sampling === null))
    throw bad('sampling', 'must be a string or an object');
  if (!DTYPES.includes(r.dtype)) throw bad('dtype', `must be one of ${DTYPES.join(', ')}`);
}

/** Builds the cache key of `video`'s features under `recipe` (validated). */
export function featureKey(
  video: VideoIdentity,
  recipe: FeatureRecipe,
  extra?: Readonly<Record<string, unknown>>,
): FeatureKey {
  validateRecipe(recipe);
  if (
    video.kind === 'stat'
      ? !video.path || !Number.isInteger(video.sizeBytes) || !/^\d+$/.test(video.mtimeNs)
      : !/^[0-9a-f]{64}$/.test(video.sha256)
  ) {
    throw new InvalidArgumentError(
      'invalid video identity',
      { video },
      'build it with videoIdentity(path) or videoIdentity(path, { mode: "content" })',
    );
  }
  const ingredients: KeyIngredients = { schema: 1, video, recipe, ...(extra ? { extra } : {}) };
  const digest = createHash('sha256').update(canonicalJson(ingredients)).digest('base64url');
  return { key: `f1:${digest}`, ingredients };
}
