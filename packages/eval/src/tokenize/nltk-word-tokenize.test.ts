// nltk word_tokenize port: the reference pairs' tokens, and a table of Korean edge cases whose
// expected outputs follow nltk 3.10.3's Punkt + NLTKWordTokenizer rules (cross-checked against
// nltk itself while porting).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nltkSentTokenize, nltkWordTokenize } from './nltk-word-tokenize.js';
import { EMPTY_PUNKT_PARAMETERS, loadPunktParameters } from './punkt-parameters.js';

interface RefCase {
  prediction: string;
  reference: string;
  pred_tokens: string[];
  ref_tokens: string[];
}
const refUrl = new URL('../../../../test/fixtures/reference/meteor/meteor_reference.json', import.meta.url);
const reference = JSON.parse(readFileSync(refUrl, 'utf8')) as { cases: RefCase[] };

describe('nltkWordTokenize on the reference pairs', () => {
  it.each(reference.cases.map((c, i) => [i, c] as const))(
    'pair %i: prediction and reference tokens equal nltk',
    (_, c) => {
      expect(nltkWordTokenize(c.prediction)).toEqual(c.pred_tokens);
      expect(nltkWordTokenize(c.reference)).toEqual(c.ref_tokens);
    },
  );
});

// [text, sentences, tokens]
const TABLE: readonly (readonly [string, readonly string[], readonly string[]])[] = [
  [
    '그는 "안녕하세요"라고 말했다.',
    ['그는 "안녕하세요"라고 말했다.'],
    ['그는', '``', '안녕하세요', "''", '라고', '말했다', '.'],
  ],
  // A single quote before a word character opens a quote; the closing one stays attached.
  ["그녀는 '좋아요'라고 답했다.", ["그녀는 '좋아요'라고 답했다."], ['그녀는', "'", "좋아요'라고", '답했다', '.']],
  ['“정말요?” 그가 물었다.', ['“정말요?”', '그가 물었다.'], ['“', '정말요', '?', '”', '그가', '물었다', '.']],
  ['‘작은’ 상자가 있다.', ['‘작은’ 상자가 있다.'], ['‘', '작은', '’', '상자가', '있다', '.']],
  [
    '상자(빨간색)와 공[파란색]이 {함께} 있다.',
    ['상자(빨간색)와 공[파란색]이 {함께} 있다.'],
    ['상자', '(', '빨간색', ')', '와', '공', '[', '파란색', ']', '이', '{', '함께', '}', '있다', '.'],
  ],
  [
    '남자가 걷는다... 그리고 멈춘다.',
    ['남자가 걷는다... 그리고 멈춘다.'],
    ['남자가', '걷는다', '...', '그리고', '멈춘다', '.'],
  ],
  // U+2026 is neither a sentence end nor split off by the word tokenizer.
  ['남자가 걷는다… 그리고 멈춘다.', ['남자가 걷는다… 그리고 멈춘다.'], ['남자가', '걷는다…', '그리고', '멈춘다', '.']],
  [
    '하늘--맑고 푸른--이 보인다.',
    ['하늘--맑고 푸른--이 보인다.'],
    ['하늘', '--', '맑고', '푸른', '--', '이', '보인다', '.'],
  ],
  ['하늘—맑고 푸른—이 보인다.', ['하늘—맑고 푸른—이 보인다.'], ['하늘', '—', '맑고', '푸른', '—', '이', '보인다', '.']],
  [
    '첫 문장이다. 두 번째 문장이다! 세 번째인가? 네.',
    ['첫 문장이다.', '두 번째 문장이다!', '세 번째인가?', '네.'],
    ['첫', '문장이다', '.', '두', '번째', '문장이다', '!', '세', '번째인가', '?', '네', '.'],
  ],
  [
    '가격은 1,000원이고 무게는 2.5kg이다.',
    ['가격은 1,000원이고 무게는 2.5kg이다.'],
    ['가격은', '1,000원이고', '무게는', '2.5kg이다', '.'],
  ],
  // Numbers followed by Hangul: the orthographic heuristic is "unknown", so each period breaks.
  [
    '2024. 3. 15. 촬영된 영상이다.',
    ['2024.', '3.', '15.', '촬영된 영상이다.'],
    ['2024', '.', '3', '.', '15', '.', '촬영된', '영상이다', '.'],
  ],
  [
    'https://example.com/video.mp4 에서 볼 수 있다.',
    ['https://example.com/video.mp4 에서 볼 수 있다.'],
    ['https', ':', '//example.com/video.mp4', '에서', '볼', '수', '있다', '.'],
  ],
  ['사이트는 www.naver.com 이다.', ['사이트는 www.naver.com 이다.'], ['사이트는', 'www.naver.com', '이다', '.']],
  [
    '점수: 90%, 순위: 1위; 태그 #바다 @친구 & 가족',
    ['점수: 90%, 순위: 1위; 태그 #바다 @친구 & 가족'],
    ['점수', ':', '90', '%', ',', '순위', ':', '1위', ';', '태그', '#', '바다', '@', '친구', '&', '가족'],
  ],
  [
    '빨간 공이 굴러간다.\n\n파란 공이 멈춘다.',
    ['빨간 공이 굴러간다.', '파란 공이 멈춘다.'],
    ['빨간', '공이', '굴러간다', '.', '파란', '공이', '멈춘다', '.'],
  ],
  [
    '(괄호 안의 문장이다.) 다음 문장이다.',
    ['(괄호 안의 문장이다.)', '다음 문장이다.'],
    ['(', '괄호', '안의', '문장이다', '.', ')', '다음', '문장이다', '.'],
  ],
  [
    '"따옴표 안의 문장이다." 다음 문장이다.',
    ['"따옴표 안의 문장이다."', '다음 문장이다.'],
    ['``', '따옴표', '안의', '문장이다', '.', "''", '다음', '문장이다', '.'],
  ],
  // Without the English model "Dr" is no abbreviation (see punkt-parameters.ts).
  [
    'CCTV 영상은 AI가 분석했다. Dr. Kim이 확인했다.',
    ['CCTV 영상은 AI가 분석했다.', 'Dr.', 'Kim이 확인했다.'],
    ['CCTV', '영상은', 'AI가', '분석했다', '.', 'Dr', '.', 'Kim이', '확인했다', '.'],
  ],
  [
    "It's a dog and they can't see it.",
    ["It's a dog and they can't see it."],
    ['It', "'s", 'a', 'dog', 'and', 'they', 'ca', "n't", 'see', 'it', '.'],
  ],
  [
    '사람들이 *강조* 하며 웃는다!!',
    ['사람들이 *강조* 하며 웃는다!', '!'],
    ['사람들이', '*', '강조', '*', '하며', '웃는다', '!', '!'],
  ],
  // Initial + capitalised word: the special orthographic heuristic keeps "J." inside the sentence.
  [
    'Music by J. Bach is played. 음악이 나온다.',
    ['Music by J. Bach is played.', '음악이 나온다.'],
    ['Music', 'by', 'J.', 'Bach', 'is', 'played', '.', '음악이', '나온다', '.'],
  ],
  ['', [], []],
  ['   ', [], []],
];

