import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { mkfifo } from './__tests__/mkfifo.js';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { aihubSource } from './aihub-source.js';
import { decodeSamples } from './operators/decode-samples.js';
import { SKIP_CODES, type SkipEvent } from './dataset-events.js';
import { frameIndexOf, makeIndexedVideo, pidsWithArg, tempDir } from './__tests__/helpers.js';

const label = (caption: unknown): string => JSON.stringify({ annotation: { description_kr: caption }, extra: 1 });

// id → [label file content (undefined: none written), write a good video?, expected skip code (undefined: usable)]
const CASES: Record<string, [string | undefined, 'good' | 'garbage' | 'none', string | undefined]> = {
  a_good: [label('  빨간 원이 움직인다.  '), 'good', undefined],
  'b 공백 한글 이름': [label('파란 배경'), 'good', undefined],
  c_invalid_json: ['{"annotation": ', 'good', 'E_LABEL_INVALID_JSON'],
  d_array: ['[1, 2]', 'good', 'E_LABEL_NOT_OBJECT'],
  e_no_annotation: [JSON.stringify({ other: 1 }), 'good', 'E_CAPTION_MISSING'],
  f_no_caption: [JSON.stringify({ annotation: {} }), 'good', 'E_CAPTION_MISSING'],
  g_number_caption: [label(42), 'good', 'E_CAPTION_NOT_STRING'],
  h_blank_caption: [label(' \n\t '), 'good', 'E_CAPTION_EMPTY'],
  i_no_video: [label('영상이 없다'), 'none', 'E_VIDEO_MISSING'],
  j_bad_video: [label('깨진 영상'), 'garbage', 'E_VIDEO_UNDECODABLE'],
  k_unreadable: [undefined, 'good', 'E_LABEL_UNREADABLE'], // a dangling symlink
  l_null: ['null', 'good', 'E_LABEL_NOT_OBJECT'],
  m_bom: ['\uFEFF' + label('BOM 이 있는 라벨'), 'good', undefined],
};

