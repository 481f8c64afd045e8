#!/usr/bin/env node
// One measurement process of OUR engine (the WASM module build-wasm/gpuembed.mjs through src/wasm/core.mjs), CPU
// (WASM SIMD) or WebGPU, on the shared inputs (bench/inputs.json). Prints ONE JSON object on stdout, shaped like
// bench/peer/run_peer.mjs's so the two sides compare field by field (progress goes to stderr).
//
//   node bench/wasm/ours.mjs --backend cpu|webgpu [--model DIR] [--cases short,b32x128:3,...] [--warmup W]
//        [--repeats R] [--golden N|all] [--max-seq N] [--max-batch N] [--inputs FILE] [--wasm-build DIR]
//        [--webgpu-dir DIR] [--wait-idle S] [--gpu-toggles a,b] [--max-time-s S] [--api core|js] [--threads N]
//        [--simd simd128|relaxed]
// --threads N (CPU): 1 (default) runs the single-threaded module gpuembed.mjs, N > 1 the threaded gpuembed-mt.mjs
// with a pool of N - 1 workers (what js/gpuembed.mjs picks for `threads: N`).
// --simd relaxed (CPU): their relaxed-SIMD twins gpuembed-relaxed.mjs / gpuembed-mt-relaxed.mjs (FMA in the fp32
// matmuls); Node 20 must run this process with --experimental-wasm-relaxed-simd (bench_wasm.mjs --relaxed does).
// --api core (default): src/wasm/core.mjs directly; --api js: the public API js/gpuembed.mjs (GpuEmbedder.create,
// loadModel(files object), embedBatchFlat), i.e. with its queue and chunking on top.
//
// Cold start (fresh process): create = WASM instantiate + loadModel (from bytes already in memory; reading the files
// is timed apart as read_ms) + for webgpu initGpu (adapter + device + weight upload + pipelines); first embed = the
// short sentence (shader compilation included where it happens lazily). For webgpu, making the GPU object in Node
// (import npm webgpu + create([]), what navigator.gpu is in a browser) is timed apart as gpu_instance_ms.
// Per case: warm-up, then timed end-to-end calls (texts in -> normalized vectors out: tokenizing, the encoder,
// pooling, normalizing and the copy out of the WASM heap), median/min/mean/max, CPU use, other processes' CPU use.
// --max-seq N overrides sentence_bert_config.json's max_seq_length (the s512 cases need 512; the model says 256).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { idsHash, machineBusyMs, median, r3, readTrim, waitIdle } from '../common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const DEFAULTS = { short: [3, 20], b32x128: [1, 5], b256x128: [1, 3], s512x1: [2, 10], s512x2: [1, 5], s512x4: [1, 5],
  s512x8: [1, 3], s512x16: [1, 3], s512x32: [1, 2] };
const SHORT_TEXT = 'The quick brown fox jumps over the lazy dog.';

