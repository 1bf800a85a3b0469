/**
 * A set of named float32 parameters (or gradients): the currency of the optimizer math. The
 * trainer reads tfjs variables out into these, runs AdamW / clipping on them, and writes back.
 */

/** Named float32 buffers, e.g. `projector.weight` → its values in row-major order. */
export type ParamSet = Map<string, Float32Array>;

/** Read-only view of a {@link ParamSet} (gradients are read by AdamW, never written). */
export type ReadonlyParamSet = ReadonlyMap<string, Float32Array>;

/** Deep copy: new Map, new buffers. */
export function cloneParamSet(set: ReadonlyParamSet): ParamSet {
  const out: ParamSet = new Map();
  for (const [name, values] of set) out.set(name, Float32Array.from(values));
  return out;
}

/** Build a ParamSet from a plain record (handy in tests and scripts). */
export function paramSetFrom(record: Readonly<Record<string, ArrayLike<number>>>): ParamSet {
  const out: ParamSet = new Map();
  for (const [name, values] of Object.entries(record)) out.set(name, Float32Array.from(values));
  return out;
}
