import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PIL_FILTERS } from '../processors/pil-resample.js';
import { runImageProcessorsParity, IMAGE_PROCESSORS_TOL_255 } from './image-processors-parity.js';
import { formatParityReport } from './parity-report.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/processors/', import.meta.url));

describe('image-processors parity', () => {
  it(`matches HF CLIP and SigLIP processors within ${IMAGE_PROCESSORS_TOL_255} in 0-255 units`, async () => {
    const r = await runImageProcessorsParity(CASE);
    console.log(formatParityReport(r));
    expect(r.pass, formatParityReport(r)).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['clip_pixel_values (0-255)', 'siglip_pixel_values (0-255)']);
  });

  it('fails with the wrong resampling filter (bilinear for both)', async () => {
    const r = await runImageProcessorsParity(CASE, { resample: PIL_FILTERS.BILINEAR });
    expect(r.checks[0]!.pass).toBe(false);
    expect(r.checks[1]!.pass).toBe(true);
  });

  it("fails on CLIP with Pillow's 22-bit weights (transformers 4's PIL path): off by one level on some pixels", async () => {
    const r = await runImageProcessorsParity(CASE, { flavor: 'pil' });
    expect(r.checks[0]!.pass).toBe(false);
    expect(r.checks[0]!.maxAbs).toBeLessThan(1.01);
  });
});
