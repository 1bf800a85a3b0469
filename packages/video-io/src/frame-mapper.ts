/**
 * A frame mapper that a worker thread can rebuild: the module that makes it, the export's name and
 * structured-cloneable arguments, instead of a closure (closures do not cross threads). The decode pool
 * (decode-pool.ts) loads it once in every worker; the caller's module decides what a frame becomes (the CLI's
 * resizes and crops as the vision encoder's image processor does, exactly as its in-thread `mapFrame` would).
 */
import { InvalidArgumentError } from './errors.js';
import type { RgbFrame } from './rgb-frame.js';

export interface FrameMapperSpec {
  /** URL (`file:` or a package specifier) of an ES module. */
  readonly module: string;
  /** Its export: a function of `args` that returns the frame mapper. */
  readonly name: string;
  readonly args?: unknown;
}

export type FrameMapper = (frame: RgbFrame) => RgbFrame;

/** Imports the spec's module and makes its mapper; a clear error when either is not what the spec says. */
export async function loadFrameMapper(spec: FrameMapperSpec): Promise<FrameMapper> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.module)) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidArgumentError(
      `cannot load the frame mapper module ${spec.module}: ${(err as Error).message}`,
      { module: spec.module, name: spec.name },
      'the module must be an ES module reachable from the worker (a file: URL or an installed package)',
    );
  }
  const make = mod[spec.name];
  if (typeof make !== 'function') {
    throw new InvalidArgumentError(`the frame mapper module ${spec.module} has no function export ${spec.name}`, {
      module: spec.module,
      name: spec.name,
    });
  }
  const mapper = (make as (args: unknown) => unknown)(spec.args);
  if (typeof mapper !== 'function') {
    throw new InvalidArgumentError(`${spec.name}(args) of ${spec.module} did not return a function`, {
      module: spec.module,
      name: spec.name,
    });
  }
  return mapper as FrameMapper;
}
