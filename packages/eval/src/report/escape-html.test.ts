import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape-html.js';

describe('escapeHtml', () => {
  it.each([
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    ["a & b's", 'a &amp; b&#39;s'],
    ['&amp;', '&amp;amp;'],
    ['빨간 원이 오른쪽으로 움직인다.', '빨간 원이 오른쪽으로 움직인다.'],
    ['', ''],
  ])('%s', (input, out) => expect(escapeHtml(input)).toBe(out));

  it('turns non-strings into text and null/undefined into nothing', () => {
    expect(escapeHtml(3.5)).toBe('3.5');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
  });
});
