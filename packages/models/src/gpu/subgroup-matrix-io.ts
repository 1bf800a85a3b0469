/**
 * The WGSL of a subgroup-matrix load or store, in one place, in Dawn's current spelling: the
 * majorness is a template argument (`subgroupMatrixLoad<T, col_major>(p, off, stride)`,
 * `subgroupMatrixStore<row_major>(p, off, m, stride)`). The first spelling passed it as a bool
 * argument; the `webgpu` package's Dawn still accepts that but prints a "use of deprecated builtin"
 * warning per call site from native code, onto stdout, between `--json` events.
 * `pointer` is what follows the `&` (`A`, `As[tile]`). The core-WGSL emulation used in CI
 * (emulateSubgroupMatrix) parses exactly these forms.
 */
const major = (colMajor: boolean): string => (colMajor ? 'col_major' : 'row_major');

export const smLoad = (type: string, pointer: string, offset: string, colMajor: boolean, stride: string): string =>
  `subgroupMatrixLoad<${type}, ${major(colMajor)}>(&${pointer}, ${offset}, ${stride})`;

export const smStore = (pointer: string, offset: string, value: string, colMajor: boolean, stride: string): string =>
  `subgroupMatrixStore<${major(colMajor)}>(&${pointer}, ${offset}, ${value}, ${stride})`;
