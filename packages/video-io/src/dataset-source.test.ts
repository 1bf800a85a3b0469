import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { datasetSource, resolveDataset } from './dataset-source.js';
import type { DatasetEvent, SkipEvent } from './dataset-events.js';
import { makeIndexedVideo, tempDir } from './__tests__/helpers.js';

const read = (path: string, split?: string, allowAbsolute?: boolean): Promise<DatasetEvent[]> =>
  lastValueFrom(
    datasetSource({ path, ...(split ? { split } : {}), ...(allowAbsolute ? { allowAbsolute } : {}) }).pipe(toArray()),
  );
const ids = (events: DatasetEvent[]) => events.filter((e) => e.type === 'sample').map((e) => e.id);
const skips = (events: DatasetEvent[]) =>
  events.filter((e): e is SkipEvent => e.type === 'skip').map((e) => [e.id, e.code, e.file.replace(/^.*\//, '')]);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

// Paths a dataset file must not make the decoder open: each is a skipped sample with its code.
const HOSTILE: [string, string][] = [
  ['../outside.mp4', 'E_VIDEO_PATH_OUTSIDE'],
  ['clips/../../outside.mp4', 'E_VIDEO_PATH_OUTSIDE'],
  ['/etc/passwd', 'E_VIDEO_PATH_ABSOLUTE'],
  ['concat:clips/a.mp4|clips/b.mp4', 'E_VIDEO_PATH_PROTOCOL'],
  ['http://example.com/a.mp4', 'E_VIDEO_PATH_PROTOCOL'],
  ['pipe:0', 'E_VIDEO_PATH_PROTOCOL'],
  ['file:clips/a.mp4', 'E_VIDEO_PATH_PROTOCOL'],
];

describe('datasetSource', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let video = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-dataset-'));
    video = join(dir, 'master.mp4');
    await makeIndexedVideo(video, 3, 16, 16);
    // AIHub
    await mkdir(join(dir, 'aihub', 'val', 'labels'), { recursive: true });
    await mkdir(join(dir, 'aihub', 'val', 'videos'), { recursive: true });
    await writeFile(
      join(dir, 'aihub', 'val', 'labels', 'v1.json'),
      JSON.stringify({ annotation: { description_kr: '가' } }),
    );
    await copyFile(video, join(dir, 'aihub', 'val', 'videos', 'v1.mp4'));
    // manifests, one per split
    await mkdir(join(dir, 'man', 'clips'), { recursive: true });
    for (const n of ['a', 'b']) await copyFile(video, join(dir, 'man', 'clips', `${n}.mp4`));
    const line = (v: string, caption: string, id?: string) =>
      JSON.stringify({ video: v, caption, ...(id ? { id } : {}) });
    await writeFile(
      join(dir, 'man', 'train.jsonl'),
      [line('clips/a.mp4', '하나'), line('clips/b.mp4', '둘')].join('\n'),
    );
    const hostile = HOSTILE.map(([v], i) => line(v, '나쁜 경로', `h${i}`));
    await writeFile(join(dir, 'man', 'val.jsonl'), [line('clips/b.mp4', '셋', 'only'), ...hostile].join('\n'));
    // Hugging Face: one metadata.csv at the root with a split column (quotes, commas, newlines in captions)
    await mkdir(join(dir, 'hf', 'videos', 'x'), { recursive: true });
    await mkdir(join(dir, 'hf', 'videos', 'y'), { recursive: true });
    await copyFile(video, join(dir, 'hf', 'videos', 'x', 'clip.mp4'));
    await copyFile(video, join(dir, 'hf', 'videos', 'y', 'clip.mp4'));
    const csv = [
      'file_name,caption,split',
      'videos/x/clip.mp4,"빨간 원이, ""천천히""\n움직인다",train',
      'videos/y/clip.mp4,파란 배경,',
      'videos/y/clip.mp4,검증용,val',
      ...HOSTILE.map(([v]) => `"${v}",나쁜 경로,train`),
      'videos/x/clip.mp4,"열린 따옴표,train',
    ];
    await writeFile(join(dir, 'hf', 'metadata.csv'), csv.join('\r\n'));
    // Hugging Face: a folder per split with metadata.jsonl
    await mkdir(join(dir, 'hfs', 'test'), { recursive: true });
    await copyFile(video, join(dir, 'hfs', 'test', 'c.mp4'));
    const meta = [JSON.stringify({ file_name: 'c.mp4', text: '텍스트 열', id: 7 }), '{"file_name": 3}'];
    await writeFile(join(dir, 'hfs', 'test', 'metadata.jsonl'), meta.join('\n'));
    await mkdir(join(dir, 'empty', 'stuff'), { recursive: true });
  });
  afterAll(() => cleanup());

  it('detects each layout and where a split is read from', async () => {
    expect(await resolveDataset(join(dir, 'aihub'), 'val')).toMatchObject({
      layout: 'aihub',
      source: join(dir, 'aihub', 'val'),
    });
    expect(await resolveDataset(join(dir, 'man'))).toMatchObject({ layout: 'manifest', split: 'train' });
    expect(await resolveDataset(join(dir, 'man', 'train.jsonl'), 'val')).toMatchObject({
      layout: 'manifest',
      source: join(dir, 'man', 'val.jsonl'),
    });
    expect(await resolveDataset(join(dir, 'man', 'val.jsonl'))).toMatchObject({ split: 'val' });
    expect(await resolveDataset(join(dir, 'hf'), 'val')).toMatchObject({
      layout: 'hf',
      source: join(dir, 'hf', 'metadata.csv'),
    });
    expect(await resolveDataset(join(dir, 'hfs'), 'test')).toMatchObject({
      layout: 'hf',
      source: join(dir, 'hfs', 'test', 'metadata.jsonl'),
    });
  });

  it('reads the AIHub layout as aihubSource does', async () => {
    expect(ids(await read(join(dir, 'aihub'), 'val'))).toEqual(['v1']);
  });

  it('manifests: one per split, side by side; every hostile path is a skip with its reason', async () => {
    expect(ids(await read(join(dir, 'man')))).toEqual(['a', 'b']);
    const val = await read(join(dir, 'man', 'train.jsonl'), 'val');
    expect(ids(val)).toEqual(['only']);
    expect(skips(val)).toEqual(HOSTILE.map(([, code], i) => [`h${i}`, code, `val.jsonl:${i + 2}`]));
    const err = await errorOf(read(join(dir, 'man'), 'dev'));
    expect(err).toMatchObject({ code: 'E_SPLIT_MISSING', context: { manifests: 'train.jsonl, val.jsonl' } });
  });

  it('Hugging Face metadata.csv: the split column picks rows (none means train), quoted captions survive', async () => {
    const train = await read(join(dir, 'hf'));
    const samples = train.filter((e) => e.type === 'sample');
    expect(samples.map((s) => [s.id, s.caption])).toEqual([
      ['videos/x/clip', '빨간 원이, "천천히"\n움직인다'],
      ['videos/y/clip', '파란 배경'],
    ]);
    const n = HOSTILE.length; // the header, a caption over two lines, two rows: hostile rows start on line 6
    expect(skips(train)).toEqual(
      [
        ...HOSTILE.map(([v, code], i) => [v.replace(/\.mp4$/, ''), code, `metadata.csv:${i + 6}`]),
        [`line-${String(n + 6).padStart(6, '0')}`, 'E_LABEL_INVALID_CSV', `metadata.csv:${n + 6}`],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(ids(await read(join(dir, 'hf'), 'val'))).toEqual(['videos/y/clip']);
    expect(await errorOf(read(join(dir, 'hf'), 'test'))).toMatchObject({
      code: 'E_SPLIT_MISSING',
      context: { splitsInFile: 'train, val' },
    });
  });

  it('Hugging Face split folders with metadata.jsonl; the text column is a caption; bad rows are skips', async () => {
    const events = await read(join(dir, 'hfs'), 'test');
    expect(events.filter((e) => e.type === 'sample').map((e) => [e.id, e.caption])).toEqual([['7', '텍스트 열']]);
    expect(skips(events)).toEqual([['line-000002', 'E_VIDEO_PATH_INVALID', 'metadata.jsonl:2']]);
  });

  it('absolute paths are read only when allowed', async () => {
    await writeFile(join(dir, 'man', 'abs.jsonl'), JSON.stringify({ video: video, caption: '절대', id: 'abs' }));
    expect(skips(await read(join(dir, 'man', 'abs.jsonl')))).toEqual([['abs', 'E_VIDEO_PATH_ABSOLUTE', 'abs.jsonl:1']]);
    expect(ids(await read(join(dir, 'man', 'abs.jsonl'), undefined, true))).toEqual(['abs']);
  });

  it('a path that is no dataset: an error naming it, why, and the three layouts', async () => {
    for (const p of [join(dir, 'empty'), video, join(dir, 'nope')]) {
      const err = (await errorOf(read(p))) as { code: string; hint: string; context: { file: string } };
      expect(err.code).toMatch(/^E_DATASET_(LAYOUT|NOT_FOUND)$/);
      expect(err.context.file).toBe(p);
      expect(err.hint).toMatch(/AIHub.*JSONL manifests.*Hugging Face/);
    }
    expect(await errorOf(resolveDataset(join(dir, 'aihub', 'val')))).toMatchObject({
      code: 'E_DATASET_LAYOUT',
      context: { reason: `it is one split of an AIHub folder (it holds labels/): pass ${join(dir, 'aihub')}` },
    });
    expect(await errorOf(firstValueFrom(datasetSource({ path: join(dir, 'empty') })))).toMatchObject({
      code: 'E_DATASET_LAYOUT',
      context: { reason: expect.stringMatching(/found: stuff/) },
    });
  });
});
