/** @kvc/errors: the error base every kvc package derives its errors from, and the cause-chain reader printers use. */
export { KvcError } from './kvc-error.js';
export type { KvcErrorOptions } from './kvc-error.js';
export { causeChain } from './cause-chain.js';
export type { CauseLink } from './cause-chain.js';
export { wrapWriteError, STORAGE_ERRNO_HINTS } from './write-error.js';
export type { KvcErrorClass } from './write-error.js';
