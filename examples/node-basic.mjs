// Basic embedding in Node: three sentences, their vectors and cosine similarities.
//   node examples/node-basic.mjs [MODEL_DIR]
import { GpuEmbedder } from 'gpuembed';
import { defaultModel, nodeGpu } from './common.mjs';

const e = await GpuEmbedder.create({ backend: 'auto', gpu: await nodeGpu() });
const info = await e.loadModel(process.argv[2] || defaultModel);
console.log(`model: ${info.source} (${info.numLayers} layers, dimension ${e.dimension}, ${info.pooling} pooling)`);
console.log(`backend: ${e.backend}${info.adapter ? ` on ${info.adapter}` : ''}${e.fallbackReason ? ` (${e.fallbackReason})` : ''}`);

const sentences = ['A man is eating food.', 'A man is eating a piece of bread.', 'The sky is blue today.'];
const t0 = performance.now();
const vectors = await e.embedBatch(sentences);
console.log(`embedded ${sentences.length} sentences in ${(performance.now() - t0).toFixed(0)} ms`);
const cos = (a, b) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; ++i) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};
sentences.forEach((s, i) => console.log(`[${i}] ${s}  ->  [${Array.from(vectors[i].slice(0, 4), (x) => x.toFixed(4)).join(', ')}, ...]`));
for (let i = 0; i < sentences.length; ++i) {
  for (let j = i + 1; j < sentences.length; ++j) console.log(`cosine(${i}, ${j}) = ${cos(vectors[i], vectors[j]).toFixed(4)}`);
}
await e.dispose();
process.exit(0);  // Dawn (npm webgpu) keeps Node's event loop alive
