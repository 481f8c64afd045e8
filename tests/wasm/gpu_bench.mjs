// One measurement per process (the GPU machine's Dawn can abort at random; see ../shared/notes/gpu-device.md):
//   node tests/wasm/gpu_bench.mjs golden <model> [all|subset] [webgpu|cpu]   golden check, prints max errors
//   node tests/wasm/gpu_bench.mjs time <model> <batch> <seq> <reps> [webgpu|cpu]  warm timing of batch x seq tokens
//   node tests/wasm/gpu_bench.mjs short <model> <reps> [webgpu|cpu]       warm timing of one short sentence
// <model> is a folder name under .cache/models (or a path). Prints one line "RESULT {json}".
// GPUEMBED_VK=system uses the machine's Vulkan driver (the GPU machine); default: software (env.mjs).
import path from 'node:path';
import fs from 'node:fs';
import { nodeGpu, loadModuleFactory, readModelFiles, readGolden, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';

const [mode, modelArg, ...rest] = process.argv.slice(2);
const backend = rest.includes('cpu') ? 'cpu' : 'webgpu';
const modelDir = fs.existsSync(modelArg) ? modelArg : path.join(requireModels(), modelArg);
const name = path.basename(modelDir);
const result = { mode, model: name, backend };
const done = (code = 0) => {
  console.log('RESULT ' + JSON.stringify(result));
  setImmediate(() => process.exit(code));
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

try {
  const opts = {};
  if (backend === 'webgpu') {
    const g = await nodeGpu();
    if (!g.gpu) throw new Error(g.why);
    opts.gpu = g.gpu;
    result.driver = g.driver;
  }
  const t0 = performance.now();
  const core = await GpuEmbedCore.create(await loadModuleFactory(), opts);
  // golden: buckets of 32 texts (the default); timings: the whole batch in one forward pass
  const model = core.loadModel(readModelFiles(modelDir), { maxBatch: mode === 'golden' ? 32 : 256 });
  if (backend === 'webgpu') result.adapter = await model.initGpu();
  result.load_ms = +(performance.now() - t0).toFixed(1);
  const embed = (texts) => (backend === 'webgpu' ? model.embedGpu(texts) : Promise.resolve(model.embedCpu(texts)));

  if (mode === 'golden') {
    const g = readGolden(name);
    let sents = g.sentences;
    if ((rest[0] || 'all') === 'subset') {
      const long = sents.findIndex((s) => s.input_ids.length === g.max_seq_length);
      sents = [long, 0, 18, 24, 33, 42, 79].map((i) => g.sentences[i]);
    }
    let idsBad = 0;
    for (const s of sents) if (JSON.stringify(Array.from(model.tokenize(s.text))) !== JSON.stringify(s.input_ids)) ++idsBad;
    const t1 = performance.now();
    const got = await embed(sents.map((s) => s.text));
    result.embed_ms = +(performance.now() - t1).toFixed(1);
    let maxAbs = 0, maxRel = 0;
    sents.forEach((s, i) => {
      let d2 = 0, r2 = 0;
      s.embedding.forEach((v, j) => {
        const e = Math.abs(got[i * g.dim + j] - v);
        maxAbs = Number.isFinite(e) ? Math.max(maxAbs, e) : Infinity;
        d2 += e * e;
        r2 += v * v;
      });
      maxRel = Math.max(maxRel, Math.sqrt(d2 / r2));
    });
    Object.assign(result, { sentences: sents.length, ids_mismatch: idsBad, max_abs_err: maxAbs, max_rel_l2: maxRel,
                            pass: idsBad === 0 && maxAbs <= 1e-4 && maxRel <= 1e-4 });
    done(result.pass ? 0 : 1);
  } else if (mode === 'time' || mode === 'short') {
    let texts, reps;
    if (mode === 'short') {
      texts = ['The quick brown fox jumps over the lazy dog.'];
      reps = +(rest[0] || 20);
    } else {
      const [batch, seq] = [+rest[0], +rest[1]];
      reps = +(rest[2] || 5);
      // common words are one token each: seq - 2 of them give exactly seq ids with [CLS] and [SEP]; rows differ
      const words = ['word', 'text', 'time', 'house', 'water', 'light', 'music', 'table'];
      texts = Array.from({ length: batch }, (_, i) =>
        Array.from({ length: seq - 2 }, (_, j) => words[(i + j * 3) % words.length]).join(' '));
      const n = model.tokenize(texts[0]).length;
      result.tokens_per_text = n;
      if (n !== seq) throw new Error(`benchmark text has ${n} tokens, not ${seq}`);
    }
    result.batch = texts.length;
    await embed(texts);  // warm-up (pipelines, buffers)
    const times = [];
    for (let r = 0; r < reps; ++r) {
      const t1 = performance.now();
      await embed(texts);
      times.push(performance.now() - t1);
    }
    Object.assign(result, { reps, median_ms: +median(times).toFixed(2), min_ms: +Math.min(...times).toFixed(2),
                            texts_per_s: +(texts.length / (median(times) / 1000)).toFixed(1) });
    done(0);
  } else {
    throw new Error('usage: gpu_bench.mjs golden|time|short <model> ...');
  }
} catch (e) {
  result.error = `${e.code || ''} ${e.message}`.trim();
  done(2);
}