function parseArgs(argv) {
  const a = { backend: 'cpu', model: path.join(REPO, '.cache', 'models', 'minilm-l6-random'), cases: 'short,b32x128',
    warmup: null, repeats: null, golden: 0, maxSeq: 0, maxBatch: 0, inputs: path.join(REPO, 'bench', 'inputs.json'),
    wasmBuild: process.env.GPUEMBED_WASM_BUILD || path.join(REPO, 'build-wasm'), webgpuDir: process.env.GPUEMBED_WEBGPU_DIR || '',
    waitIdle: 0, toggles: '', maxTimeS: 0, api: 'core', threads: 1, precision: 'fp32', simd: 'simd128' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--backend') a.backend = v();
    else if (k === '--model') a.model = path.resolve(v());
    else if (k === '--cases') a.cases = v();
    else if (k === '--warmup') a.warmup = +v();
    else if (k === '--repeats') a.repeats = +v();
    else if (k === '--golden') { const g = v(); a.golden = g === 'all' ? 1e9 : +g; }
    else if (k === '--max-seq') a.maxSeq = +v();
    else if (k === '--max-batch') a.maxBatch = +v();
    else if (k === '--inputs') a.inputs = path.resolve(v());
    else if (k === '--wasm-build') a.wasmBuild = path.resolve(v());
    else if (k === '--webgpu-dir') a.webgpuDir = path.resolve(v());
    else if (k === '--wait-idle') a.waitIdle = +v();
    else if (k === '--gpu-toggles') a.toggles = v();
    else if (k === '--max-time-s') a.maxTimeS = +v();
    else if (k === '--api') a.api = v();
    else if (k === '--threads') a.threads = +v();
    else if (k === '--precision') a.precision = v();
    else if (k === '--simd') a.simd = v();
    else throw new Error(`unknown argument ${k}`);
  }
  if (!['cpu', 'webgpu'].includes(a.backend)) throw new Error('--backend must be cpu or webgpu');
  if (!['core', 'js'].includes(a.api)) throw new Error('--api must be core or js');
  if (!['simd128', 'relaxed'].includes(a.simd) || (a.simd === 'relaxed' && a.backend !== 'cpu')) {
    throw new Error('--simd must be simd128 or relaxed (relaxed: --backend cpu; Node 20 needs --experimental-wasm-relaxed-simd)');
  }
  if (!Number.isInteger(a.threads) || a.threads < 1) throw new Error('--threads must be a positive integer');
  if (!['fp32', 'int8'].includes(a.precision) || (a.precision === 'int8' && a.backend !== 'cpu')) {
    throw new Error('--precision must be fp32 or int8 (int8: --backend cpu)');
  }
  a.caseSpecs = a.cases.split(',').filter(Boolean).map((s) => {
    const [name, r] = s.split(':');
    if (!DEFAULTS[name]) throw new Error(`unknown case ${name}`);
    return { name, warmup: a.warmup ?? DEFAULTS[name][0], repeats: r ? +r : a.repeats ?? DEFAULTS[name][1] };
  });
  return a;
}

const log = (...m) => process.stderr.write(`[ours] ${m.join(' ')}\n`);

