// Embeds a text file (one text per line) in batches with a progress line, writing JSON Lines.
//   node examples/batch-file.mjs [INPUT.txt] [OUTPUT.jsonl] [MODEL_DIR]
// Defaults: examples/data/passages.txt -> stdout.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuEmbedder } from 'gpuembed';
import { defaultModel, nodeGpu } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [input = path.join(here, 'data', 'passages.txt'), output, model = defaultModel] = process.argv.slice(2);
const texts = fs.readFileSync(input, 'utf8').split('\n').filter((l) => l.trim() !== '');

const e = await GpuEmbedder.create({ backend: 'auto', gpu: await nodeGpu() });
await e.loadModel(model, {
  onProgress: ({ file, loaded, total }) => {
    if (file === 'model.safetensors') process.stderr.write(`\rloading ${file}: ${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB`);
  },
});
process.stderr.write(`\nbackend: ${e.backend}, dimension ${e.dimension}\n`);

const out = output ? fs.createWriteStream(output) : process.stdout;
const BATCH = 64;
const t0 = performance.now();
for (let at = 0; at < texts.length; at += BATCH) {
  const chunk = texts.slice(at, at + BATCH);
  const vectors = await e.embedBatch(chunk);
  for (let i = 0; i < chunk.length; ++i) out.write(JSON.stringify({ text: chunk[i], embedding: Array.from(vectors[i]) }) + '\n');
  const done = at + chunk.length;
  process.stderr.write(`\rembedded ${done} / ${texts.length} (${((done / texts.length) * 100).toFixed(0)}%)`);
}
const s = (performance.now() - t0) / 1000;
process.stderr.write(`\ndone: ${texts.length} texts in ${s.toFixed(2)} s (${(texts.length / s).toFixed(1)} texts/s)${output ? ` -> ${output}` : ''}\n`);
if (output) await new Promise((r) => out.end(r));
await e.dispose();
process.exit(0);
