/**
 * TensorBoard `Event` records (tensorboard/compat/proto/event.proto, summary.proto, tensor.proto):
 * the file-version header, scalar values (Summary.Value.simple_value, which TensorBoard's scalar
 * dashboard reads) and text values (a DT_STRING tensor under the `text` plugin).
 */
import { ProtoWriter } from './proto-writer.js';

// Field numbers, named once. Event: wall_time 1, step 2, file_version 3, summary 5.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 } as const;
// Summary: value 1. Summary.Value: tag 1, simple_value 2, tensor 8, metadata 9.
const VALUE = { tag: 1, simpleValue: 2, tensor: 8, metadata: 9 } as const;
// SummaryMetadata: plugin_data 1 (PluginData: plugin_name 1); TensorProto: dtype 1, tensor_shape 2, string_val 8.
const DT_STRING = 7;

/** The first record of every event file: TensorBoard checks the "brain.Event:" prefix. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(EVENT.wallTime, wallTime).string(EVENT.fileVersion, 'brain.Event:2').finish();
}

/** One event holding scalars at `step` (tags as given; NaN/∞ are kept, TensorBoard shows them). */
export function scalarsEvent(wallTime: number, step: number, scalars: Readonly<Record<string, number>>): Uint8Array {
  return new ProtoWriter()
    .double(EVENT.wallTime, wallTime)
    .int(EVENT.step, step)
    .message(EVENT.summary, (s) => {
      for (const [tag, v] of Object.entries(scalars)) {
        s.message(1, (val) => val.string(VALUE.tag, tag).float(VALUE.simpleValue, v));
      }
    })
    .finish();
}

/** One event holding a text value (markdown) for TensorBoard's Text dashboard. */
export function textEvent(wallTime: number, step: number, tag: string, markdown: string): Uint8Array {
  return new ProtoWriter()
    .double(EVENT.wallTime, wallTime)
    .int(EVENT.step, step)
    .message(EVENT.summary, (s) =>
      s.message(1, (val) =>
        val
          .string(VALUE.tag, tag)
          .message(VALUE.metadata, (m) => m.message(1, (p) => p.string(1, 'text')))
          .message(VALUE.tensor, (t) =>
            t
              .int(1, DT_STRING)
              .message(2, () => undefined)
              .string(8, markdown),
          ),
      ),
    )
    .finish();
}
