/**
 * @kvc/models — tensor engine, Hugging Face checkpoint loading, and the networks of kvc
 * (Qwen3 + LoRA + projector, CLIP vision, SigLIP, BERT) in TensorFlow.js. Random-model
 * writers live in `@kvc/models/testing`, parity runners in `@kvc/models/parity`.
 */
// --- errors, checkpoint files and model folders
export {
  ModelsError,
  SafetensorsError,
  WeightMismatchError,
  ModelNotFoundError,
  ConfigError,
  BackendError,
} from './errors.js';
export { DTYPE_BYTES, toFloat32, toInt32 } from './io/dtype.js';
export type { SafetensorsDtype } from './io/dtype.js';
export { SafetensorsFile } from './io/safetensors-file.js';
export type { TensorInfo } from './io/safetensors-file.js';
export { writeSafetensors, float32ToBf16Bits } from './io/write-safetensors.js';
export type { TensorToWrite } from './io/write-safetensors.js';
export type { LayerCheckpointing } from './nn/checkpointed.js';
export { Checkpoint } from './io/checkpoint.js';
export { resolveModelDir, findInHubCache, hubCacheDir } from './io/resolve-model-dir.js';
export type { ResolveOptions } from './io/resolve-model-dir.js';
export { readJsonConfig } from './io/read-config.js';
// --- engine: backends, their errors, seeded randomness
export { initBackend, ensureGradients, BACKEND_NAMES } from './engine/init-backend.js';
export type { BackendName, ConcreteBackend, BackendChoice, InitBackendOptions } from './engine/init-backend.js';
export {
  translateBackendError,
  withBackendErrors,
  withBackendErrorsAsync,
  backendsWithKernel,
} from './engine/backend-op-error.js';
export { markDevicePhase, throwIfDeviceError, watchDeviceErrors } from './engine/device-errors.js';
export type { DeviceErrorPhase } from './engine/device-errors.js';
export { installWasmMatMulFix } from './engine/wasm-matmul-fix.js';
export { SeededRandom, kaimingUniformA5 } from './engine/seeded-random.js';
// --- the weights of the shared layers (nn/), for code that builds or trains model weights
export type { AnyLinearWeights, LinearWeight, LinearWeights, LoraPair } from './nn/linear.js';
export { linearOutDim } from './nn/linear.js';
// precision of frozen linear weights: f32 everywhere, f16 on webgpu (kvc issue #12)
export { PRECISIONS, checkPrecision } from './nn/precision.js';
export type { Precision } from './nn/precision.js';
// NF4 quantization of frozen linear weights (kvc issue #13): bitsandbytes' NF4 on the host, the plain product
export {
  NF4_BLOCKSIZE,
  NF4_TABLE,
  NF4_DOUBLE_QUANT_BLOCKSIZE,
  Nf4Matrix,
  QUANTIZATIONS,
  checkQuantization,
  quantizeNf4,
  dequantizeNf4,
  doubleDequantize,
  packNf4Codes,
  unpackNf4Codes,
  nf4MatrixFromHost,
  nf4MatrixFromQuantized,
  nf4MatrixFromTensor,
  nf4MatMul,
  dequantizeNf4Matrix,
  canDequantizeNf4,
} from './quant/index.js';
export type { Nf4DoubleQuant, Nf4QuantizeOptions, Nf4Quantized, Quantization } from './quant/index.js';
export type { LayerNormWeights } from './nn/layer-norm.js';
export type { PreLnLayerWeights } from './nn/pre-ln-encoder-layer.js';
export { convAsLinearWeight } from './nn/patchify.js';
export { singleMatrix, backendMaxTensorBytes } from './nn/row-matrix.js';
export type { RowMatrix } from './nn/row-matrix.js';
// --- Qwen3 causal LM, LoRA, projector, VLM, generation, tokenizer
export { parseQwen3Config, eosList } from './qwen3/qwen3-config.js';
export type { Qwen3Config } from './qwen3/qwen3-config.js';
export { qwen3ExpectedShapes, qwen3LinearModules } from './qwen3/qwen3-weights.js';
export type { Qwen3Weights, Qwen3LayerWeights } from './qwen3/qwen3-weights.js';
export { Qwen3ForCausalLM } from './qwen3/qwen3-for-causal-lm.js';
export type { Qwen3ForwardInput } from './qwen3/qwen3-for-causal-lm.js';
export { loadQwen3, readQwen3Config } from './qwen3/load-qwen3.js';
export type { LoadQwen3Options } from './qwen3/load-qwen3.js';
export { LoraAdapter, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './lora/lora-adapter.js';
export type { LinearModuleShapes } from './lora/lora-adapter.js';
export {
  parseLoraConfig,
  loraConfigToPeftJson,
  isLoraTarget,
  loraRankAndScaling,
  SEED_LORA_CONFIG,
} from './lora/lora-config.js';
export type { LoraConfig } from './lora/lora-config.js';
export { peftLoraKey, parsePeftLoraKey } from './lora/peft-names.js';
export type { LoraSide } from './lora/peft-names.js';
export type { LoraProvider } from './lora/lora-provider.js';
export { Projector, PROJECTOR_TYPES } from './projector/projector.js';
export type { ProjectorType } from './projector/projector.js';
export { vlmInputs, targetRuns, IGNORE_INDEX } from './vlm/vlm-batch.js';
export type { VlmBatch } from './vlm/vlm-batch.js';
export { vlmLogits, vlmLoss, vlmLossAndGrads } from './vlm/vlm-loss.js';
export { streamedGrads, type BackwardPace, type StreamedGrads } from './engine/streamed-grads.js';
export type { VlmParts, VlmLossOptions } from './vlm/vlm-loss.js';
export { chunkedCrossEntropy, defaultChunkRows } from './vlm/chunked-cross-entropy.js';
export { vlmGenerate, vlmPromptEmbeds } from './vlm/vlm-generate.js';
export { applyRepetitionPenalty, argmax } from './generation/repetition-penalty.js';
export { generateGreedy, generateGreedyFromIds, kvCacheF16For } from './generation/generate-greedy.js';
export type { GenerateOptions, GenerationResult, StepTiming } from './generation/generate-greedy.js';
export { KvCache, roundedCapacity } from './nn/kv-cache.js';
export type { KvCacheShape, KvStep } from './nn/kv-cache.js';
export { PREFILL_CHUNK_ROWS, PREFILL_CHUNK_ROWS_FUSED, prefillChunkTokens } from './generation/prefill.js';
export { loadTokenizer, bundledQwen3TokenizerDir } from './tokenizer/text-tokenizer.js';
export type { TextTokenizer } from './tokenizer/text-tokenizer.js';
// --- encoders: CLIP vision, SigLIP, BERT; image processors
export { parseClipVisionConfig } from './clip/clip-vision-config.js';
export type { ClipVisionConfig } from './clip/clip-vision-config.js';
export { ClipVisionModel, clipVisionShapes, clipVisionHiddenState } from './clip/clip-vision-model.js';
export type { ClipVisionOutput, ClipLoadOptions, ClipVisionWeights } from './clip/clip-vision-model.js';
export { encodeFrames } from './clip/encode-frames.js';
export type { EncodeFramesOptions } from './clip/encode-frames.js';
export { parseSiglipConfig } from './siglip/siglip-config.js';
export type { SiglipConfig, SiglipVisionConfig, SiglipTextConfig } from './siglip/siglip-config.js';
export { SiglipModel } from './siglip/siglip-model.js';
export type { SiglipOutput, SiglipLoadOptions } from './siglip/siglip-model.js';
export { siglipCaptionScore, siglipCaptionScores } from './siglip/siglip-caption-score.js';
export type { LogitsMatrix } from './siglip/siglip-caption-score.js';
export { siglipTokenize } from './siglip/siglip-tokenize.js';
export type { SiglipTokenizeOptions } from './siglip/siglip-tokenize.js';
export { parseBertConfig } from './bert/bert-config.js';
export type { BertConfig } from './bert/bert-config.js';
export { BertModel, bertShapes } from './bert/bert-model.js';
export type { BertInputs, BertLoadOptions } from './bert/bert-model.js';
export { bertTokenize, bertEncodeTexts, encodedBatchTensors } from './bert/bert-encode.js';
export { EncoderTokenizer } from './processors/encoder-tokenizer.js';
export type { EncodedBatch, EncodeOptions } from './processors/encoder-tokenizer.js';
export { pilResize, precomputeCoeffs, PIL_FILTERS } from './processors/pil-resample.js';
export type { PilFilterId, U8Image, WeightQuantization } from './processors/pil-resample.js';
export { parseImageProcessorConfig, CLIP_MEAN, CLIP_STD } from './processors/image-processor-config.js';
export type { ImageProcessorConfig, ResizeSpec } from './processors/image-processor-config.js';
export { ImageProcessor, loadImageProcessor, resizeOutputSize } from './processors/image-processor.js';
export type { RgbFrame, PixelBatch, ProcessorFlavor } from './processors/image-processor.js';
export { pixelBatchToTensor } from './processors/pixel-batch-tensor.js';
export { readPngFrame } from './processors/png-frame.js';
export { VOCAB_MAP_FILE, readVocabMap, writeVocabMap, compactTokenizer } from './tokenizer/vocab-map.js';
// --- WebGPU kernels of our own (f16 GEMM on tensor cores or core WGSL; see src/gpu)
export {
  gemm,
  gemmVariant,
  F16Matrix,
  F16RowMatrix,
  f16GatherRows,
  f16GemmBound,
  frozenF16MatMul,
} from './gpu/index.js';
export type { GemmOptions, GemmVariant } from './gpu/index.js';
// attention's chunk products on the batched f16 GEMM (kvc issue #12; off by default)
export { attentionGemmDefault, setAttentionGemmDefault } from './nn/attention-matmul.js';
export {
  flashAttentionVariant,
  fusedAttentionDefault,
  setFusedAttentionDefault,
  type FlashAttentionVariant,
} from './gpu/flash-attention.js';
export { selectFlashAttentionVariant, tensorCoreFlashCandidates } from './gpu/flash-attention-select.js';
export { fusedAttentionOn } from './nn/attention-fused.js';
// RMSNorm, SwiGLU and RoPE as one WGSL dispatch each way on webgpu (kvc issue #12; on by default)
export { fusedElementwiseDefault, setFusedElementwiseDefault } from './gpu/fused-elementwise.js';
// GPU time of our own kernels, by bindings and workgroups (tf.profile sees only tfjs's)
export { startOwnKernelProfile, stopOwnKernelProfile, type OwnKernelTime } from './gpu/own-kernel-profile.js';
// tfjs-webgpu's pool of freed buffers, bounded (kvc issue #12)
export {
  DEFAULT_GPU_POOL_LIMIT,
  DEFAULT_MAX_DESTROYED_IN_FLIGHT_BYTES,
  gpuPacingTotals,
  gpuPoolLimit,
  gpuPoolStats,
  resetGpuPoolPeak,
  setGpuPoolLimit,
  type GpuPacingTotals,
} from './gpu/index.js';
export type { GpuPoolLimit, GpuPoolStats } from './gpu/index.js';
// A decoding step recorded once and replayed (generation uses it; GenerateOptions.onStepRecorded hands it out).
export { RecordedStep } from './gpu/recorded-step.js';
export type { StepFeed } from './gpu/recorded-step.js';
