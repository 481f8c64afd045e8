#!/usr/bin/env node
// Where the time of one WebGPU request goes (one process; run by bench_gpu.mjs --phases, or by hand):
//   node bench/gpu/phases.mjs [--model DIR] [--webgpu-dir DIR] [--cases short:50,b32x128:10,b256x128:5] [--wasm-build DIR]
// Per case, warm, averaged over the repeats (ms per call): wall (JS, end to end), and from ge_gpu_stats_json's
// counters: begin (tokenize + sort), record (C++ submit: checks, ids/params upload, encoding, queue.submit, mapAsync),
// gpu_wait (submit -> readback mapped: GPU execution + the event loop delivering the callback), read (copy out),
// other = wall - (begin + record + gpu_wait + read): JS glue, text marshalling, promise hops. Plus the WebGPU calls
// per request, counted by wrapping the webgpu module's prototypes (dispatches, bind groups created, submits).
// Prints one JSON object.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const a = { model: path.join(REPO, '.cache', 'models', 'minilm-l6-random'), webgpuDir: '', cases: 'short:50,b32x128:10,b256x128:5',
  wasmBuild: process.env.GPUEMBED_WASM_BUILD || path.join(REPO, 'build-wasm') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = () => argv[++i];
  if (k === '--model') a.model = path.resolve(v());
  else if (k === '--webgpu-dir') a.webgpuDir = path.resolve(v());
  else if (k === '--cases') a.cases = v();
  else if (k === '--wasm-build') a.wasmBuild = path.resolve(v());
  else throw new Error(`unknown argument ${k}`);
}
const r3 = (x) => Math.round(x * 1000) / 1000;
const out = { ok: false, tool: 'bench/gpu/phases.mjs', cases: {} };
try {
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const webgpu = await import(a.webgpuDir ? pathToFileURL(path.join(a.webgpuDir, 'index.js')).href : 'webgpu');
  Object.assign(globalThis, webgpu.globals);
  const calls = new Map();
  let counting = false;
  for (const cls of ['GPUDevice', 'GPUQueue', 'GPUCommandEncoder', 'GPUComputePassEncoder', 'GPUBuffer']) {
    const P = globalThis[cls]?.prototype;
    if (!P) continue;
    for (const k of Object.getOwnPropertyNames(P)) {
      const d = Object.getOwnPropertyDescriptor(P, k);
      if (!d || typeof d.value !== 'function' || k === 'constructor') continue;
      const f = d.value;
      P[k] = function (...args) { if (counting) calls.set(`${cls}.${k}`, (calls.get(`${cls}.${k}`) || 0) + 1); return f.apply(this, args); };
    }
  }
  const gpu = webgpu.create([]);
  const factory = (await import(pathToFileURL(path.join(a.wasmBuild, 'gpuembed.mjs')).href)).default;
  const { GpuEmbedCore } = await import(pathToFileURL(path.join(REPO, 'src', 'wasm', 'core.mjs')).href);
  const opt = (f) => (fs.existsSync(path.join(a.model, f)) ? fs.readFileSync(path.join(a.model, f), 'utf8') : '');
  const files = { config: opt('config.json'), modules: opt('modules.json'), pooling: opt('1_Pooling/config.json'),
    sentenceBert: opt('sentence_bert_config.json'), tokenizer: opt('tokenizer.json'), vocab: opt('vocab.txt'),
    tokenizerConfig: opt('tokenizer_config.json'), safetensors: new Uint8Array(fs.readFileSync(path.join(a.model, 'model.safetensors'))) };
  const core = await GpuEmbedCore.create(factory, { gpu });
  const model = core.loadModel(files, { maxBatch: 256 });
  out.adapter = await model.initGpu();
  const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'bench', 'inputs.json'), 'utf8'));
  for (const spec of a.cases.split(',').filter(Boolean)) {
    const [name, r] = spec.split(':');
    const texts = doc.cases[name].texts;
    const reps = +(r || 5);
    for (let i = 0; i < 2; i++) await model.embedGpu(texts);
    const c0 = model.gpuStats().counters;
    calls.clear();
    counting = true;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const walls = [];
    for (let i = 0; i < reps; i++) { const t = performance.now(); await model.embedGpu(texts); walls.push(performance.now() - t); }
    const wall = (performance.now() - w0) / reps;
    const cpu = process.cpuUsage(cpu0);
    counting = false;
    const c1 = model.gpuStats().counters;
    const per = (k) => r3((c1[k] - c0[k]) / reps);
    const e = { repeats: reps, wall_ms: r3(wall), median_ms: r3([...walls].sort((p, q) => p - q)[walls.length >> 1]),
      cpu_ms: r3((cpu.user + cpu.system) / 1000 / reps), begin_ms: per('begin_ms'), record_ms: per('record_ms'),
      gpu_wait_ms: per('gpu_wait_ms'), read_ms: per('read_ms'), passes: per('passes'), dispatches: per('dispatches'),
      bind_groups_created: per('bind_groups_created'),
      webgpu_calls: Object.fromEntries([...calls].sort().map(([k, v]) => [k, r3(v / reps)])) };
    e.other_ms = r3(e.wall_ms - e.begin_ms - e.record_ms - e.gpu_wait_ms - e.read_ms);
    out.cases[name] = e;
    process.stderr.write(`[phases] ${name}: ${JSON.stringify(e)}\n`);
  }
  out.ok = true;
} catch (e) {
  out.error = String(e?.message ?? e);
}
process.stdout.write(JSON.stringify(out) + '\n');
setImmediate(() => process.exit(0));
