/**
 * The events a training run appends to `events.jsonl`, and a tolerant parser for them: a run in
 * progress may end mid-line and a newer trainer may write event types this report does not know,
 * so bad and unknown lines are skipped and counted instead of failing the whole report.
 */
import { canonicalMetrics } from '../metrics/metric-registry.js';

/** One optimizer step. Numbers that were not measured are absent. */
export interface StepEvent {
  readonly type: 'step';
  readonly stage: string;
  readonly epoch?: number;
  readonly step?: number;
  readonly loss?: number;
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly tokensPerS?: number;
  readonly memoryMB?: number;
  readonly time?: string;
}

/** The end of one epoch. */
export interface EpochEvent {
  readonly type: 'epoch';
  readonly stage: string;
  readonly epoch?: number;
  readonly trainLoss?: number;
  readonly elapsedS?: number;
}

/** Evaluation metrics measured after an epoch. */
export interface EvaluationEvent {
  readonly type: 'evaluation';
  readonly stage: string;
  readonly epoch?: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A checkpoint written. */
export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly stage: string;
  readonly epoch?: number;
  readonly path: string;
  readonly best: boolean;
}

/** Something the trainer wants a person to see. */
export interface WarningEvent {
  readonly type: 'warning';
  readonly message: string;
  readonly time?: string;
}

/** The start or end of the run; every other field is kept as written. */
export interface RunBoundaryEvent {
  readonly type: 'run-start' | 'run-end';
  readonly fields: Readonly<Record<string, unknown>>;
}

export type RunEvent = StepEvent | EpochEvent | EvaluationEvent | CheckpointEvent | WarningEvent | RunBoundaryEvent;

/** What {@link parseRunEvents} found. */
export interface ParsedEvents {
  readonly events: readonly RunEvent[];
  /** Lines that are not a JSON object or lack a required field. */
  readonly malformed: number;
  /** Well-formed lines of a type this report does not know. */
  readonly unknown: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Copy only the defined entries: a field that was not measured is absent, not `undefined`. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function numbersOf(v: unknown): Record<string, number> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  return out;
}

/** One parsed object → an event, `null` for malformed, `'unknown'` for an unknown type. */
function toEvent(o: Record<string, unknown>): RunEvent | null | 'unknown' | 'ignored' {
  const stage = str(o.stage) ?? (typeof o.stage === 'number' ? `stage${o.stage}` : undefined);
  switch (o.type) {
    case 'step':
      if (stage === undefined) return null;
      return defined<StepEvent>({
        type: 'step',
        stage,
        epoch: num(o.epoch),
        step: num(o.step),
        loss: num(o.loss),
        lr: num(o.lr),
        gradNorm: num(o.gradNorm),
        tokensPerS: num(o.tokensPerS),
        memoryMB: num(o.memoryMB),
        time: str(o.time),
      });
    case 'epoch':
      if (stage === undefined) return null;
      return defined<EpochEvent>({
        type: 'epoch',
        stage,
        epoch: num(o.epoch),
        trainLoss: num(o.trainLoss),
        elapsedS: num(o.elapsedS),
      });
    case 'evaluation': {
      const metrics = numbersOf(o.metrics);
      if (stage === undefined || !metrics) return null;
      return defined<EvaluationEvent>({
        type: 'evaluation',
        stage,
        epoch: num(o.epoch),
        metrics: canonicalMetrics(metrics),
      });
    }
    case 'checkpoint': {
      const path = str(o.path);
      if (path === undefined) return null;
      return defined<CheckpointEvent>({
        type: 'checkpoint',
        stage: stage ?? '',
        epoch: num(o.epoch),
        path,
        best: o.best === true || o.reason === 'best',
      });
    }
    case 'warning': {
      const message = str(o.message);
      if (message === undefined) return null;
      return defined<WarningEvent>({ type: 'warning', message, time: str(o.time) });
    }
    case 'run-start':
    case 'run-end': {
      const { type, ...fields } = o;
      return { type, fields };
    }
    // The trainer's bookkeeping events: known, nothing to draw (the terminal and jq show them).
    case 'stage-start':
    case 'stage-end':
    case 'skipped-step':
    case 'skip':
    case 'stopped':
      return 'ignored';
    default:
      return typeof o.type === 'string' ? 'unknown' : null;
  }
}

/** Parse the text of `events.jsonl`. Blank lines are ignored; nothing throws. */
export function parseRunEvents(text: string): ParsedEvents {
  const events: RunEvent[] = [];
  let malformed = 0;
  let unknown = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      malformed++;
      continue;
    }
    const e =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? toEvent(parsed as Record<string, unknown>)
        : null;
    if (e === null) malformed++;
    else if (e === 'unknown') unknown++;
    else if (e === 'ignored') continue;
    else events.push(e);
  }
  return { events, malformed, unknown };
}
