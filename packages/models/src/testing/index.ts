/**
 * @kvc/models/testing — random-model writers for tests and benchmarks: seeded random
 * checkpoints in Hugging Face's layout for any config, so no test depends on one fixture's
 * constants. Not part of the main entry.
 */
export { writeRandomQwen3, tinyQwen3ConfigJson } from './write-random-qwen3.js';
export type { RandomQwen3Options } from './write-random-qwen3.js';
export { OTHER_CONFIGS, randomQwen3, randomIds } from './random-qwen3.js';
export { writeRandomModel, seededUniform } from './write-random-model.js';
export { watchOurCompiles, webgpuForTests } from '../gpu/webgpu-for-tests.js';
export { F32_UNIT, uniformMatrix } from './uniform-matrix.js';
