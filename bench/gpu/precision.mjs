#!/usr/bin/env node
// fp16 vs fp32 on our WebGPU path, in ONE process (run by bench_gpu.mjs --precision fp16, one process per case, or by
// hand): the same model on two devices, one initGpu({ precision: 'fp32' }), one initGpu({ precision: 'fp16' }), the
// same texts through both, timed in alternation (round r runs fp32 then fp16 on even r, fp16 then fp32 on odd r), so
// both see the same machine state. Prints one JSON object:
//   per case: median / min ms per precision, and how far fp16 is from fp32 on the case's own texts (min cosine over
//   rows, max abs difference); --golden: cosine and max abs error of both against ../shared/golden's MiniLM file, and
//   fp16 vs fp32 on those sentences.
//
//   node bench/gpu/precision.mjs --model DIR [--cases short:50,b256x128:10] [--golden N|all] [--warmup 2]
//        [--gpu-toggles vulkan_enable_f16_on_nvidia] [--webgpu-dir DIR] [--wasm-build DIR] [--inputs FILE]
//        [--subgroup-matrix] (the module option gpuembedSubgroupMatrix; needs the toggle allow_unsafe_apis too)
// NVIDIA's Vulkan driver hides 'shader-f16' unless Dawn's toggle vulkan_enable_f16_on_nvidia is on (bench_gpu.mjs
// passes it); without the feature the fp16 model runs fp32 and the JSON says so (fp16_ran false, the reason).
// Cases longer than the model's max_seq_length (the s512 ones) load it with max_seq_length 512; --golden then needs a
// process of its own (the golden file truncates at 256).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const a = { model: path.join(REPO, '.cache', 'models', 'minilm-l6-random'), cases: '', golden: 0, warmup: 2,
  toggles: '', webgpuDir: '', wasmBuild: process.env.GPUEMBED_WASM_BUILD || path.join(REPO, 'build-wasm'),
  inputs: path.join(REPO, 'bench', 'inputs.json') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = () => argv[++i];
  if (k === '--model') a.model = path.resolve(v());
  else if (k === '--cases') a.cases = v();
  else if (k === '--golden') { const g = v(); a.golden = g === 'all' ? 1e9 : +g; }
  else if (k === '--warmup') a.warmup = +v();
  else if (k === '--gpu-toggles') a.toggles = v();
  else if (k === '--subgroup-matrix') a.sgmat = true;
  else if (k === '--webgpu-dir') a.webgpuDir = path.resolve(v());
  else if (k === '--wasm-build') a.wasmBuild = path.resolve(v());
  else if (k === '--inputs') a.inputs = path.resolve(v());
  else { process.stdout.write(JSON.stringify({ ok: false, error: `usage: unknown argument ${k}` }) + '\n'); process.exit(2); }
}
const r3 = (x) => (x == null || !Number.isFinite(x) ? x : Math.round(x * 1000) / 1000);
const median = (xs) => { const s = [...xs].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const log = (...m) => process.stderr.write(`[precision] ${m.join(' ')}\n`);
const PRECISIONS = ['fp32', 'fp16'];

// Rows of `got` against rows of `ref` ([n * dim] each): min cosine and max abs difference.
function compare(got, ref, dim) {
  let minCos = 1, maxAbs = 0;
  for (let i = 0; i < got.length / dim; i++) {
    let dot = 0, g2 = 0, r2 = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      if (!Number.isFinite(got[j])) return { min_cosine: null, max_abs: Infinity, non_finite_row: i };
      dot += got[j] * ref[j];
      g2 += got[j] * got[j];
      r2 += ref[j] * ref[j];
      maxAbs = Math.max(maxAbs, Math.abs(got[j] - ref[j]));
    }
    minCos = Math.min(minCos, dot / Math.sqrt(g2 * r2));
  }
  return { min_cosine: minCos, max_abs: maxAbs };
}

