#!/usr/bin/env node
// On the GPU machine (bench/gpu/families_full.sh): the full-size family folders of `tools/gen_family_models.py --full`
// on our WebGPU path, one process per model: the reference sentences of bench/gpu/families_full_ref.py (max |error|
// against sentence-transformers' CPU float32), then the 32 texts of bench/inputs.json's b32x128 case end to end
// (texts in, normalized vectors out; warm-up 2, median of 7) next to the PyTorch CUDA time the reference file holds.
//   node bench/gpu/families_full.mjs DIR NAME      -> one JSON line
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeGpu, loadModuleFactory, readFamilyFiles, maxAbsDiff } from '../../tests/wasm/env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const [dir, name] = process.argv.slice(2);
const ref = JSON.parse(fs.readFileSync(path.join(dir, `${name}.ref.json`), 'utf8'));
const texts = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'inputs.json'), 'utf8')).cases.b32x128.texts;
const out = { model: name, ok: false };
try {
  const g = await nodeGpu();
  if (!g.gpu) throw new Error(g.why);
  const core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
  let t0 = performance.now();
  const m = core.loadModel(readFamilyFiles(path.join(dir, name)));
  out.adapter = await m.initGpu();
  out.load_ms = performance.now() - t0;
  const dim = m.dimension;
  const got = await m.embedGpu(ref.sentences);
  out.max_abs_error = Math.max(...ref.embeddings.map((e, i) => maxAbsDiff(got.subarray(i * dim, (i + 1) * dim), e)));
  out.sentences = ref.sentences.length;
  for (let i = 0; i < 2; i++) await m.embedGpu(texts);
  const runs = [];
  for (let i = 0; i < 7; i++) {
    t0 = performance.now();
    await m.embedGpu(texts);
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  out.ours_b32x128_ms = runs[3];
  out.torch_b32x128_ms = ref.torch_b32x128_ms;
  out.peer = ref.peer;
  out.ok = out.max_abs_error <= 1e-4;
} catch (e) {
  out.error = String(e?.message || e);
}
console.log(JSON.stringify(out));
setImmediate(() => process.exit(out.ok ? 0 : 1));  // Dawn keeps Node's event loop alive