describe('aihubSource', () => {
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('kvc-aihub-'));
    const labels = join(root, 'train', 'labels');
    const videos = join(root, 'train', 'videos');
    await mkdir(labels, { recursive: true });
    await mkdir(videos, { recursive: true });
    const master = join(root, 'master.mp4');
    await makeIndexedVideo(master, 5, 16, 16);
    for (const [id, [content, video]] of Object.entries(CASES)) {
      if (content === undefined) await symlink(join(root, 'does-not-exist.json'), join(labels, `${id}.json`));
      else await writeFile(join(labels, `${id}.json`), content);
      if (video === 'good') await copyFile(master, join(videos, `${id}.mp4`));
      if (video === 'garbage') await writeFile(join(videos, `${id}.mp4`), 'garbage bytes');
    }
    await writeFile(join(labels, 'notes.txt'), 'not a label');
  });
  afterAll(() => cleanup());

  const usable = Object.keys(CASES)
    .filter((id) => CASES[id]![2] === undefined)
    .sort();
  const skipped = (probe: boolean): [string, string][] =>
    Object.keys(CASES)
      .filter((id) => CASES[id]![2] !== undefined && (probe || CASES[id]![2] !== 'E_VIDEO_UNDECODABLE'))
      .sort()
      .map((id) => [id, CASES[id]![2]!]);

  it('with probe: every bad sample is a typed skip, every good sample arrives, sorted by id', async () => {
    const events = await lastValueFrom(aihubSource({ root, split: 'train', probe: true }).pipe(toArray()));
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort());
    expect(events.filter((e) => e.type === 'sample').map((e) => e.id)).toEqual(usable);
    expect(events.filter((e): e is SkipEvent => e.type === 'skip').map((e) => [e.id, e.code])).toEqual(skipped(true));
    for (const e of events) {
      if (e.type === 'skip') expect(e.reason.length).toBeGreaterThan(5);
      else expect(e.probe).toMatchObject({ frameCount: 5, width: 16, height: 16 });
    }
  });

  it('without probe: undecodable videos pass; captions are trimmed; ids are label stems', async () => {
    const events = await lastValueFrom(aihubSource({ root, split: 'train' }).pipe(toArray()));
    expect(events.filter((e) => e.type === 'skip').map((e) => [e.id, (e as SkipEvent).code])).toEqual(skipped(false));
    const good = events.find((e) => e.id === 'a_good');
    expect(good).toMatchObject({
      type: 'sample',
      caption: '빨간 원이 움직인다.',
      video: join(root, 'train', 'videos', 'a_good.mp4'),
      labelFile: join(root, 'train', 'labels', 'a_good.json'),
    });
    expect(events.find((e) => e.id === 'b 공백 한글 이름')).toMatchObject({ type: 'sample', caption: '파란 배경' });
  });

  it('decodeSamples decodes usable samples with bounded concurrency and turns bad videos into skips', async () => {
    const decode = (concurrency: number) =>
      lastValueFrom(
        aihubSource({ root, split: 'train' }).pipe(decodeSamples({ numFrames: 3, concurrency }), toArray()),
      );
    let maxFfmpeg = 0;
    const poll = setInterval(() => (maxFfmpeg = Math.max(maxFfmpeg, pidsWithArg(join(root, 'train')).length)), 5);
    const out = await decode(3).finally(() => clearInterval(poll));
    expect(maxFfmpeg).toBeLessThanOrEqual(3);
    // In input order, as a sequential decode gives it.
    const sequential = await decode(1);
    const view = (es: typeof out) => es.map((e) => (e.type === 'frames' ? [e.sample.id, e.video.frames] : e));
    expect(view(out)).toEqual(view(sequential));
    const frames = out.filter((e) => e.type === 'frames');
    expect(frames.map((e) => e.sample.id)).toEqual(usable);
    for (const f of frames) expect(f.video.frames.map(frameIndexOf)).toEqual([0, 2, 4]);
    expect(out.find((e) => e.type === 'skip' && e.id === 'j_bad_video')).toMatchObject({ code: 'E_VIDEO_UNDECODABLE' });
  });

  it('a missing split is an error with a hint', async () => {
    const err = await firstValueFrom(aihubSource({ root, split: 'nope' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_SPLIT_MISSING', context: { split: 'nope' } });
    expect((err as { hint: string }).hint).toMatch(/--split/);
    expect(String((err as { context: { foldersInRoot: string } }).context.foldersInRoot)).toContain('train');
  });

  it('is cold: nothing is read before subscribing', () => {
    expect(() => aihubSource({ root: join(root, 'missing-root'), split: 'train' })).not.toThrow();
  });
});

describe('aihubSource on hostile labels and videos', () => {
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  const SECRET = 'root:$y$j9T$secret-hash:19000:0:99999:7:::';
  // "한글 캡션" in EUC-KR (CP949): valid Korean text, but not UTF-8.
  const EUC_KR = Buffer.from([0xc7, 0xd1, 0xb1, 0xdb, 0x20, 0xc4, 0xb8, 0xbc, 0xc7]);
  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('kvc-aihub-hostile-'));
    const data = join(root, 'data');
    const labels = join(data, 'train', 'labels');
    const videos = join(data, 'train', 'videos');
    await mkdir(labels, { recursive: true });
    await mkdir(videos, { recursive: true });
    const master = join(root, 'master.mp4');
    await makeIndexedVideo(master, 3, 16, 16);
    const ids = ['euc_kr', 'stray_byte', 'to_secret', 'to_fifo', 'fifo', 'dir', 'inside_link', 'v_fifo', 'v_dir'];
    for (const id of ids) if (!id.startsWith('v_')) await copyFile(master, join(videos, `${id}.mp4`));
    await writeFile(
      join(labels, 'euc_kr.json'),
      Buffer.concat([Buffer.from('{"annotation":{"description_kr":"'), EUC_KR, Buffer.from('"}}')]),
    );
    await writeFile(join(labels, 'stray_byte.json'), Buffer.from(label('caption \xff here'), 'latin1'));
    await writeFile(join(root, 'secret.txt'), SECRET);
    await symlink(join(root, 'secret.txt'), join(labels, 'to_secret.json'));
    mkfifo(join(data, 'inside.fifo'));
    await symlink(join(data, 'inside.fifo'), join(labels, 'to_fifo.json'));
    mkfifo(join(labels, 'fifo.json'));
    await mkdir(join(labels, 'dir.json'));
    await writeFile(join(data, 'shared-label.json'), label('데이터셋 안의 라벨'));
    await symlink(join(data, 'shared-label.json'), join(labels, 'inside_link.json'));
    await writeFile(join(labels, 'v_fifo.json'), label('파이프 영상'));
    mkfifo(join(videos, 'v_fifo.mp4'));
    await writeFile(join(labels, 'v_dir.json'), label('폴더 영상'));
    await mkdir(join(videos, 'v_dir.mp4'));
  });
  afterAll(() => cleanup());

  it('skips each with its own code, never hangs, never echoes the content', async () => {
    expect(new TextDecoder('euc-kr').decode(EUC_KR)).toBe('한글 캡션'); // the bytes are what the test claims
    const events = await lastValueFrom(aihubSource({ root: join(root, 'data'), split: 'train' }).pipe(toArray()));
    const codes = Object.fromEntries(events.map((e) => [e.id, e.type === 'skip' ? e.code : 'sample']));
    expect(codes).toEqual({
      dir: 'E_LABEL_NOT_FILE',
      euc_kr: 'E_LABEL_NOT_UTF8',
      fifo: 'E_LABEL_NOT_FILE',
      inside_link: 'sample',
      stray_byte: 'E_LABEL_NOT_UTF8',
      to_fifo: 'E_LABEL_NOT_FILE',
      to_secret: 'E_LABEL_OUTSIDE_DATASET',
      v_dir: 'E_VIDEO_NOT_FILE',
      v_fifo: 'E_VIDEO_NOT_FILE',
    });
    for (const e of events) {
      expect(JSON.stringify(e)).not.toContain('secret-hash');
      expect(JSON.stringify(e)).not.toContain('\ufffd');
      if (e.type === 'skip') expect(SKIP_CODES).toContain(e.code);
    }
    const reason = (id: string): string => (events.find((e) => e.id === id) as SkipEvent).reason;
    expect(reason('fifo')).toMatch(/FIFO/);
    expect(reason('dir')).toMatch(/directory/);
    expect(reason('v_fifo')).toMatch(/FIFO/);
    expect(reason('v_dir')).toMatch(/directory/);
    expect(reason('stray_byte')).toMatch(/offset \d+/);
    expect(events.find((e) => e.id === 'inside_link')).toMatchObject({ caption: '데이터셋 안의 라벨' });
  });

  it('a labels "folder" that is a FIFO is a dataset error, not a hang', async () => {
    await mkdir(join(root, 'data', 'piped'));
    mkfifo(join(root, 'data', 'piped', 'labels'));
    const err = await firstValueFrom(aihubSource({ root: join(root, 'data'), split: 'piped' })).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_SPLIT_MISSING', context: { split: 'piped' } });
    expect((err as Error).message).toMatch(/FIFO/);
  });

  it('invalid JSON is described without quoting the text', async () => {
    const labels = join(root, 'data', 'train', 'labels');
    await writeFile(join(labels, 'secret_json.json'), SECRET);
    try {
      const events = await lastValueFrom(aihubSource({ root: join(root, 'data'), split: 'train' }).pipe(toArray()));
      const e = events.find((x) => x.id === 'secret_json') as SkipEvent;
      expect(e.code).toBe('E_LABEL_INVALID_JSON');
      expect(e.reason).not.toContain('root');
      expect(e.reason).toMatch(/^invalid JSON: /);
    } finally {
      await rm(join(labels, 'secret_json.json'));
    }
  });
});
