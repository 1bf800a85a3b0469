/**
 * PEFT's tensor names. In adapter_model.safetensors a module's LoRA is
 * `base_model.model.<module path>.lora_A.weight`; inside a live PeftModel (and in gradient
 * names) the adapter name is added: `....lora_A.default.weight`. Both map to one module path.
 */
export type LoraSide = 'A' | 'B';

/** The file key of a module's LoRA matrix. `adapterName` gives the in-memory form. */
export function peftLoraKey(modulePath: string, side: LoraSide, adapterName?: string): string {
  return `base_model.model.${modulePath}.lora_${side}.${adapterName ? `${adapterName}.` : ''}weight`;
}

const KEY = /^(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.([^.]+))?\.weight$/;

/** Parses either form; undefined for a name that is not a LoRA matrix. */
export function parsePeftLoraKey(
  key: string,
): { modulePath: string; side: LoraSide; adapterName?: string } | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  return { modulePath: m[1]!, side: m[2] as LoraSide, ...(m[3] ? { adapterName: m[3] } : {}) };
}
