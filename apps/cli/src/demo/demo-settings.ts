/**
 * The demo's dataset size, seed, LM warm-up and tiny-CLIP pretraining (the preset holds the
 * training settings), and `KVC_DEMO_SIZE`, the one way to shrink them: the end-to-end test runs
 * a reduced demo in CI through the real `kvc demo` code with it
 * (`train=64,val=16,seed=7,warmUpSteps=60,visionSteps=500`; `visionSteps=0` keeps the tower random).
 */
import {
  DEMO_VISION_PRETRAIN,
  DEMO_WARM_UP,
  type DemoVisionPretrainOptions,
  type DemoWarmUpOptions,
} from './build-demo-models.js';

export interface DemoData {
  readonly train: number;
  readonly val: number;
  readonly seed: number;
}

export const DEMO_DATA: DemoData = { train: 320, val: 32, seed: 42 };

export interface DemoSize {
  readonly data: DemoData;
  readonly warmUp: DemoWarmUpOptions;
  /** `false`: no pretraining (a random tower). */
  readonly visionPretrain: DemoVisionPretrainOptions | false;
}

const KEYS = ['train', 'val', 'seed', 'warmUpSteps', 'visionSteps'] as const;

/**
 * The demo's size: the defaults, or `KVC_DEMO_SIZE="train=64,val=16,seed=7,warmUpSteps=60"`
 * (any subset of the keys). Throws a RangeError naming the bad entry: a typo must not silently
 * run the full demo in CI.
 */
export function demoSize(spec: string | undefined = process.env.KVC_DEMO_SIZE): DemoSize {
  const v: Record<string, number> = {
    ...DEMO_DATA,
    warmUpSteps: DEMO_WARM_UP.steps,
    visionSteps: DEMO_VISION_PRETRAIN.steps,
  };
  for (const part of (spec ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [k = '', raw] = part.split('=').map((s) => s.trim());
    const n = Number(raw);
    if (
      !KEYS.includes(k as (typeof KEYS)[number]) ||
      raw === undefined ||
      !Number.isInteger(n) ||
      n < (k === 'seed' || k === 'visionSteps' ? 0 : 1)
    ) {
      throw new RangeError(`KVC_DEMO_SIZE: bad entry "${part}" (want ${KEYS.map((x) => `${x}=<integer>`).join(',')})`);
    }
    v[k] = n;
  }
  return {
    data: { train: v.train!, val: v.val!, seed: v.seed! },
    warmUp: { ...DEMO_WARM_UP, steps: v.warmUpSteps! },
    visionPretrain: v.visionSteps ? { ...DEMO_VISION_PRETRAIN, steps: v.visionSteps } : false,
  };
}
