/**
 * The tape nodes on a path from some x to y, with inputs that are no function of any x pruned:
 * tfjs-core 4.22's getFilteredNodesXToY (tape.ts), which its package entry does not export and
 * whose ESM file Node cannot import (extensionless specifiers). Same walk, same order, so a
 * backward over it visits what tf.grads visits.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** tfjs-core's TapeNode: what the engine records for each op run with a tape open. */
export interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  readonly outputs: tf.Tensor[];
  readonly inputs: Record<string, tf.Tensor>;
  readonly gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  readonly saved?: tf.Tensor[];
}

export function tapePathXToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  // Forward: every node and tensor that is (transitively) a function of some x.
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (!Object.values(node.inputs).some((t) => fromX.has(t.id))) continue;
    for (const o of node.outputs) fromX.add(o.id);
    nodesFromX.add(node.id);
  }
  // Backward: every node with an output that leads to y.
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!node.outputs.some((o) => toY.has(o.id))) continue;
    const inputs = Object.values(node.inputs);
    for (const t of inputs) toY.add(t.id);
    if (inputs.length) nodesToY.add(node.id);
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({
      ...n,
      inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))),
    }));
}
