/**
 * A seed-like synthetic dataset in the AIHub layout (`<out>/<split>/labels/<id>.json` with
 * `annotation.description_kr`, `<out>/<split>/videos/<id>.mp4`): 1280×720, 30 fps, H.264
 * (yuv420p), 20–60 s, and long Korean captions (≈300–600 Qwen3 tokens, the AIHub captions' range).
 * `kvc synth` renders clips whole in memory (1 GiB cap: a 720p minute is 5 GB), so this draws with
 * ffmpeg's lavfi instead: a coloured box moving over a coloured background, encoded once for two
 * seconds and looped by stream copy to the video's length (cheap on a 2-core machine).
 * Usage (through bench/demo/run.sh): make-dataset.ts OUT TRAIN VAL [seed] [WxH]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveFfmpeg } from '@kvc/video-io';

const COLORS = [
  ['red', '빨간'],
  ['blue', '파란'],
  ['yellow', '노란'],
  ['green', '초록색'],
  ['white', '흰'],
  ['orange', '주황색'],
] as const;
const BACKGROUNDS = [
  ['navy', '짙은 남색'],
  ['darkgreen', '어두운 초록색'],
  ['gray', '회색'],
  ['black', '검은색'],
] as const;
const DIRECTIONS = [
  ['200*t', '0', '왼쪽에서 오른쪽으로'],
  ['1000-200*t', '0', '오른쪽에서 왼쪽으로'],
  ['0', '150*t', '위에서 아래로'],
  ['0', '500-150*t', '아래에서 위로'],
] as const;
const FILLER = [
  '화면 전체의 밝기는 일정하게 유지되며 조명의 변화는 거의 느껴지지 않는다.',
  '카메라는 한 자리에 고정되어 있어 배경은 처음부터 끝까지 흔들림 없이 그대로 보인다.',
  '물체의 가장자리는 선명하고 색은 고르게 칠해져 있어 배경과 뚜렷하게 구분된다.',
  '움직임은 일정한 속도로 반복되며 갑작스럽게 멈추거나 방향을 바꾸는 장면은 없다.',
  '화면에는 글자나 사람, 다른 물체가 나타나지 않고 오직 하나의 도형만 등장한다.',
  '영상의 분위기는 단순하고 차분하며 소리나 자막 없이 도형의 움직임만 이어진다.',
  '도형이 화면의 가장자리에 가까워지면 다시 처음 위치로 돌아가 같은 움직임을 되풀이한다.',
  '전체적으로 실험용 영상처럼 보이며 색과 움직임을 관찰하기에 알맞게 구성되어 있다.',
];

/** mulberry32: the same seed draws the same dataset. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

interface Clip {
  readonly color: (typeof COLORS)[number];
  readonly bg: (typeof BACKGROUNDS)[number];
  readonly dir: (typeof DIRECTIONS)[number];
  readonly seconds: number;
  readonly box: number;
}

/** A long caption: the facts of the clip, then filler sentences in a seeded order, ≈ 15–30 sentences. */
function caption(c: Clip, r: () => number): string {
  const [, color] = c.color;
  const [, bg] = c.bg;
  const facts = [
    `${bg} 배경 위에 ${color} 사각형 하나가 놓여 있다.`,
    `${color} 사각형은 ${c.dir[2]} 천천히 이동한다.`,
    `영상의 길이는 약 ${c.seconds}초이며 같은 움직임이 여러 번 반복된다.`,
    `사각형의 크기는 화면 높이의 ${Math.round((100 * c.box) / 720)}퍼센트 정도로 ${c.box > 150 ? '크게' : '작게'} 보인다.`,
  ];
  const n = 12 + Math.floor(r() * 16);
  const out = [...facts];
  for (let i = 0; i < n; i++) out.push(i % 5 === 4 ? pick(r, facts) : pick(r, FILLER));
  return out.join(' ');
}

function encode(ffmpeg: string, c: Clip, file: string, size: string): void {
  const [w, h] = size.split('x').map(Number) as [number, number];
  const box = Math.round((c.box * h) / 720);
  const x = `${Math.round(w / 10)}+(${c.dir[0]})*${w / 1280}`;
  const y = `${Math.round(h / 3)}+(${c.dir[1]})*${h / 720}`;
  const graph =
    `color=c=${c.bg[0]}:s=${w}x${h}:r=30:d=2[bg];color=c=${c.color[0]}:s=${box}x${box}:r=30:d=2[fg];` +
    `[bg][fg]overlay=x='${x}':y='${y}':shortest=1`;
  const seg = `${file}.seg.mp4`;
  const common = ['-loglevel', 'error', '-y'];
  execFileSync(ffmpeg, [
    ...common,
    '-f',
    'lavfi',
    '-i',
    graph,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '30',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '60',
    '-threads',
    '1',
    seg,
  ]);
  execFileSync(ffmpeg, [
    ...common,
    '-stream_loop',
    String(c.seconds / 2 - 1),
    '-i',
    seg,
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    file,
  ]);
}

async function main(): Promise<void> {
  const [out, train, val, seedArg, size = '1280x720'] = process.argv.slice(2);
  if (!out || !train || !val) {
    console.error('usage: make-dataset.ts OUT TRAIN VAL [seed] [WxH]');
    process.exit(2);
  }
  const ffmpeg = resolveFfmpeg().path;
  const r = rng(Number(seedArg ?? 42));
  const start = Date.now();
  for (const [split, count] of [
    ['train', Number(train)],
    ['val', Number(val)],
  ] as const) {
    await mkdir(join(out, split, 'labels'), { recursive: true });
    await mkdir(join(out, split, 'videos'), { recursive: true });
    for (let i = 0; i < count; i++) {
      const id = `seedlike_${split}_${String(i).padStart(3, '0')}`;
      const clip: Clip = {
        color: pick(r, COLORS),
        bg: pick(r, BACKGROUNDS),
        dir: pick(r, DIRECTIONS),
        seconds: 2 * (10 + Math.floor(r() * 21)), // 20–60 s
        box: 80 + Math.floor(r() * 160),
      };
      const file = join(out, split, 'videos', `${id}.mp4`);
      encode(ffmpeg, clip, file, size);
      await rm(`${file}.seg.mp4`);
      const label = { annotation: { description_kr: caption(clip, r) }, attributes: { ...clip } };
      await writeFile(join(out, split, 'labels', `${id}.json`), JSON.stringify(label, null, 1) + '\n');
    }
  }
  console.log(
    `${Number(train) + Number(val)} videos (${size}, 30 fps, 20–60 s) in ${out}, ${(Date.now() - start) / 1000} s`,
  );
}

await main();
