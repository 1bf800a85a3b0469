import { describe, expect, it } from 'vitest';
import { pythonStrip } from './python-strip.js';

describe('pythonStrip', () => {
  it.each([
    ['  영상 \n', '영상'],
    ['\x1c\x85a b\u3000', 'a b'],
    ['\ufeffa\ufeff', '\ufeffa\ufeff'],
    ['\u200b', '\u200b'],
    [' \t ', ''],
    ['', ''],
  ])('%j → %j', (input, expected) => expect(pythonStrip(input)).toBe(expected));
});
