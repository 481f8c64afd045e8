#!/usr/bin/env node
// Peer runner for gpuembed benchmarks: times a peer embedding engine on the shared inputs (bench/inputs.json)
// and prints ONE JSON object on stdout (progress/diagnostics go to stderr).
//
//   node bench/peer/run_peer.mjs --engine tjs-cpu|ort-web-wasm|tjs-webgpu [--threads N] [--model DIR]
//        [--cases short,b32x128,b256x128:2,s512x8,...] [--repeats R] [--warmup W] [--golden N] [--inputs FILE]
//        [--timeout-s S]
//
//   tjs-cpu-q8    the same with dtype 'q8' (onnx/model_quantized.onnx from bench/peer/quantize_q8.sh)
//   ort-web-wasm-q8  ort-web-wasm on onnx/model_quantized.onnx: what transformers.js runs in a browser for dtype 'q8'
//                 (its WASM default)
//   tjs-cpu       transformers.js pipeline('feature-extraction', device 'cpu', dtype fp32) = onnxruntime-node CPU EP,
//                 session_options {intraOpNumThreads: N, interOpNumThreads: 1}; {pooling:'mean', normalize:true}
//   ort-web-wasm  onnxruntime-web wasm backend in Node (env.wasm.numThreads = N) + transformers.js AutoTokenizer of the
//                 same folder + mean pooling / L2 normalize in JS (what transformers.js runs in a browser without WebGPU)
//   tjs-webgpu    transformers.js device 'webgpu' (onnxruntime-node's Dawn WebGPU EP), dtype fp32
//
// Per case: warm-up runs, then `repeats` timed end-to-end calls (texts in -> normalized vectors out, tokenizing and
// pooling included); reports median/min/mean/max ms, the median time spent inside the ONNX session.run ("model"),
// CPU utilisation (process CPU time / wall time over the timed runs: ~N when N threads are busy), and the tensor
// shape the ONNX session actually ran (batch x seq_len, and the non-padding tokens = attention-mask sum).
// Cold start = session creation (model load) + first embed of the `short` sentence, in a fresh process.
// The engine runs in a child process so that a native crash/abort becomes an error entry in the JSON.
// A case spec "name:R" overrides the repeats of that case. Exit code 0 also when the engine failed (see "ok").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { idsHash, machineBusyMs, median, r3, readTrim, waitIdle } from '../common.mjs';
import { buildCases, REPO_ROOT, SHARED_DIR, SHORT_TEXT, CASE_NAMES } from './inputs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENGINES = ['tjs-cpu', 'tjs-cpu-q8', 'ort-web-wasm', 'ort-web-wasm-q8', 'tjs-webgpu'];
// [warmup, repeats] defaults per case (keep whole runs short; the wasm peer is ~5x slower than tjs-cpu).
const DEFAULTS = {
  short: [3, 20],
  b32x128: [1, 5],
  b256x128: [1, 2],
  s512x1: [2, 10],
  s512x2: [1, 5],
  s512x4: [1, 5],
  s512x8: [1, 3],
  s512x16: [1, 2],
  s512x32: [1, 2],
};

