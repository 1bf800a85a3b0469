import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { AdamW } from './adamw.js';
import type { AdamWConfig } from './adamw.js';
import { adamWStateFromTensors, adamWStateToTensors } from './adamw-state.js';
import { cosineWithWarmup } from './lr-lambda.js';
import { cloneParamSet, paramSetFrom } from './param-set.js';
import type { ParamSet } from './param-set.js';
import { Scheduler } from './scheduler.js';

const CONFIG: AdamWConfig = {
  groups: [
    { name: 'projector', params: ['proj.w', 'proj.b'], lr: 1e-2 },
    { name: 'lora', params: ['lora.A', 'lora.B'], lr: 1e-3, weightDecay: 0 },
  ],
  weightDecay: 0.01,
};

function gradsAt(step: number): ParamSet {
  const wave = (n: number, k: number) =>
    Array.from({ length: n }, (_, i) => Math.sin(step * 1.7 + i * 0.3 + k) * (1 + step));
  return paramSetFrom({ 'proj.w': wave(6, 0), 'proj.b': wave(2, 1), 'lora.A': wave(4, 2), 'lora.B': wave(4, 3) });
}

function freshParams(): ParamSet {
  return paramSetFrom({
    'proj.w': [0.5, -0.5, 1, -1, 2, 0],
    'proj.b': [0.1, -0.1],
    'lora.A': [0.3, 0.2, 0.1, 0],
    'lora.B': [0, 0, 0, 0],
  });
}

describe('AdamW (torch semantics)', () => {
  it.each([
    // first step: m̂ = g and v̂ = g², so the update is -lr * g / (|g| + eps)
    ['wd 0', 0, [1, -2, 0.5], [0.3, -5, 1e-3], [0.9, -1.9, 0.4 + 0.1 * (1 - 1e-3 / (1e-3 + 1e-8))]],
    // decoupled decay multiplies by (1 - lr*wd) first: 1 * (1 - 0.1*0.5) - 0.1
    ['wd 0.5', 0.5, [1, -2, 0.5], [0.3, -5, 1e-3], [0.85, -1.8, 0.375 + 0.1 * (1 - 1e-3 / (1e-3 + 1e-8))]],
  ])('first step table (%s)', (_label, weightDecay, p0, g, expected) => {
    const opt = new AdamW({ groups: [{ name: 'all', params: ['p'], lr: 0.1, weightDecay }] });
    const params = paramSetFrom({ p: p0 });
    opt.step(params, paramSetFrom({ p: g }));
    [...params.get('p')!].forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('uses each group its own lr and weight decay; lr 0 leaves a group untouched', () => {
    const opt = new AdamW(CONFIG);
    opt.setLr('lora', 0);
    const params = freshParams();
    const before = cloneParamSet(params);
    opt.step(params, gradsAt(0));
    expect([...params.get('lora.A')!]).toEqual([...before.get('lora.A')!]);
    expect([...params.get('proj.w')!]).not.toEqual([...before.get('proj.w')!]);
    expect(opt.lr('projector')).toBe(1e-2);
    expect(opt.initialLr('lora')).toBe(1e-3);
    expect(opt.state().groups.map((g) => g.weightDecay)).toEqual([0.01, 0]);
  });

  it('skips parameters without a gradient (their step does not advance)', () => {
    const opt = new AdamW(CONFIG);
    const params = freshParams();
    const grads = gradsAt(0);
    grads.delete('lora.B');
    opt.step(params, grads);
    const s = opt.state();
    expect(Object.keys(s.params).sort()).toEqual(['lora.A', 'proj.b', 'proj.w']);
    expect(s.params['proj.w']!.step).toBe(1);
  });

  it('state()/loadState() round trip continues bit-identically (with the scheduler)', () => {
    const lambda = cosineWithWarmup({ warmupSteps: 2, totalSteps: 8 });
    const a = new AdamW(CONFIG);
    const sa = new Scheduler(a, lambda);
    const pa = freshParams();
    for (let k = 0; k < 4; k++) {
      a.step(pa, gradsAt(k));
      sa.step();
    }
    // Checkpoint the way the trainer will: tensors + a JSON header.
    const { header, tensors } = adamWStateToTensors(a.state());
    const headerJson = JSON.stringify(header);
    const savedParams = cloneParamSet(pa);
    const savedSched = JSON.stringify(sa.state());

    const b = new AdamW(CONFIG);
    const sb = new Scheduler(b, lambda);
    b.loadState(adamWStateFromTensors(JSON.parse(headerJson), cloneParamSet(tensors)));
    sb.loadState(JSON.parse(savedSched));
    const pb = cloneParamSet(savedParams);
    for (let k = 4; k < 8; k++) {
      a.step(pa, gradsAt(k));
      sa.step();
      b.step(pb, gradsAt(k));
      sb.step();
    }
    for (const [name, values] of pa) expect([...pb.get(name)!]).toEqual([...values]);
    expect(b.state()).toEqual(a.state());
    expect(sb.lastLr()).toEqual(sa.lastLr());
  });

  it('a fresh optimizer continues differently (the round trip test can fail)', () => {
    const a = new AdamW(CONFIG);
    const pa = freshParams();
    a.step(pa, gradsAt(0));
    const pb = cloneParamSet(pa);
    const b = new AdamW(CONFIG); // no loadState: moments and step restart
    a.step(pa, gradsAt(1));
    b.step(pb, gradsAt(1));
    expect([...pb.get('proj.w')!]).not.toEqual([...pa.get('proj.w')!]);
  });

  it('state() is a snapshot, not a view', () => {
    const opt = new AdamW(CONFIG);
    const params = freshParams();
    opt.step(params, gradsAt(0));
    const s = opt.state();
    const m = [...s.params['proj.w']!.expAvg];
    opt.step(params, gradsAt(1));
    expect([...s.params['proj.w']!.expAvg]).toEqual(m);
    expect(s.params['proj.w']!.step).toBe(1);
  });

  it.each([
    [
      'duplicate parameter',
      {
        groups: [
          { name: 'a', params: ['x'], lr: 1 },
          { name: 'b', params: ['x'], lr: 1 },
        ],
      },
      /two AdamW groups/,
    ],
    [
      'duplicate group',
      {
        groups: [
          { name: 'a', params: ['x'], lr: 1 },
          { name: 'a', params: ['y'], lr: 1 },
        ],
      },
      /duplicate/,
    ],
    ['negative lr', { groups: [{ name: 'a', params: ['x'], lr: -1 }] }, /lr/],
    ['beta 1', { groups: [{ name: 'a', params: ['x'], lr: 1, betas: [1, 0.999] as const }] }, /betas/],
    ['no groups', { groups: [] }, /at least one/],
  ])('rejects a bad config: %s', (_label, config, message) => {
    expect(() => new AdamW(config)).toThrow(message);
  });

  it('rejects shape mismatches and foreign states with coded errors', () => {
    const opt = new AdamW(CONFIG);
    const params = freshParams();
    const grads = gradsAt(0);
    grads.set('proj.b', new Float32Array(3));
    expect(() => opt.step(params, grads)).toThrow(expect.objectContaining({ code: 'E_OPTIM_SHAPE' }));
    const other = new AdamW({ groups: [{ name: 'projector', params: ['proj.w'], lr: 1 }] });
    expect(() => other.loadState(opt.state())).toThrow(expect.objectContaining({ code: 'E_OPTIM_STATE' }));
    expect(() => opt.setLr('nope', 1)).toThrow(TrainError);
  });
});