describe('nltk tokenizer table (Korean quotes, brackets, ellipses, dashes, numbers, URLs)', () => {
  it.each(TABLE)('%j', (text, sentences, tokens) => {
    expect(nltkSentTokenize(text)).toEqual(sentences);
    expect(nltkWordTokenize(text)).toEqual(tokens);
  });

  it('preserveLine skips the sentence split', () => {
    // One Treebank pass only splits the final period, so inner periods stay attached.
    expect(nltkWordTokenize('첫 문장이다. 둘째다.', { preserveLine: true })).toEqual([
      '첫',
      '문장이다.',
      '둘째다',
      '.',
    ]);
  });
});

describe('Punkt parameters', () => {
  const text = 'CCTV 영상은 AI가 분석했다. Dr. Kim이 확인했다.';

  it('a known abbreviation is not a sentence break and keeps its period', () => {
    const punkt = { ...EMPTY_PUNKT_PARAMETERS, abbrevTypes: new Set(['dr']) };
    expect(nltkSentTokenize(text, punkt)).toEqual(['CCTV 영상은 AI가 분석했다.', 'Dr. Kim이 확인했다.']);
    expect(nltkWordTokenize(text, { punkt })).toEqual([
      'CCTV',
      '영상은',
      'AI가',
      '분석했다',
      '.',
      'Dr.',
      'Kim이',
      '확인했다',
      '.',
    ]);
  });

  it('loads an nltk_data punkt_tab folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'punkt-'));
    await writeFile(join(dir, 'abbrev_types.txt'), 'dr\nu.s\n');
    await writeFile(join(dir, 'collocations.tab'), '##number##\tjanuary\n');
    await writeFile(join(dir, 'sent_starters.txt'), 'but\n');
    await writeFile(join(dir, 'ortho_context.tab'), 'kim\t2\n');
    const punkt = await loadPunktParameters(dir);
    expect([...punkt.abbrevTypes]).toEqual(['dr', 'u.s']);
    expect([...punkt.collocations]).toEqual(['##number##\tjanuary']);
    expect([...punkt.sentStarters]).toEqual(['but']);
    expect(punkt.orthoContext.get('kim')).toBe(2);
    expect(nltkSentTokenize(text, punkt)).toEqual(['CCTV 영상은 AI가 분석했다.', 'Dr. Kim이 확인했다.']);
  });
});
