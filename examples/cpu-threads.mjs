// The WebAssembly CPU path on several threads: `threads` picks the threaded module (Node; in a browser only on a
// cross-origin isolated page, i.e. served with COOP/COEP, e.g. by `node demo/serve.mjs`) and e.threads says what runs.
// The vectors are the same on any thread count.
//   node examples/cpu-threads.mjs [MODEL_DIR]
import { GpuEmbedder } from 'gpuembed';
import { defaultModel } from './common.mjs';

const model = process.argv[2] || defaultModel;
const texts = Array.from({ length: 16 }, (_, i) => `Sentence number ${i} about bread, rivers and the weather.`);
const rows = [];
for (const threads of [1, 2]) {
  const e = await GpuEmbedder.create({ backend: 'cpu', threads });
  await e.loadModel(model);
  await e.embedBatchFlat(texts);  // warm-up: the first call also packs the weights for the CPU path
  const t0 = performance.now();
  rows.push(await e.embedBatchFlat(texts));
  console.log(`threads: asked ${threads}, running ${e.threads}${e.threadsFallbackReason ? ` (${e.threadsFallbackReason})` : ''}: ` +
              `${texts.length} texts in ${(performance.now() - t0).toFixed(0)} ms`);
  await e.dispose();
}
console.log(`same vectors on 1 and 2 threads: ${rows[0].every((x, i) => x === rows[1][i])}`);
