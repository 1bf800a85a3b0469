/** The train-trajectory case's f32 tolerances (losses absolute; norms and LRs relative; weights rel-norm). */
export const TRAJECTORY_TOLERANCES = { loss: 1e-4, normRel: 1e-5, lrRel: 1e-6, paramsRel: 1e-5 } as const;