const out = { ok: false, tool: 'bench/gpu/precision.mjs', model: a.model, toggles: a.toggles || null, cases: {} };
try {
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const webgpu = await import(a.webgpuDir ? pathToFileURL(path.join(a.webgpuDir, 'index.js')).href : 'webgpu');
  Object.assign(globalThis, webgpu.globals);
  // one flag: dawn.node keeps the last value of a repeated key
  const gpu = webgpu.create(a.toggles ? [`enable-dawn-features=${a.toggles}`] : []);
  const factory = (await import(pathToFileURL(path.join(a.wasmBuild, 'gpuembed.mjs')).href)).default;
  const { GpuEmbedCore } = await import(pathToFileURL(path.join(REPO, 'src', 'wasm', 'core.mjs')).href);
  const doc = JSON.parse(fs.readFileSync(a.inputs, 'utf8'));
  const specs = a.cases.split(',').filter(Boolean).map((s) => { const [name, r] = s.split(':'); return { name, reps: +(r || 5) }; });
  for (const s of specs) if (!doc.cases[s.name]) throw new Error(`unknown case ${s.name}`);
  const maxCaseSeq = Math.max(0, ...specs.map((s) => doc.cases[s.name].tokens_per_text));
  const maxBatch = Math.max(32, ...specs.map((s) => doc.cases[s.name].texts.length));
  const opt = (f) => (fs.existsSync(path.join(a.model, f)) ? fs.readFileSync(path.join(a.model, f), 'utf8') : '');
  let sentenceBert = opt('sentence_bert_config.json');
  const modelSeq = JSON.parse(sentenceBert || '{}').max_seq_length || 0;
  if (maxCaseSeq > modelSeq) {
    if (a.golden) throw new Error('--golden needs a process without cases longer than the model\'s max_seq_length');
    sentenceBert = JSON.stringify({ ...JSON.parse(sentenceBert || '{}'), max_seq_length: maxCaseSeq });
  }
  const files = { config: opt('config.json'), modules: opt('modules.json'), pooling: opt('1_Pooling/config.json'), sentenceBert,
    tokenizer: opt('tokenizer.json'), vocab: opt('vocab.txt'), tokenizerConfig: opt('tokenizer_config.json'),
    safetensors: new Uint8Array(fs.readFileSync(path.join(a.model, 'model.safetensors'))), origin: a.model };
  const core = await GpuEmbedCore.create(factory, { gpu, ...(a.sgmat ? { gpuembedSubgroupMatrix: true } : {}) });
  const models = {};
  out.precisions = {};
  for (const p of PRECISIONS) {
    const m = core.loadModel(files, { maxBatch });
    const t0 = performance.now();
    out.adapter = await m.initGpu({ precision: p });
    const st = m.gpuStats();
    out.precisions[p] = { ran: m.precision, note: m.precisionNote, init_ms: r3(performance.now() - t0), weight_bytes: st.weight_bytes,
      matmul_kernel: st.matmul_kernel };
    models[p] = m;
    log(`${p}: runs ${m.precision}${m.precisionNote ? ` (${m.precisionNote})` : ''}, weights ${st.weight_bytes} B, ` +
        `matmul ${st.matmul_kernel}`);
  }
  out.fp16_ran = out.precisions.fp16.ran === 'fp16';

  for (const s of specs) {
    const c = doc.cases[s.name];
    const texts = c.texts;
    const entry = { batch: texts.length, tokens_per_text: c.tokens_per_text, warmup: a.warmup, repeats: s.reps };
    const ids = models.fp32.tokenize(texts[0]);
    entry.tokenizer_length_ok = ids.length === c.tokens_per_text;
    for (const p of PRECISIONS) for (let i = 0; i < a.warmup; i++) await models[p].embedGpu(texts);
    const runs = { fp32: [], fp16: [] }, last = {};
    for (let r = 0; r < s.reps; r++) {
      for (const p of r % 2 ? [...PRECISIONS].reverse() : PRECISIONS) {
        const t = performance.now();
        last[p] = await models[p].embedGpu(texts);
        runs[p].push(performance.now() - t);
      }
    }
    for (const p of PRECISIONS) {
      entry[p] = { median_ms: r3(median(runs[p])), min_ms: r3(Math.min(...runs[p])), runs_ms: runs[p].map(r3) };
    }
    const d = compare(last.fp16, last.fp32, models.fp32.dimension);
    entry.fp16_vs_fp32 = { min_cosine: d.min_cosine, max_abs: d.max_abs };
    entry.speedup_fp16 = r3(entry.fp32.median_ms / entry.fp16.median_ms);
    out.cases[s.name] = entry;
    log(`${s.name}: fp32 ${entry.fp32.median_ms} ms, fp16 ${entry.fp16.median_ms} ms, fp16 vs fp32 min cosine ${d.min_cosine}`);
  }

  if (a.golden > 0) {
    const dir = process.env.GPUEMBED_SHARED_DIR || path.join(REPO, '..', 'shared');
    const g = JSON.parse(fs.readFileSync(path.join(dir, 'golden', 'minilm-l6-random.shared.json'), 'utf8'));
    const sents = g.sentences.slice(0, a.golden);
    const ref = Float32Array.from(sents.flatMap((s) => s.embedding));
    const got = {};
    out.golden = { file: 'golden/minilm-l6-random.shared.json', sentences: sents.length };
    for (const p of PRECISIONS) {
      got[p] = await models[p].embedGpu(sents.map((s) => s.text));
      const e = compare(got[p], ref, g.dim);
      out.golden[p] = { min_cosine: e.min_cosine, max_abs_err: e.max_abs };
    }
    const d = compare(got.fp16, got.fp32, g.dim);
    out.golden.fp16_vs_fp32 = { min_cosine: d.min_cosine, max_abs: d.max_abs };
    // the issue's bar for fp16 (cosine >= 0.9999 to golden); fp32 keeps the golden README's 1e-4 absolute
    out.golden.pass = out.golden.fp32.max_abs_err <= 1e-4 && (!out.fp16_ran || out.golden.fp16.min_cosine >= 0.9999);
    log(`golden ${sents.length}: fp32 ${JSON.stringify(out.golden.fp32)}, fp16 ${JSON.stringify(out.golden.fp16)}`);
  }
  for (const m of Object.values(models)) m.free();
  out.ok = true;
} catch (e) {
  out.error = `${e.code ? e.code + ' ' : ''}${String(e?.message ?? e).trim()}`;
  log(`ERROR ${out.error}`);
}
process.stdout.write(JSON.stringify(out) + '\n');
setImmediate(() => process.exit(0));  // Dawn keeps Node alive otherwise
