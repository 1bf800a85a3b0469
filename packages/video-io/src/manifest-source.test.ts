import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { manifestSource } from './manifest-source.js';
import type { SkipEvent } from './dataset-events.js';
import { makeIndexedVideo, tempDir } from './__tests__/helpers.js';
import { mkfifo } from './__tests__/mkfifo.js';

describe('manifestSource', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-manifest-'));
    await mkdir(join(dir, 'clips'));
    await makeIndexedVideo(join(dir, 'clips', '첫 번째.mp4'), 3, 16, 16);
    await writeFile(join(dir, 'clips', 'broken.mp4'), 'nope');
    const abs = join(dir, 'clips', '첫 번째.mp4');
    const lines = [
      JSON.stringify({ video: 'clips/첫 번째.mp4', caption: ' 상대 경로 ' }),
      JSON.stringify({ video: abs, caption: '절대 경로', id: 'abs' }),
      '',
      '{not json',
      '"a string"',
      JSON.stringify({ caption: 'no video' }),
      JSON.stringify({ video: 'clips/첫 번째.mp4', caption: '   ', id: 'blank' }),
      JSON.stringify({ video: 'clips/missing.mp4', caption: '없음' }),
      JSON.stringify({ video: abs, caption: '중복', id: 'abs' }),
      JSON.stringify({ video: 'clips/broken.mp4', caption: '깨짐' }),
      JSON.stringify({ video: abs, caption: ['list'], id: 'listcap' }),
    ];
    await writeFile(join(dir, 'manifest.jsonl'), lines.join('\n') + '\n');
  });
  afterAll(() => cleanup());

  it('resolves relative and absolute videos and reports every bad line', async () => {
    const events = await lastValueFrom(
      manifestSource({ manifest: join(dir, 'manifest.jsonl'), probe: true, allowAbsolute: true }).pipe(toArray()),
    );
    expect(events.filter((e) => e.type === 'sample').map((e) => [e.id, e.type === 'sample' ? e.caption : ''])).toEqual([
      ['abs', '절대 경로'],
      ['첫 번째', '상대 경로'],
    ]);
    expect(events.filter((e): e is SkipEvent => e.type === 'skip').map((e) => [e.id, e.code])).toEqual([
      ['abs', 'E_DUPLICATE_ID'],
      ['blank', 'E_CAPTION_EMPTY'],
      ['broken', 'E_VIDEO_UNDECODABLE'],
      ['line-000004', 'E_LABEL_INVALID_JSON'],
      ['line-000005', 'E_LABEL_NOT_OBJECT'],
      ['line-000006', 'E_VIDEO_PATH_INVALID'],
      ['listcap', 'E_CAPTION_NOT_STRING'],
      ['missing', 'E_VIDEO_MISSING'],
    ]);
    const dup = events.find((e) => e.type === 'skip' && e.code === 'E_DUPLICATE_ID') as SkipEvent;
    expect(dup.file).toBe(`${join(dir, 'manifest.jsonl')}:9`);
  });

  it('without allowAbsolute an absolute video path is a skip, not a read', async () => {
    const events = await lastValueFrom(manifestSource({ manifest: join(dir, 'manifest.jsonl') }).pipe(toArray()));
    const abs = events.filter((e): e is SkipEvent => e.type === 'skip' && e.code === 'E_VIDEO_PATH_ABSOLUTE');
    expect(abs.map((e) => [e.id, e.file])).toEqual([
      ['abs', `${join(dir, 'manifest.jsonl')}:2`],
      ['abs', `${join(dir, 'manifest.jsonl')}:9`],
      ['listcap', `${join(dir, 'manifest.jsonl')}:11`],
    ]);
  });

  it('a missing manifest is a typed error', async () => {
    const err = await firstValueFrom(manifestSource({ manifest: join(dir, 'nope.jsonl') })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_MANIFEST_UNREADABLE' });
  });

  it('a FIFO or non-UTF-8 manifest is a typed error (no hang); a FIFO or folder as video is named', async () => {
    mkfifo(join(dir, 'pipe.jsonl'));
    const fifo = await firstValueFrom(manifestSource({ manifest: join(dir, 'pipe.jsonl') })).catch((e: unknown) => e);
    expect(fifo).toMatchObject({ code: 'E_MANIFEST_UNREADABLE', context: { reason: 'E_LABEL_NOT_FILE' } });
    expect((fifo as Error).message).toMatch(/FIFO/);
    await writeFile(
      join(dir, 'latin1.jsonl'),
      Buffer.from(JSON.stringify({ video: 'a.mp4', caption: 'caf\xe9' }), 'latin1'),
    );
    const latin1 = await firstValueFrom(manifestSource({ manifest: join(dir, 'latin1.jsonl') })).catch((e) => e);
    expect(latin1).toMatchObject({ code: 'E_MANIFEST_UNREADABLE', context: { reason: 'E_LABEL_NOT_UTF8' } });
    mkfifo(join(dir, 'clips', 'pipe.mp4'));
    const lines = [
      JSON.stringify({ video: 'clips/pipe.mp4', caption: '파이프', id: 'pipe' }),
      JSON.stringify({ video: 'clips', caption: '폴더', id: 'folder' }),
    ];
    await writeFile(join(dir, 'odd.jsonl'), lines.join('\n'));
    const events = await lastValueFrom(manifestSource({ manifest: join(dir, 'odd.jsonl') }).pipe(toArray()));
    expect(events.map((e) => [e.id, (e as SkipEvent).code, (e as SkipEvent).reason.split(',')[0]])).toEqual([
      ['folder', 'E_VIDEO_NOT_FILE', expect.stringMatching(/directory/)],
      ['pipe', 'E_VIDEO_NOT_FILE', expect.stringMatching(/FIFO/)],
    ]);
  });
});
