/**
 * Which data order a (stage, epoch) pair gets. Orders are seeded by (seed, epoch), so if stage 2
 * numbered its epochs like stage 1 its epoch e would replay stage 1's epoch e batch for batch:
 * each stage's epochs are offset by {@link STAGE_EPOCH_STRIDE} instead. Stage 1 keeps offset 0
 * (the plain epoch numbers), and 1000 is far more epochs than a stage runs, so no two pairs
 * collide. Runs already trained used exactly these numbers: changing them changes every resume.
 */

/** Data-order epochs reserved per stage. */
export const STAGE_EPOCH_STRIDE = 1000;

/** The epoch number `batchSource` / `epochOrder` use for 0-based `epoch` of stage `stageIndex`. */
export function stageDataEpoch(stageIndex: number, epoch: number): number {
  const ok = (n: number, below: number): boolean => Number.isInteger(n) && n >= 0 && n < below;
  if (!ok(stageIndex, Infinity) || !ok(epoch, STAGE_EPOCH_STRIDE)) {
    const want = `non-negative integers, epoch < ${STAGE_EPOCH_STRIDE}`;
    throw new RangeError(`stageDataEpoch: stage ${stageIndex}, epoch ${epoch} (${want})`);
  }
  return stageIndex * STAGE_EPOCH_STRIDE + epoch;
}
