import { describe, expect, it } from 'vitest';
import { FFMPEG_SEEK_BACKOFF_SEC as BACKOFF, SEGMENT_COST_FRAMES, planSeeks, type VideoPacket } from './seek-plan.js';

/**
 * Packets in decode order of a closed-GOP stream with one B-frame between references (display
 * I0 B1 P2 B3 P4 … decoded I0 P2 B1 P4 B3 …), a keyframe every `gop` frames, pts = display index × 10.
 */
function stream(frames: number, gop: number): VideoPacket[] {
  const order: number[] = [];
  for (let g = 0; g < frames; g += gop) {
    const end = Math.min(g + gop, frames);
    order.push(g);
    for (let f = g + 2; f < end; f += 2) order.push(f, f - 1);
    if ((end - g) % 2 === 0) order.push(end - 1);
  }
  return order.map((f, d) => ({ pts: f * 10, dts: d * 10 - 10, key: f % gop === 0 }));
}

describe('planSeeks', () => {
  const tb = 0.001;
  it('seeks to the keyframe before each wanted frame, one segment per keyframe', () => {
    const p = stream(600, 30);
    expect(new Set(p.map((x) => x.pts)).size).toBe(600);
    const segs = planSeeks(p, [0, 95, 100, 599], 600, tb, 0)!;
    expect(segs.map((s) => s.pts)).toEqual([[0], [950, 1000], [5990]]);
    // keyframes at display 0, 90 and 570, a hair and ffmpeg's B-frame backoff past their time
    expect(segs.map((s) => (s.seekSec - 5e-4 - BACKOFF) / tb / 10)).toEqual(
      [0, 90, 570].map((k) => expect.closeTo(k, 6)),
    );
  });
  it('adds the backoff only where the next keyframe is further away (else ffmpeg could land on that one)', () => {
    // A keyframe every 10 frames (0.1 s here) is closer than the backoff (0.13 s): a hair past the keyframe only.
    const segs = planSeeks(stream(600, 10), [95, 300], 600, tb, 0)!;
    expect(segs.map((s) => s.seekSec)).toEqual([expect.closeTo(0.9 + 5e-4, 9), expect.closeTo(3 + 5e-4, 9)]);
    // Keyframes 0.3 s apart: past the backoff, but for the last keyframe, with none after it, too.
    const far = planSeeks(stream(600, 30), [95, 599], 600, tb, 0)!;
    expect(far.map((s) => s.seekSec)).toEqual([
      expect.closeTo(0.9 + 5e-4 + BACKOFF, 9),
      expect.closeTo(5.7 + 5e-4 + BACKOFF, 9),
    ]);
  });
  it('subtracts the container start time (ffmpeg adds it to -ss), never below 0', () => {
    const segs = planSeeks(stream(600, 30), [0, 300], 600, tb, 1.5)!;
    expect(segs[0]!.seekSec).toBe(0);
    expect(segs[1]!.seekSec).toBeCloseTo(3 - 1.5 + 5e-4 + BACKOFF, 9);
  });
  it('a leading B-frame of an open GOP decodes from the keyframe before (shown earlier, decoded later)', () => {
    // display: I0 … I30 with B29 decoded after I30 (open GOP): its keyframe must be I0.
    const p = stream(600, 30).map((x) => ({ ...x }));
    const i30 = p.findIndex((x) => x.pts === 300);
    const b29 = p.findIndex((x) => x.pts === 290);
    const [d30, d29] = [p[i30]!.dts, p[b29]!.dts];
    p[i30] = { ...p[i30]!, dts: Math.min(d30, d29) };
    p[b29] = { ...p[b29]!, dts: Math.max(d30, d29) + 1 };
    const segs = planSeeks(p, [29, 300], 600, tb, 0)!;
    expect(segs.map((s) => s.pts)).toEqual([[290], [3000]]);
    expect(segs[0]!.seekSec).toBeCloseTo(5e-4 + BACKOFF, 9);
  });
  it('scans instead when seeking would cost about as much as decoding everything', () => {
    // the seed's case: 8 frames of a 40 s, 30 fps video; a keyframe every 2 s pays, one every 10 s does not
    const eight = [0, 171, 342, 513, 684, 855, 1026, 1199];
    expect(planSeeks(stream(1200, 60), eight, 1200, tb, 0)).toHaveLength(8);
    expect(planSeeks(stream(1200, 300), eight, 1200, tb, 0)).toBeUndefined();
    // a short video: process starts alone exceed the frames
    expect(planSeeks(stream(2 * SEGMENT_COST_FRAMES, 10), [0, 59], 60, tb, 0)).toBeUndefined();
  });
  it('refuses packets that cannot stand for the frames', () => {
    const p = stream(600, 30);
    expect(planSeeks(p, [0, 300], 599, tb, 0)).toBeUndefined(); // another count than the sampling's
    const broken: VideoPacket[][] = [
      p.map((x, i) => (i === 5 ? { ...x, pts: NaN } : x)), // a pts missing
      p.map((x, i) => (i === 5 ? { ...x, pts: p[4]!.pts } : x)), // a pts repeated
      p.map((x) => ({ ...x, key: false })), // no keyframe
    ];
    for (const packets of broken) expect(planSeeks(packets, [0, 300], 600, tb, 0)).toBeUndefined();
    expect(planSeeks(p, [0, 300], 600, 0, 0)).toBeUndefined();
  });
});
