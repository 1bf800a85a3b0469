import { describe, expect, it } from 'vitest';
import { checkTextRoom } from './trainer-inputs.js';

describe('checkTextRoom', () => {
  it('needs the prompt, one caption token and EOS: an input error otherwise, not E_UNEXPECTED', () => {
    expect(() => checkTextRoom(12, 10)).not.toThrow();
    expect(() => checkTextRoom(11, 10)).toThrow(
      expect.objectContaining({
        code: 'E_CONFIG_INVALID',
        context: { maxTextLength: 11, promptTokens: 10, needed: 12 },
      }),
    );
  });
});
