// The CPU fallback: (1) forced with backend 'cpu'; (2) 'auto' without WebGPU falls back and says why;
// (3) 'webgpu' without WebGPU fails with WEBGPU_UNAVAILABLE.
//   node examples/cpu-fallback.mjs [MODEL_DIR]
import { GpuEmbedder, GpuEmbedderError } from 'gpuembed';
import { defaultModel } from './common.mjs';

const model = process.argv[2] || defaultModel;

const forced = await GpuEmbedder.create({ backend: 'cpu' });
await forced.loadModel(model);
const v = await forced.embed('Runs on the WebAssembly CPU path.');
console.log(`1. backend 'cpu': ran on ${forced.backend}, ${v.length} floats, first ${v[0].toFixed(6)}`);

const auto = await GpuEmbedder.create({ backend: 'auto', gpu: null });  // as in a browser without WebGPU
await auto.loadModel(model);
const w = await auto.embed('Runs on the WebAssembly CPU path.');
console.log(`2. backend 'auto' without WebGPU: ran on ${auto.backend} (${auto.fallbackReason}); same vector: ${w.every((x, i) => x === v[i])}`);

try {
  await GpuEmbedder.create({ backend: 'webgpu', gpu: null });
} catch (err) {
  console.log(`3. backend 'webgpu' without WebGPU: ${err instanceof GpuEmbedderError ? err.code : 'unexpected'}: ${err.message}`);
}
await forced.dispose();
await auto.dispose();