function parseArgs(argv) {
  const a = { engine: null, threads: 2, model: path.join(REPO_ROOT, '.cache', 'peer-model'), cases: 'short,b32x128',
    repeats: null, warmup: null, golden: 10, inputs: path.join(REPO_ROOT, 'bench', 'inputs.json'), child: false,
    timeoutS: 1800, waitIdle: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${k}`);
      return argv[++i];
    };
    if (k === '--engine') a.engine = v();
    else if (k === '--threads') a.threads = parseInt(v(), 10);
    else if (k === '--model') a.model = path.resolve(v());
    else if (k === '--cases') a.cases = v();
    else if (k === '--repeats') a.repeats = parseInt(v(), 10);
    else if (k === '--warmup') a.warmup = parseInt(v(), 10);
    else if (k === '--golden') a.golden = parseInt(v(), 10);
    else if (k === '--inputs') a.inputs = path.resolve(v());
    else if (k === '--timeout-s') a.timeoutS = parseFloat(v());
    else if (k === '--wait-idle') a.waitIdle = parseFloat(v());
    else if (k === '--child') a.child = true;
    else if (k === '-h' || k === '--help') {
      process.stderr.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0] + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!ENGINES.includes(a.engine)) throw new Error(`--engine must be one of ${ENGINES.join(', ')}`);
  if (!(a.threads >= 1)) throw new Error('--threads must be >= 1');
  if (a.cases === 'all') a.cases = CASE_NAMES.join(',');
  a.caseSpecs = a.cases.split(',').filter(Boolean).map((s) => {
    const [name, r] = s.split(':');
    if (!CASE_NAMES.includes(name)) throw new Error(`unknown case ${name} (known: ${CASE_NAMES.join(', ')})`);
    const [dw, dr] = DEFAULTS[name];
    return { name, warmup: a.warmup ?? dw, repeats: r ? parseInt(r, 10) : a.repeats ?? dr };
  });
  return a;
}

const log = (...m) => process.stderr.write(`[run_peer] ${m.join(' ')}\n`);
const osThreads = () => {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
};
const pkgVersion = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};

function loadInputs(file) {
  if (fs.existsSync(file)) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { source: path.relative(REPO_ROOT, file), cases: doc.cases };
  }
  log(`WARNING: ${file} not found; building the inputs in memory (run: node bench/peer/inputs.mjs --write bench/inputs.json)`);
  const cases = buildCases();
  for (const c of Object.values(cases)) c.batch = c.texts.length;
  return { source: 'bench/peer/inputs.mjs (in memory; ids_hash not checked)', cases };
}

// Wrap an onnxruntime InferenceSession's run() to record the time spent in it and the shape actually fed.
function instrumentSession(session, rec) {
  const orig = session.run.bind(session);
  session.run = async (feeds, ...rest) => {
    const t0 = performance.now();
    const out = await orig(feeds, ...rest);
    rec.modelMs += performance.now() - t0;
    rec.calls += 1;
    rec.lastFeeds = feeds;
    return out;
  };
}
function shapeOfFeeds(feeds) {
  if (!feeds) return null;
  const ids = feeds.input_ids;
  const mask = feeds.attention_mask;
  let real = null;
  if (mask) {
    real = 0;
    for (const v of mask.data) real += Number(v);
  }
  return { batch: ids.dims[0], seq_len: ids.dims[1], padded_tokens: ids.dims[0] * ids.dims[1], real_tokens: real,
    inputs: Object.keys(feeds).sort() };
}

// ---------------------------------------------------------------- engines
// Each returns { embed(texts) -> Promise<{data: Float32Array, dims: [B, 384]}>, tokenize(text) -> number[],
//                rec (session instrumentation), info }
async function importTransformers() {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  return tjs;
}

async function makeTjs(args, device, dtype = 'fp32') {
  const tjs = await importTransformers();
  const sessionOptions = device === 'cpu' ? { intraOpNumThreads: args.threads, interOpNumThreads: 1 } : {};
  const pipe = await tjs.pipeline('feature-extraction', args.model, {
    device, dtype, local_files_only: true, session_options: sessionOptions,
  });
  const rec = { modelMs: 0, calls: 0, lastFeeds: null };
  for (const s of Object.values(pipe.model.sessions)) instrumentSession(s, rec);
  return {
    rec,
    info: {
      api: `pipeline('feature-extraction', dir, {device:'${device}', dtype:'${dtype}', local_files_only:true, session_options:${JSON.stringify(sessionOptions)}}); pipe(texts, {pooling:'mean', normalize:true})`,
      session_config: Object.values(pipe.model.sessions).map((s) => s.config),
    },
    tokenize: (t) => Array.from(pipe.tokenizer.encode(t)),
    embed: async (texts) => {
      const out = await pipe(texts, { pooling: 'mean', normalize: true });
      return { data: out.data, dims: out.dims };
    },
  };
}

async function makeOrtWebWasm(args, file = 'model.onnx') {
  const tjs = await importTransformers();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = args.threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const tok = await tjs.AutoTokenizer.from_pretrained(args.model, { local_files_only: true });
  const bytes = fs.readFileSync(path.join(args.model, 'onnx', file));
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const rec = { modelMs: 0, calls: 0, lastFeeds: null };
  instrumentSession(session, rec);
  const toOrt = (t) => new ort.Tensor('int64', t.data, t.dims);
  return {
    rec,
    info: {
      api: `onnxruntime-web (node build) on onnx/${file}: InferenceSession.create(bytes, {executionProviders:['wasm'], graphOptimizationLevel:'all'}), env.wasm.numThreads = N; AutoTokenizer(texts, {padding:true, truncation:true}); mean pooling + L2 normalize in JS`,
      session_inputs: session.inputNames,
    },
    tokenize: (t) => Array.from(tok.encode(t)),
    embed: async (texts) => {
      const enc = tok(texts, { padding: true, truncation: true });
      const [B, T] = enc.input_ids.dims;
      const feeds = { input_ids: toOrt(enc.input_ids), attention_mask: toOrt(enc.attention_mask) };
      if (session.inputNames.includes('token_type_ids'))
        feeds.token_type_ids = enc.token_type_ids ? toOrt(enc.token_type_ids) : new ort.Tensor('int64', new BigInt64Array(B * T), [B, T]);
      const out = await session.run(feeds);
      const h = out.last_hidden_state ?? out[session.outputNames[0]];
      const H = h.dims[2];
      const hd = h.data;
      const mask = enc.attention_mask.data;
      const res = new Float32Array(B * H);
      const acc = new Float64Array(H);
      for (let b = 0; b < B; b++) {
        acc.fill(0);
        let n = 0;
        for (let t = 0; t < T; t++) {
          if (!Number(mask[b * T + t])) continue;
          n++;
          const o = (b * T + t) * H;
          for (let j = 0; j < H; j++) acc[j] += hd[o + j];
        }
        let ss = 0;
        for (let j = 0; j < H; j++) {
          acc[j] /= Math.max(n, 1);
          ss += acc[j] * acc[j];
        }
        const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
        for (let j = 0; j < H; j++) res[b * H + j] = acc[j] * inv;
      }
      if (typeof h.dispose === 'function') h.dispose();
      return { data: res, dims: [B, H] };
    },
  };
}

// ---------------------------------------------------------------- child: measure
async function runChild(args) {
  const result = {
    engine: args.engine, ok: false, threads: args.threads, model: path.relative(REPO_ROOT, args.model) || args.model,
    versions: { node: process.version, '@huggingface/transformers': pkgVersion('@huggingface/transformers'),
      'onnxruntime-node': pkgVersion('onnxruntime-node'), 'onnxruntime-web': pkgVersion('onnxruntime-web') },
    host: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, platform: `${process.platform}-${process.arch}`,
      nice: os.getPriority(), autogroup: readTrim('/proc/self/autogroup'), loadavg_1m_at_start: r3(os.loadavg()[0]) },
  };
  if (args.engine !== 'tjs-webgpu') result.threads_note = args.engine.startsWith('tjs-cpu') ? 'onnxruntime-node intraOpNumThreads' : 'onnxruntime-web env.wasm.numThreads';
  else { result.threads_note = 'not applicable (GPU)'; }
  const emit = () => process.stdout.write(JSON.stringify(result) + '\n');
  try {
    if (!fs.existsSync(path.join(args.model, 'onnx', 'model.onnx')))
      throw new Error(`model folder ${args.model} lacks onnx/model.onnx (run bench/peer/prepare_model.sh)`);
    const inputs = loadInputs(args.inputs);
    result.inputs = inputs.source;

    const tImp0 = performance.now();
    await importTransformers();
    if (args.engine.startsWith('ort-web-wasm')) await import('onnxruntime-web');
    result.import_ms = r3(performance.now() - tImp0);

    const coldWait = args.waitIdle > 0 ? await waitIdle(args.waitIdle) : undefined;
    const cb0 = machineBusyMs(), cc0 = process.cpuUsage();
    const t0 = performance.now();
    const eng = args.engine === 'tjs-cpu' ? await makeTjs(args, 'cpu')
      : args.engine === 'tjs-cpu-q8' ? await makeTjs(args, 'cpu', 'q8')
      : args.engine === 'tjs-webgpu' ? await makeTjs(args, 'webgpu')
      : args.engine === 'ort-web-wasm-q8' ? await makeOrtWebWasm(args, 'model_quantized.onnx') : await makeOrtWebWasm(args);
    const t1 = performance.now();
    await eng.embed([SHORT_TEXT]);
    const t2 = performance.now();
    const cc = process.cpuUsage(cc0);
    result.cold = { create_ms: r3(t1 - t0), first_embed_ms: r3(t2 - t1), total_ms: r3(t2 - t0),
      other_cpu_util: cb0 === null ? null : r3(Math.max(0, machineBusyMs() - cb0 - (cc.user + cc.system) / 1000) / (t2 - t0)),
      ...(coldWait ? { wait_idle: coldWait } : {}),
      note: 'in a fresh process after the imports: create = model load + session creation; first embed = the short sentence' };
    result.engine_info = eng.info;
    result.os_threads_after_create = osThreads();
    log(`${args.engine}: cold ${result.cold.create_ms} + ${result.cold.first_embed_ms} ms`);

    result.cases = {};
    for (const spec of args.caseSpecs) {
      const c = inputs.cases[spec.name];
      const texts = c.texts;
      const ids = texts.map(eng.tokenize);
      const lens = ids.map((r) => r.length);
      const entry = { batch: texts.length, tokens_per_text: c.tokens_per_text, warmup: spec.warmup, repeats: spec.repeats };
      entry.tokenizer_lengths_ok = lens.every((n) => n === c.tokens_per_text);
      if (c.ids_hash) entry.ids_hash_ok = idsHash(ids) === c.ids_hash;
      if (args.waitIdle > 0) entry.wait_idle = await waitIdle(args.waitIdle);
      for (let i = 0; i < spec.warmup; i++) await eng.embed(texts);
      const wall = [];
      const model = [];
      let dims = null;
      const busy0 = machineBusyMs();
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      for (let i = 0; i < spec.repeats; i++) {
        eng.rec.modelMs = 0;
        const a = performance.now();
        const out = await eng.embed(texts);
        wall.push(performance.now() - a);
        model.push(eng.rec.modelMs);
        dims = out.dims;
      }
      const wallTotal = performance.now() - w0;
      const cpu = process.cpuUsage(cpu0);
      const busy1 = machineBusyMs();
      const ran = shapeOfFeeds(eng.rec.lastFeeds);
      Object.assign(entry, {
        median_ms: r3(median(wall)), min_ms: r3(Math.min(...wall)), mean_ms: r3(wall.reduce((p, q) => p + q, 0) / wall.length),
        max_ms: r3(Math.max(...wall)), model_median_ms: r3(median(model)),
        cpu_util: r3((cpu.user + cpu.system) / 1000 / wallTotal),
        other_cpu_util: busy0 === null ? null : r3(Math.max(0, busy1 - busy0 - (cpu.user + cpu.system) / 1000) / wallTotal),
        ran, output_dims: dims,
        tokens_ok: !!ran && ran.real_tokens === texts.length * c.tokens_per_text && ran.seq_len === c.tokens_per_text,
        runs_ms: wall.map(r3),
      });
      result.cases[spec.name] = entry;
      log(`${args.engine} ${spec.name}: median ${entry.median_ms} ms (min ${entry.min_ms}, model ${entry.model_median_ms}, cpu ${entry.cpu_util}x, others ${entry.other_cpu_util}x) ran ${ran?.batch}x${ran?.seq_len}`);
    }

    if (args.golden > 0) result.golden = await goldenCheck(eng, args.golden);
    result.ok = true;
  } catch (e) {
    result.error = String(e?.message ?? e).trim();
    if (args.engine === 'tjs-webgpu' && /adapter|webgpu|vulkan|dawn/i.test(result.error))
      result.error = `WebGPU not available on this machine (needs a GPU with a Vulkan driver and loader; see ../shared/notes/gpu-device.md): ${result.error}`;
    log(`${args.engine}: ERROR ${result.error}`);
  }
  emit();
}

async function goldenCheck(eng, n) {
  const file = path.join(SHARED_DIR, 'golden', 'minilm-l6-random.shared.json');
  if (!fs.existsSync(file)) return { error: `golden file not found: ${file}` };
  const g = JSON.parse(fs.readFileSync(file, 'utf8'));
  const sents = g.sentences.slice(0, n);
  let maxAll = 0, maxMatch = 0, idsMatch = 0;
  const per = [];
  for (const s of sents) {
    const ids = eng.tokenize(s.text);
    const same = ids.length === s.input_ids.length && ids.every((v, i) => v === s.input_ids[i]);
    const out = await eng.embed([s.text]);
    let d = 0;
    for (let j = 0; j < s.embedding.length; j++) d = Math.max(d, Math.abs(out.data[j] - s.embedding[j]));
    maxAll = Math.max(maxAll, d);
    if (same) { idsMatch++; maxMatch = Math.max(maxMatch, d); }
    per.push(Number(d.toExponential(2)));
  }
  return { file: 'golden/minilm-l6-random.shared.json', sentences: sents.length, ids_match: idsMatch,
    max_abs_diff: maxAll, max_abs_diff_where_ids_match: maxMatch, per_sentence: per,
    note: 'each sentence embedded alone; reference = sentence-transformers CPU fp32' };
}

// ---------------------------------------------------------------- parent: run the child, survive its crashes
async function runParent(args, argv) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv, '--child'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', errTail = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => {
    process.stderr.write(d);
    errTail = (errTail + d).slice(-4000);
  });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, args.timeoutS * 1000);
  const [code, signal] = await new Promise((res) => child.on('close', (c, s) => res([c, s])));
  clearTimeout(timer);
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  let obj = null;
  try { obj = line ? JSON.parse(line) : null; } catch { obj = null; }
  if (obj && code === 0) {
    process.stdout.write(JSON.stringify(obj) + '\n');
    return;
  }
  const why = timedOut ? `timed out after ${args.timeoutS} s` : `engine process exited with code ${code}${signal ? ` (signal ${signal})` : ''}`;
  const res = obj ?? { engine: args.engine, threads: args.threads };
  res.ok = false;
  res.error = res.error ? `${res.error}; ${why}` : `${why}; stderr tail: ${errTail.trim().split('\n').slice(-8).join(' | ')}`;
  process.stdout.write(JSON.stringify(res) + '\n');
}

const argv = process.argv.slice(2);
let args;
try {
  args = parseArgs(argv);
} catch (e) {
  process.stderr.write(`run_peer: ${e.message}\n`);
  process.exit(2);
}
if (args.child) await runChild(args);
else await runParent(args, argv);
