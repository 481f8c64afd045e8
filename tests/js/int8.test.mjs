// The public API's precision 'int8' (GpuEmbedder.create({ precision: 'int8' })): the CPU path's matmuls in int8
// (min cosine >= 0.999 to the fp32 golden), what runs (precision, requestedPrecision, precisionFallbackReason), and
// the option's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, modelDir, readGolden, GpuEmbedderError } from './helpers.mjs';

const cosine = (a, b) => {
  let dot = 0, a2 = 0, b2 = 0;
  for (let i = 0; i < a.length; ++i) { dot += a[i] * b[i]; a2 += a[i] * a[i]; b2 += b[i] * b[i]; }
  return dot / Math.sqrt(a2 * b2);
};

test("precision 'int8', backend cpu: int8 runs, min cosine >= 0.999 to the fp32 golden", async () => {
  const name = 'minilm-l6-random';
  const g = readGolden(name);
  {
    const e = await create({ backend: 'cpu', precision: 'int8', strictPrecision: true, threads: 1 });
    try {
      assert.equal(e.precision, null, 'no model loaded yet');
      assert.equal(e.requestedPrecision, 'int8');
      await e.loadModel(modelDir(name));
      assert.equal(e.precision, 'int8');
      assert.equal(e.precisionFallbackReason, null);
      const rows = await e.embedBatch(g.sentences.map((s) => s.text));
      const worst = Math.min(...rows.map((r, i) => cosine(r, g.sentences[i].embedding)));
      console.log(`# ${name} JS API int8 (${e.threads} thread(s)): min cosine to the fp32 golden ${worst.toFixed(6)}`);
      assert.ok(worst >= 0.999 && worst < 0.999999, `min cosine ${worst}`);
    } finally {
      await e.dispose();
    }
  }
});

test("precision 'int8': validation", async () => {
  await assert.rejects(create({ backend: 'cpu', precision: 'int4' }),
                       (e) => e instanceof GpuEmbedderError && e.code === 'INVALID_INPUT' && /'int8'/.test(e.message));
  await assert.rejects(create({ backend: 'auto', precision: 'int8', strictPrecision: true, gpu: null }),
                       (e) => e instanceof GpuEmbedderError && e.code === 'INVALID_INPUT' && /needs backend 'cpu'/.test(e.message));
  const e = await create({ backend: 'cpu', threads: 1 });
  try {
    await e.loadModel(modelDir('tiny-bert-cls'));
    assert.equal(e.precision, 'fp32');
    assert.equal(e.requestedPrecision, 'fp32');
  } finally {
    await e.dispose();
  }
});
