import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePng, encodePng, writePng } from './write-png.js';
import { indexedFrame, tempDir } from './__tests__/helpers.js';

describe('PNG', () => {
  it('round-trips an RGB frame exactly', async () => {
    const frame = indexedFrame(3, 7, 5);
    const { dir, cleanup } = await tempDir('kvc-png-');
    try {
      const file = join(dir, '프레임 0.png');
      await writePng(frame, file);
      const back = decodePng(await readFile(file));
      expect([back.width, back.height]).toEqual([7, 5]);
      expect(Buffer.from(back.data).equals(Buffer.from(frame.data))).toBe(true);
    } finally {
      await cleanup();
    }
  });
  it('rejects a frame whose data does not match its size', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(5) })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
  it.skipIf(!existsSync('/dev/full'))('a full disk is E_WRITE_FAILED naming the file (/dev/full)', async () => {
    const err = await writePng(indexedFrame(0, 4, 4), '/dev/full').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_WRITE_FAILED', context: { file: '/dev/full', errno: 'ENOSPC' } });
    expect((err as Error).message).toContain('/dev/full');
  });
});
