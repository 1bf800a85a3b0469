/**
 * @kvc/train/testing — helpers for tests of code that trains: the tiny seeded setup (random
 * Qwen3, LoRA, projector, synthetic samples) and helpers around the event stream and checkpoints.
 * A subpath of its own so none of it is in the main entry.
 */
export {
  tinySetup,
  type TinyDataOptions,
  type TinyParts,
  type TinySetup,
  type TinySetupOptions,
} from './tiny-setup.js';
export {
  changedNames,
  maxAbsDiff,
  ofType,
  readCheckpointWeights,
  runEvents,
  snapshot,
  type EventOf,
} from './run-events.js';
