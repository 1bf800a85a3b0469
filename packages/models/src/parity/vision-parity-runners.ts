/** The parity runners of the encoder half, by case kind (`case.json` "kind"), for `kvc parity`. */
import { runBertParity } from './bert-parity.js';
import { runClipVisionParity } from './clip-parity.js';
import { runImageProcessorsParity } from './image-processors-parity.js';
import type { ParityReport } from './parity-report.js';
import { runSiglipParity } from './siglip-parity.js';

export type VisionParityKind = 'clip-vision' | 'siglip' | 'bert' | 'image-processors';

export const visionParityRunners: Readonly<Record<VisionParityKind, (caseDir: string) => Promise<ParityReport>>> = {
  'clip-vision': (d) => runClipVisionParity(d),
  siglip: (d) => runSiglipParity(d),
  bert: (d) => runBertParity(d),
  'image-processors': (d) => runImageProcessorsParity(d),
};
