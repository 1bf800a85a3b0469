/** The demo's dataset size and seed (the preset holds the training settings). */
export const DEMO_DATA = { train: 160, val: 32, seed: 42 } as const;
