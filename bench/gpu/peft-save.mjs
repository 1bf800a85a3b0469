// Writes the reference case's LoRA adapter through kvc's PEFT writer into .gpu/peft-check/adapter,
// so bench/gpu/peft-load-check.py can check that Python peft loads what kvc saves.
// Run from the repo root after `npm install`: node bench/gpu/peft-save.mjs
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../packages/models/package.json', import.meta.url));
const { LoraAdapter, loadQwen3, initBackend } = await import(require.resolve('@kvc/models'));
await initBackend('cpu');
const ref = 'test/fixtures/reference/qwen3';
const model = await loadQwen3(`${ref}/model`);
const lora = await LoraAdapter.load(`${ref}/adapter`, model.linearModules());
await lora.save('.gpu/peft-check/adapter', { baseModelNameOrPath: `${ref}/model` });
console.log('wrote .gpu/peft-check/adapter');
