/**
 * Host-side NF4 for the start-up self-test, the tests and the benchmark (not exported from the
 * package): an Nf4Matrix built from given or random codes and scales in the storage contract of
 * quant/nf4-matrix.ts, with the host's f32 dequantization of any element, the CPU reference the
 * NF4 kernels are checked against. It packs codes; it does not quantize (quant/ does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { NF4_BLOCKSIZE, NF4_TABLE, Nf4Matrix } from '../quant/nf4-matrix.js';

export interface HostNf4 {
  readonly matrix: Nf4Matrix;
  /** One code (0..15) per element of the flattened [rows, cols] matrix. */
  readonly codes: Uint8Array;
  readonly absmax: Float32Array;
  /** Element (r, c) dequantized in f32: table value × its block's scale. */
  at(r: number, c: number): number;
  /** The whole matrix dequantized in f32, row-major. */
  dequantized(): Float32Array;
}

/** Packs per-element codes as the contract says: byte i = code[2i] << 4 | code[2i+1], little-endian words. */
export function packNf4Codes(codes: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(codes.length / 8));
  for (let e = 0; e < codes.length; e++) {
    words[e >> 3]! |= (codes[e]! & 15) << (((e >> 1) & 3) * 8 + (e & 1 ? 0 : 4));
  }
  return words;
}

export function hostNf4(
  codes: Uint8Array,
  absmax: Float32Array,
  rows: number,
  cols: number,
  blocksize = NF4_BLOCKSIZE,
) {
  const matrix = new Nf4Matrix(tf.tensor1d(packNf4Codes(codes), 'int32'), tf.tensor1d(absmax), rows, cols, blocksize);
  const value = (e: number) => Math.fround(NF4_TABLE[codes[e]!]! * absmax[Math.floor(e / blocksize)]!);
  return {
    matrix,
    codes,
    absmax,
    at: (r: number, c: number) => value(r * cols + c),
    dequantized: () => Float32Array.from({ length: rows * cols }, (_, e) => value(e)),
  } satisfies HostNf4;
}

/** A deterministic small PRNG (mulberry32): the same matrix on every machine. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random codes and scales in [0.5, 1.5)·`scale` (the size of real absmax values is irrelevant to the kernel). */
export function randomNf4(rows: number, cols: number, seed: number, blocksize = NF4_BLOCKSIZE, scale = 1): HostNf4 {
  const rnd = prng(seed);
  const codes = Uint8Array.from({ length: rows * cols }, () => Math.floor(rnd() * 16));
  const absmax = Float32Array.from({ length: Math.ceil((rows * cols) / blocksize) }, () => (0.5 + rnd()) * scale);
  return hostNf4(codes, absmax, rows, cols, blocksize);
}
