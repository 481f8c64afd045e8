// Semantic search with a vector index: embed passages, search queries, save the index and load it back.
//   node examples/semantic-search.mjs [QUERY ...]
// (The default model has random weights: its rankings show the mechanics, not meaning. Set GPUEMBED_MODEL to a
// real all-MiniLM-L6-v2 folder for meaningful results.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuEmbedder } from 'gpuembed';
import { defaultModel, nodeGpu } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const passages = fs.readFileSync(path.join(here, 'data', 'passages.txt'), 'utf8').split('\n').filter(Boolean);
const queries = process.argv.slice(2).length ? process.argv.slice(2) : ['How do bees find flowers?', passages[5]];

const e = await GpuEmbedder.create({ backend: 'auto', gpu: await nodeGpu() });
await e.loadModel(defaultModel);
let t0 = performance.now();
const index = await e.createIndex(passages);
console.log(`indexed ${index.size} passages (dimension ${index.dimension}) on ${e.backend} in ${(performance.now() - t0).toFixed(0)} ms`);
for (const q of queries) {
  t0 = performance.now();
  const hits = await index.search(q, 3);
  console.log(`\nquery: ${q}   (${(performance.now() - t0).toFixed(1)} ms)`);
  for (const h of hits) console.log(`  ${h.score.toFixed(4)}  #${h.id}  ${passages[h.id]}`);
}
const file = path.join(os.tmpdir(), 'gpuembed-passages.gpeidx');
fs.writeFileSync(file, index.save('f16'));
const loaded = e.loadIndex(fs.readFileSync(file));
const again = await loaded.search(queries[0], 3);
console.log(`\nsaved ${file} (${fs.statSync(file).size} B, float16); reloaded top hit: #${again[0].id} (${again[0].score.toFixed(4)})`);
await e.dispose();
process.exit(0);