function readModelFiles(dir, maxSeq) {
  const opt = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  let poolingDir = '1_Pooling';
  try {
    const p = JSON.parse(opt('modules.json') || '[]').find((m) => String(m.type || '').endsWith('Pooling'));
    if (p && p.path) poolingDir = p.path;
  } catch { /* reported by the core */ }
  let sentenceBert = opt('sentence_bert_config.json');
  if (maxSeq > 0) sentenceBert = JSON.stringify({ ...JSON.parse(sentenceBert || '{}'), max_seq_length: maxSeq });
  return { config: opt('config.json'), modules: opt('modules.json'), pooling: opt(path.join(poolingDir, 'config.json')),
    sentenceBert, tokenizer: opt('tokenizer.json'), vocab: opt('vocab.txt'), tokenizerConfig: opt('tokenizer_config.json'),
    safetensors: new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))), origin: dir };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: `usage: ${e.message}` }) + '\n');
    process.exit(2);
  }
  const result = { engine: args.backend === 'cpu' ? 'gpuembed-wasm-cpu' : 'gpuembed-webgpu', ok: false, precision: args.precision,
    threads: args.backend === 'cpu' ? args.threads : null,
    threads_note: args.backend !== 'cpu' ? 'not applicable (GPU)' : args.threads === 1 ? 'single-threaded module gpuembed.mjs'
      : `threaded module gpuembed-mt.mjs, ${args.threads - 1} pool worker(s) + the calling thread`,
    model: path.relative(REPO, args.model) || args.model,
    api: args.api === 'js' ? 'js/gpuembed.mjs (GpuEmbedder: create, loadModel(files), embedBatchFlat)'
      : 'src/wasm/core.mjs (GpuEmbedCore/CoreModel)',
    versions: { node: process.version },
    host: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, platform: `${process.platform}-${process.arch}`,
      nice: os.getPriority(), autogroup: readTrim('/proc/self/autogroup'), loadavg_1m_at_start: r3(os.loadavg()[0]) } };
  try {
    const base = (args.threads > 1 ? 'gpuembed-mt' : 'gpuembed') + (args.simd === 'relaxed' ? '-relaxed' : '');
    const simd = args.simd === 'relaxed' ? 'relaxed-simd' : 'simd128';  // what core.simd / e.simd must say
    const wasmJs = path.join(args.wasmBuild, `${base}.mjs`);
    result.wasm = { module: `${base}.mjs`, mjs_bytes: fs.statSync(wasmJs).size, wasm_bytes: fs.statSync(path.join(args.wasmBuild, `${base}.wasm`)).size,
      wasm_mtime: fs.statSync(path.join(args.wasmBuild, `${base}.wasm`)).mtime.toISOString() };
    const doc = JSON.parse(fs.readFileSync(args.inputs, 'utf8'));
    result.inputs = path.relative(REPO, args.inputs) || args.inputs;
    const maxCaseSeq = Math.max(...args.caseSpecs.map((s) => doc.cases[s.name].tokens_per_text));
    const maxSeq = args.maxSeq || (maxCaseSeq > 256 ? maxCaseSeq : 0);
    const maxBatch = args.maxBatch || Math.max(32, ...args.caseSpecs.map((s) => doc.cases[s.name].texts.length));
    result.load_options = { max_batch: maxBatch, max_seq_length_override: maxSeq || null };

    const tr0 = performance.now();
    const files = readModelFiles(args.model, maxSeq);
    result.read_ms = r3(performance.now() - tr0);

    let gpu = null;
    if (args.backend === 'webgpu') {
      process.env.XDG_RUNTIME_DIR ||= '/tmp';
      const g0 = performance.now();
      const spec = args.webgpuDir ? pathToFileURL(path.join(args.webgpuDir, 'index.js')).href : 'webgpu';
      const webgpu = await import(spec);
      Object.assign(globalThis, webgpu.globals);
      gpu = webgpu.create(args.toggles ? args.toggles.split(',').map((t) => `enable-dawn-features=${t}`) : []);
      result.gpu_instance_ms = r3(performance.now() - g0);
      result.versions.webgpu = JSON.parse(fs.readFileSync(path.join(args.webgpuDir || path.join(REPO, 'node_modules', 'webgpu'), 'package.json'), 'utf8')).version;
    }

    const ti0 = performance.now();
    const factory = args.api === 'core' ? (await import(pathToFileURL(wasmJs).href)).default : null;
    const { GpuEmbedCore } = await import(pathToFileURL(path.join(REPO, 'src', 'wasm', 'core.mjs')).href);
    const { GpuEmbedder } = args.api === 'js' ? await import(pathToFileURL(path.join(REPO, 'js', 'gpuembed.mjs')).href) : {};
    result.import_ms = r3(performance.now() - ti0);

    const cb0 = machineBusyMs(), cc0 = process.cpuUsage();
    let t0, t1, t2, t3, model;
    if (args.api === 'core') {
      t0 = performance.now();
      const core = await GpuEmbedCore.create(factory, { ...(gpu ? { gpu } : {}), threads: args.threads });
      if (core.threads !== args.threads) throw new Error(`the module runs ${core.threads} threads, not ${args.threads}`);
      if (args.backend === 'cpu' && core.simd !== simd) throw new Error(`the module runs ${core.simd}, not ${simd}`);
      result.simd = core.simd;
      t1 = performance.now();
      const m = core.loadModel(files, { maxBatch, cpuPrecision: args.precision });
      t2 = performance.now();
      if (gpu) result.adapter = await m.initGpu();
      t3 = performance.now();
      model = { embed: gpu ? (t) => m.embedGpu(t) : async (t) => m.embedCpu(t), tokenize: (t) => m.tokenize(t),
        dimension: m.dimension, info: m.info, stats: gpu ? () => m.gpuStats() : null };
    } else {
      t0 = performance.now();
      const e = await GpuEmbedder.create({ backend: args.backend, ...(gpu ? { gpu } : {}), threads: args.threads,
        precision: args.precision,
        moduleUrl: pathToFileURL(path.join(args.wasmBuild, 'gpuembed.mjs')),
        threadedModuleUrl: pathToFileURL(path.join(args.wasmBuild, 'gpuembed-mt.mjs')),
        relaxedSimd: args.simd === 'relaxed',
        relaxedModuleUrl: pathToFileURL(path.join(args.wasmBuild, 'gpuembed-relaxed.mjs')),
        threadedRelaxedModuleUrl: pathToFileURL(path.join(args.wasmBuild, 'gpuembed-mt-relaxed.mjs')) });
      if (args.backend === 'cpu' && e.threads !== args.threads) throw new Error(`GpuEmbedder runs ${e.threads} threads, not ${args.threads}`);
      if (args.backend === 'cpu' && e.simd !== simd) throw new Error(`GpuEmbedder runs ${e.simd}, not ${simd}`);
      result.simd = e.simd;
      t1 = performance.now();
      t2 = t1;
      const info = await e.loadModel(files, { maxBatch });
      t3 = performance.now();
      if (e.backend !== args.backend) throw new Error(`GpuEmbedder runs on ${e.backend}, not ${args.backend}`);
      if (gpu) result.adapter = info.adapter;
      model = { embed: (t) => e.embedBatchFlat(t), tokenize: (t) => e.tokenize(t), dimension: e.dimension, info, stats: null };
    }
    const embed = model.embed;
    const first = await embed([SHORT_TEXT]);
    const t4 = performance.now();
    const cc = process.cpuUsage(cc0);
    result.cold = { create_ms: r3(t3 - t0), first_embed_ms: r3(t4 - t3), total_ms: r3(t4 - t0),
      parts_ms: args.api === 'core' ? { instantiate: r3(t1 - t0), load_model: r3(t2 - t1), init_gpu: gpu ? r3(t3 - t2) : null }
        : { create: r3(t1 - t0), load_model_and_init: r3(t3 - t1) },
      other_cpu_util: cb0 === null ? null : r3(Math.max(0, machineBusyMs() - cb0 - (cc.user + cc.system) / 1000) / (t4 - t0)),
      note: 'fresh process, model bytes already in memory (read_ms apart); create = WASM instantiate + loadModel' +
        (gpu ? ' + initGpu (adapter, device, weight upload, pipelines)' : '') + '; first embed = the short sentence' };
    result.model_info = model.info;
    if (model.stats) { try { result.gpu_stats = model.stats(); } catch { /* older module */ } }
    if (first.length !== model.dimension) throw new Error(`first embed gave ${first.length} values, want ${model.dimension}`);
    log(`${result.engine}: cold ${result.cold.create_ms} + ${result.cold.first_embed_ms} ms`);

    result.cases = {};
    for (const spec of args.caseSpecs) {
      const c = doc.cases[spec.name];
      const texts = c.texts;
      const ids = texts.map((t) => Array.from(model.tokenize(t)));
      const entry = { batch: texts.length, tokens_per_text: c.tokens_per_text, warmup: spec.warmup, repeats: spec.repeats };
      entry.tokenizer_lengths_ok = ids.every((r) => r.length === c.tokens_per_text);
      if (c.ids_hash) entry.ids_hash_ok = idsHash(ids) === c.ids_hash;
      if (args.waitIdle > 0) entry.wait_idle = await waitIdle(args.waitIdle);
      for (let i = 0; i < spec.warmup; i++) await embed(texts);
      const wall = [];
      let out = null;
      const busy0 = machineBusyMs(), cpu0 = process.cpuUsage(), w0 = performance.now();
      for (let i = 0; i < spec.repeats; i++) {
        const a = performance.now();
        out = await embed(texts);
        wall.push(performance.now() - a);
        // --max-time-s: stop early (after >= 3 timed calls) when a case is slower than planned; the count is reported
        if (args.maxTimeS > 0 && i >= 2 && performance.now() - w0 > args.maxTimeS * 1000) break;
      }
      entry.repeats_done = wall.length;
      const wallTotal = performance.now() - w0;
      const cpu = process.cpuUsage(cpu0);
      const busy1 = machineBusyMs();
      let normErr = 0;
      for (let b = 0; b < texts.length; b++) {
        let ss = 0;
        for (let j = 0; j < model.dimension; j++) ss += out[b * model.dimension + j] ** 2;
        normErr = Math.max(normErr, Math.abs(Math.sqrt(ss) - 1));
      }
      Object.assign(entry, {
        median_ms: r3(median(wall)), min_ms: r3(Math.min(...wall)), mean_ms: r3(wall.reduce((p, q) => p + q, 0) / wall.length),
        max_ms: r3(Math.max(...wall)), tokens_per_s: Math.round((texts.length * c.tokens_per_text) / (median(wall) / 1000)),
        cpu_util: r3((cpu.user + cpu.system) / 1000 / wallTotal),
        other_cpu_util: busy0 === null ? null : r3(Math.max(0, busy1 - busy0 - (cpu.user + cpu.system) / 1000) / wallTotal),
        output_dims: [texts.length, out.length / texts.length], max_unit_norm_error: normErr, runs_ms: wall.map(r3) });
      result.cases[spec.name] = entry;
      log(`${result.engine} ${spec.name}: median ${entry.median_ms} ms (min ${entry.min_ms}, cpu ${entry.cpu_util}x, others ${entry.other_cpu_util}x)`);
    }
    if (args.golden > 0) result.golden = await goldenCheck(model, embed, args.golden);
    result.ok = true;
  } catch (e) {
    result.error = `${e.code ? e.code + ' ' : ''}${String(e?.message ?? e).trim()}`;
    log(`ERROR ${result.error}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  setImmediate(() => process.exit(0)); // Dawn keeps Node alive otherwise
}

async function goldenCheck(model, embed, n) {
  const dir = process.env.GPUEMBED_SHARED_DIR || path.join(REPO, '..', 'shared');
  const file = path.join(dir, 'golden', 'minilm-l6-random.shared.json');
  if (!fs.existsSync(file)) return { error: `golden file not found: ${file}` };
  const g = JSON.parse(fs.readFileSync(file, 'utf8'));
  const sents = g.sentences.slice(0, n);
  let idsMatch = 0;
  for (const s of sents) {
    const ids = Array.from(model.tokenize(s.text));
    if (ids.length === s.input_ids.length && ids.every((v, i) => v === s.input_ids[i])) idsMatch++;
  }
  const errOf = (got) => {
    let maxAbs = 0, minCos = 1;
    sents.forEach((s, i) => {
      let dot = 0;
      s.embedding.forEach((v, j) => {
        const x = got[i * g.dim + j];
        maxAbs = Number.isFinite(x) ? Math.max(maxAbs, Math.abs(x - v)) : Infinity;
        dot += x * v;
      });
      minCos = Math.min(minCos, dot);
    });
    return { max_abs_err: maxAbs, min_cosine: minCos };
  };
  const batched = errOf(await embed(sents.map((s) => s.text)));
  const single = new Float32Array(sents.length * g.dim);
  for (let i = 0; i < sents.length; i++) single.set(await embed([sents[i].text]), i * g.dim);
  const one = errOf(single);
  // golden README: float32 within 1e-4 absolute per component (minilm-l6-random)
  return { file: 'golden/minilm-l6-random.shared.json', sentences: sents.length, ids_match: idsMatch,
    batched, one_at_a_time: one, tolerance: 1e-4,
    pass: idsMatch === sents.length && batched.max_abs_err <= 1e-4 && one.max_abs_err <= 1e-4 };
}

await main();
