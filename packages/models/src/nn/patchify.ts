/**
 * Non-overlapping patches of NCHW pixels as rows, so a stride-p conv is one matmul:
 * [N, C, S, S] → [N, (S/p)², C·p·p], each row ordered (c, dy, dx) like a torch conv weight
 * [out, C, p, p] flattened, and patches in raster order like conv output `.flatten(2)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';

/** Whole patches along a side of `size` pixels: a stride-p conv drops a remainder that does not fill one. */
export const patchesAlong = (size: number, patch: number): number => Math.floor(size / patch);

export function patchify(pixels: tf.Tensor4D, patch: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, c, h, w] = pixels.shape;
    const gh = patchesAlong(h, patch);
    const gw = patchesAlong(w, patch);
    if (gh === 0 || gw === 0)
      throw new ModelsError('E_INPUT_SHAPE', `image ${h}x${w} is smaller than one ${patch}x${patch} patch`, {
        shape: pixels.shape,
      });
    // A stride-p conv ignores a remainder that does not fill a patch: so do we.
    const x =
      h === gh * patch && w === gw * patch ? pixels : tf.slice(pixels, [0, 0, 0, 0], [n, c, gh * patch, gw * patch]);
    const six = tf.reshape(x, [n, c, gh, patch, gw, patch]);
    return tf.reshape(tf.transpose(six, [0, 2, 4, 1, 3, 5]), [n, gh * gw, c * patch * patch]) as tf.Tensor3D;
  });
}

/**
 * A torch conv weight [out, C, p, p] as the linear weight [out, C·p·p] that multiplies patch
 * rows (a reshape: the conv's flattening order is the patch rows' order).
 */
export function convAsLinearWeight(weight: tf.Tensor): tf.Tensor2D {
  return tf.reshape(weight, [weight.shape[0]!, -1]);
}
