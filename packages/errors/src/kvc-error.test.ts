import { describe, expect, it } from 'vitest';
import { KvcError } from './kvc-error.js';
import { causeChain } from './cause-chain.js';

class PackageError extends KvcError {}
class FixedCodeError extends PackageError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('E_FIXED', message, context, 'do the fixed thing');
  }
}

describe('KvcError', () => {
  it('carries code, message, hint and its own class name; instanceof works through every level', () => {
    const e = new FixedCodeError('it broke', { file: 'a.mp4' });
    expect(e).toBeInstanceOf(FixedCodeError);
    expect(e).toBeInstanceOf(PackageError);
    expect(e).toBeInstanceOf(KvcError);
    expect(e).toBeInstanceOf(Error);
    const expected = { name: 'FixedCodeError', code: 'E_FIXED', message: 'it broke', hint: 'do the fixed thing' };
    expect(e).toMatchObject(expected);
    expect(e.context).toEqual({ file: 'a.mp4' });
    expect(String(e)).toBe('FixedCodeError: it broke');
  });

  it('freezes a copy of the context: neither the error nor the thrower can change it afterwards', () => {
    const ctx: Record<string, unknown> = { key: 'k1' };
    const e = new PackageError('E_X', 'm', ctx);
    ctx.key = 'changed';
    expect(e.context.key).toBe('k1');
    expect(Object.isFrozen(e.context)).toBe(true);
    expect(() => ((e.context as Record<string, unknown>).key = 'x')).toThrow(TypeError);
    expect(new PackageError('E_X', 'no context').context).toEqual({});
  });

  it('sets the standard cause only when one is given', () => {
    const root = new Error('disk full');
    const e = new PackageError('E_WRITE', 'cannot write', {}, undefined, { cause: root });
    expect(e.cause).toBe(root);
    expect('cause' in new PackageError('E_WRITE', 'cannot write')).toBe(false);
    // An explicit undefined cause is still a cause the caller chose to record.
    expect('cause' in new PackageError('E_WRITE', 'm', {}, undefined, { cause: undefined })).toBe(true);
  });

  it('types the code when a package narrows it', () => {
    class TypedError extends KvcError<'E_A' | 'E_B'> {}
    const e = new TypedError('E_B', 'm');
    const code: 'E_A' | 'E_B' = e.code;
    expect(code).toBe('E_B');
  });
});

describe('causeChain', () => {
  it('lists causes nearest first with their codes, including non-Error values', () => {
    const sys = Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
    const mid = new PackageError('E_CACHE_WRITE', 'cannot store the batch', {}, undefined, { cause: sys });
    const top = new PackageError('E_ENCODE_FAILED', 'encode failed', {}, undefined, { cause: mid });
    expect(causeChain(top)).toEqual([
      { code: 'E_CACHE_WRITE', message: 'cannot store the batch' },
      { code: 'ENOSPC', message: 'ENOSPC: no space left' },
    ]);
    const fromString = new PackageError('E_X', 'm', {}, undefined, { cause: 'a string' });
    expect(causeChain(fromString)).toEqual([{ message: 'a string' }]);
    expect(causeChain(new Error('no cause'))).toEqual([]);
    expect(causeChain('not an error')).toEqual([]);
  });

  it('stops at a cycle and at the limit', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(b).map((l) => l.message)).toEqual(['a']);
    let deep: Error = new Error('e0');
    for (let i = 1; i <= 9; i++) deep = new Error(`e${i}`, { cause: deep });
    expect(causeChain(deep, 3).map((l) => l.message)).toEqual(['e8', 'e7', 'e6']);
  });
});
