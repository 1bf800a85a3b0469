/**
 * Which code runs a reference case of each kind. The packages own their runners (the same code
 * their tests run); this table only routes `case.json`'s kind to one. Runners load lazily so
 * `kvc parity` of one kind does not import every model.
 */
import type { ModelParityKind, ParityReport } from '@kvc/models/parity';

export interface ParityRunOptions {
  readonly backend?: string;
  /** f16 frozen weights (webgpu only), checked against the same f32 references: model cases only. */
  readonly precision?: 'f32' | 'f16';
}

/** The kinds whose runner takes a precision (model cases, the training trajectory; the rest have no f16 mode). */
export const PRECISION_KINDS: readonly string[] = ['qwen3-vlm', 'clip-vision', 'siglip', 'bert', 'train-trajectory'];

type Runner = (caseDir: string, opts: ParityRunOptions) => Promise<ParityReport>;

export const parityRunners: Readonly<Record<string, () => Promise<Runner>>> = {
  meteor: async () => {
    const { runMeteorParity } = await import('@kvc/eval');
    return (dir) => runMeteorParity(dir);
  },
  bertscore: async () => {
    const [{ runBertscoreParity }, { initBackend }] = await Promise.all([import('@kvc/eval'), import('@kvc/models')]);
    return async (dir, opts) => {
      await initBackend((opts.backend ?? 'cpu') as Parameters<typeof initBackend>[0]);
      return runBertscoreParity(dir);
    };
  },
  'qwen3-vlm': () => modelRunner('qwen3-vlm'),
  'qwen3-tokenizer': () => modelRunner('qwen3-tokenizer'),
  'clip-vision': () => modelRunner('clip-vision'),
  siglip: () => modelRunner('siglip'),
  bert: () => modelRunner('bert'),
  'image-processors': () => modelRunner('image-processors'),
  nf4: () => modelRunner('nf4'),
  'train-trajectory': async () => {
    const { runTrainTrajectoryParity } = await import('@kvc/train');
    return (dir, opts) =>
      runTrainTrajectoryParity(dir, {
        ...(opts.backend ? { backend: opts.backend as 'cpu' } : {}),
        ...(opts.precision ? { precision: opts.precision } : {}),
      });
  },
  'adamw-cosine': async () => {
    const { runAdamwCosineParity } = await import('@kvc/train');
    return (dir) => runAdamwCosineParity(dir);
  },
};

async function modelRunner(kind: ModelParityKind): Promise<Runner> {
  const [{ modelParityRunners }, { initBackend }] = await Promise.all([
    import('@kvc/models/parity'),
    import('@kvc/models'),
  ]);
  const run = modelParityRunners[kind];
  return async (dir, opts) => {
    const { backend } = await initBackend((opts.backend ?? 'cpu') as Parameters<typeof initBackend>[0]);
    const precision = opts.precision ? { precision: opts.precision } : {};
    return { ...(await run(dir, { backend, ...precision })), backend };
  };
}
