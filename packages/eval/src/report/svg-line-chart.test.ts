import { describe, expect, it } from 'vitest';
import { svgLineChart } from './svg-line-chart.js';

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;
const line = (n: number, f: (i: number) => number): { x: number; y: number }[] =>
  Array.from({ length: n }, (_, i) => ({ x: i + 1, y: f(i) }));

describe('svgLineChart', () => {
  it('draws one path per series, a legend, ticks, axis labels and hover tooltips', () => {
    const svg = svgLineChart({
      title: 'Loss',
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        { name: 'stage1', points: line(20, (i) => 3 - i / 10) },
        { name: 'stage2', points: line(20, (i) => 1 - i / 40) },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(count(svg, /<path /g)).toBe(2);
    expect(count(svg, /class="legend"/g)).toBe(2);
    expect(count(svg, /<circle class="pt"/g)).toBe(40);
    expect(svg).toContain('<title>stage1 · x 1 · 3</title>');
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('rotate(-90)');
  });

  it('an empty chart says "no data" and draws no line', () => {
    for (const series of [[], [{ name: 'a', points: [] }], [{ name: 'a', points: [{ x: 1, y: NaN }] }]]) {
      const svg = svgLineChart({ title: 'Empty', series });
      expect(svg).toContain('no data');
      expect(svg).not.toContain('<path');
      expect(svg).not.toContain('<circle');
    }
  });

  it('a single point is a visible dot, not a path', () => {
    const svg = svgLineChart({ title: 'One', series: [{ name: 'meteor', points: [{ x: 3, y: 0.25 }] }] });
    expect(svg).not.toContain('<path');
    expect(svg).toMatch(/<circle class="pt" [^>]*fill-opacity="1"/);
  });

  it('skips NaN and Infinity: the line breaks into segments', () => {
    const points = [1, 2, NaN, 4, 5, Infinity, 7, 8].map((y, i) => ({ x: i, y }));
    const svg = svgLineChart({ title: 'Gaps', series: [{ name: 'a', points }] });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(count(d, /M/g)).toBe(3);
    expect(count(d, /L/g)).toBe(3);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(count(svg, /<circle class="pt"/g)).toBe(6);
  });

  it('log scale drops non-positive values and places equal ratios at equal distances', () => {
    const svg = svgLineChart({
      title: 'Log',
      logY: true,
      series: [
        {
          name: 'a',
          points: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
            { x: 2, y: 10 },
            { x: 3, y: 100 },
          ],
        },
      ],
    });
    const ys = [...svg.matchAll(/<circle class="pt" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(3);
    expect(Math.abs(ys[0]! - ys[1]! - (ys[1]! - ys[2]!))).toBeLessThan(0.2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('higher values are drawn higher (y grows downwards in SVG)', () => {
    const svg = svgLineChart({
      title: 'Up',
      series: [
        {
          name: 'a',
          points: [
            { x: 0, y: 0 },
            { x: 1, y: 10 },
          ],
        },
      ],
    });
    const ys = [...svg.matchAll(/<circle class="pt" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[1]!).toBeLessThan(ys[0]!);
  });

  it('draws markers and widens the x domain to include them', () => {
    const svg = svgLineChart({
      title: 'M',
      series: [{ name: 'a', points: line(10, (i) => i) }],
      markers: [{ x: 15, label: 'stage2 →' }],
    });
    expect(svg).toContain('class="marker"');
    expect(svg).toContain('stage2 →');
    const right = 640 - 16;
    const mx = Number(/<g class="marker"><line x1="([\d.]+)"/.exec(svg)![1]);
    expect(mx).toBeLessThanOrEqual(right);
  });

  it('escapes titles and series names', () => {
    const svg = svgLineChart({
      title: '<b>"loss"</b>',
      series: [
        { name: '<i>&', points: line(3, (i) => i) },
        { name: 'b', points: line(3, (i) => i) },
      ],
    });
    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<i>');
    expect(svg).toContain('&lt;b&gt;&quot;loss&quot;&lt;/b&gt;');
    expect(svg).toContain('&lt;i&gt;&amp;');
  });

  it('downsamples long series but keeps a tooltip budget', () => {
    const svg = svgLineChart({
      title: 'Long',
      series: [{ name: 'a', points: line(20_000, (i) => Math.sin(i)) }],
      maxPoints: 500,
    });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(count(d, /[ML]/g)).toBeLessThanOrEqual(500);
    expect(count(svg, /<circle/g)).toBeLessThanOrEqual(302);
  });

  it('shows no legend for a single series unless asked', () => {
    const one = { title: 'T', series: [{ name: 'a', points: line(3, (i) => i) }] };
    expect(svgLineChart(one)).not.toContain('class="legend"');
    expect(svgLineChart({ ...one, legend: true })).toContain('class="legend"');
  });
});

describe('svgLineChart on very long runs', () => {
  it('handles more points than a function call takes arguments', () => {
    const svg = svgLineChart({ title: 'Huge', series: [{ name: 'a', points: line(300_000, (i) => 1 + (i % 7)) }] });
    expect(svg).toContain('<path d="M');
  });
});
