// What bench/gpu/phases.mjs and kernel_profile.mjs share: the options that pick the model, the module, WebGPU and
// the precision, the Dawn toggles those imply, and the engine set up from them.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The shared options (--model, --webgpu-dir, --cases, --wasm-build, --precision, --subgroup-matrix, --gpu-toggles)
// and the tool's own: `own` maps an option to (a, v) => ..., v() reading its value; `defaults` holds the tool's
// defaults (--cases' included).
export function parseGpuArgs(argv, defaults, own = {}) {
  const a = { model: path.join(REPO, '.cache', 'models', 'minilm-l6-random'), webgpuDir: '',
    wasmBuild: process.env.GPUEMBED_WASM_BUILD || path.join(REPO, 'build-wasm'), precision: 'fp32', sgmat: false,
    toggles: null, ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = () => argv[++i];
    if (k === '--model') a.model = path.resolve(v());
    else if (k === '--webgpu-dir') a.webgpuDir = path.resolve(v());
    else if (k === '--cases') a.cases = v();
    else if (k === '--wasm-build') a.wasmBuild = path.resolve(v());
    else if (k === '--precision') a.precision = v();
    else if (k === '--subgroup-matrix') a.sgmat = true;
    else if (k === '--gpu-toggles') a.toggles = v();
    else if (Object.hasOwn(own, k)) own[k](a, v);
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

// --gpu-toggles, else what the options need: NVIDIA's Vulkan driver hides 'shader-f16' without
// vulkan_enable_f16_on_nvidia, and the subgroup-matrix feature is experimental (allow_unsafe_apis).
export const gpuToggles = (a) => a.toggles ?? [...(a.precision === 'fp16' ? ['vulkan_enable_f16_on_nvidia'] : []),
  ...(a.sgmat ? ['allow_unsafe_apis'] : [])].join(',');

// npm `webgpu` (or the one in --webgpu-dir) with its globals (GPUDevice, ...) installed.
export async function importWebgpu(a) {
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const webgpu = await import(a.webgpuDir ? pathToFileURL(path.join(a.webgpuDir, 'index.js')).href : 'webgpu');
  Object.assign(globalThis, webgpu.globals);
  return webgpu;
}

// GpuEmbedCore on --wasm-build's module; --subgroup-matrix sets the module option gpuembedSubgroupMatrix.
export async function createCore(a, gpu, options = {}) {
  const factory = (await import(pathToFileURL(path.join(a.wasmBuild, 'gpuembed.mjs')).href)).default;
  const { GpuEmbedCore } = await import(pathToFileURL(path.join(REPO, 'src', 'wasm', 'core.mjs')).href);
  return GpuEmbedCore.create(factory, { gpu, ...(a.sgmat ? { gpuembedSubgroupMatrix: true } : {}), ...options });
}

// A precision or matmul kernel other than the one asked for is an error, not a measurement.
export function requireAsked(a, stats) {
  if (stats.precision !== a.precision) throw new Error(`asked for ${a.precision}, the device ran ${stats.precision}`);
  if (a.sgmat && stats.matmul_kernel !== 'matmul_sgmat') throw new Error(`asked for matmul_sgmat, got ${stats.matmul_kernel}`);
}
