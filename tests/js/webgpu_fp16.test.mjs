// The public API's precision option (GpuEmbedder.create({ precision: 'fp16' })) on WebGPU (Dawn from npm `webgpu`
// on lavapipe, whose adapter offers 'shader-f16'): what runs (precision, requestedPrecision,
// precisionFallbackReason), the fallback to fp32 on an adapter without 'shader-f16' (the real adapter behind a
// wrapper whose feature set lacks it), strictPrecision, option errors. The golden accuracy of the fp16 path is
// tests/wasm/webgpu_fp16.test.mjs's; here a few sentences check that the option reaches the GPU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { create, modelDir, readGolden, compareRows, requireGpu, adapterHasF16, exitWhenDone } from './helpers.mjs';
import { gpuWithout } from '../wasm/gpu_wrappers.mjs';

let gpu, driver, hasF16;
const embedders = [];
before(async () => {
  const g = await requireGpu();
  gpu = g.gpu;
  driver = g.driver;
  hasF16 = await adapterHasF16(g);
});
after(async () => { for (const e of embedders) await e.dispose(); });
exitWhenDone(after);
const needF16 = () => (hasF16 === false ? `the adapter of ${driver} has no 'shader-f16'` : false);

async function make(options) {
  const e = await create(options);
  embedders.push(e);
  return e;
}

function minCosine(rows, sentences) {
  let m = 1;
  rows.forEach((r, i) => {
    let dot = 0, a = 0, b = 0;
    r.forEach((x, j) => { const y = sentences[i].embedding[j]; dot += x * y; a += x * x; b += y * y; });
    m = Math.min(m, dot / Math.sqrt(a * b));
  });
  return m;
}

test("precision 'fp16' on an adapter with 'shader-f16': fp16 runs, weights take half the GPU memory", { skip: needF16() }, async () => {
  const g = readGolden('minilm-l6-random');
  const e = await make({ backend: 'auto', gpu, precision: 'fp16' });
  assert.equal(e.precision, null, 'no model loaded yet');
  assert.equal(e.requestedPrecision, 'fp16');
  await e.loadModel(modelDir('minilm-l6-random'));
  assert.equal(e.backend, 'webgpu');
  assert.equal(e.precision, 'fp16');
  assert.equal(e.precisionFallbackReason, null);
  const sents = [3, 24, 57].map((i) => g.sentences[i]);
  const cos = minCosine(await e.embedBatch(sents.map((s) => s.text)), sents);
  console.log(`# minilm JS API WebGPU fp16: ${sents.length} sentences, min cosine ${cos.toFixed(9)}`);
  assert.ok(cos >= 0.9999, `min cosine ${cos}`);
  const weights = e.memoryInfo().gpuWeightBytes;
  const e32 = await make({ backend: 'webgpu', gpu });
  await e32.loadModel(modelDir('minilm-l6-random'));
  assert.equal(e32.precision, 'fp32');
  assert.equal(e32.requestedPrecision, 'fp32');
  assert.equal(e32.precisionFallbackReason, null);
  const w32 = e32.memoryInfo().gpuWeightBytes;
  console.log(`# minilm GPU weights: fp16 ${weights} B, fp32 ${w32} B`);
  assert.ok(weights < 0.51 * w32, `fp16 weights ${weights} B vs fp32 ${w32} B`);
});

test("precision 'fp16', adapter without 'shader-f16': fp32 on WebGPU with the reason, golden within the fp32 tolerance", async () => {
  const g = readGolden('tiny-bert-cls');
  const e = await make({ backend: 'auto', gpu: gpuWithout(gpu, 'shader-f16'), precision: 'fp16' });
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'webgpu');
  assert.equal(e.precision, 'fp32');
  assert.equal(e.requestedPrecision, 'fp16');
  assert.match(e.precisionFallbackReason, /does not offer the 'shader-f16' feature/);
  assert.equal(e.fallbackReason, null, 'WebGPU itself did not fall back');
  compareRows('tiny JS API fp16 -> fp32 on WebGPU', await e.embedBatch(g.sentences.slice(0, 8).map((s) => s.text)),
              g.sentences.slice(0, 8));
});

test("strictPrecision: fp16 or loadModel() fails with WEBGPU_UNAVAILABLE (fp16_unavailable)", async () => {
  const e = await make({ backend: 'webgpu', gpu: gpuWithout(gpu, 'shader-f16'), precision: 'fp16', strictPrecision: true });
  await assert.rejects(e.loadModel(modelDir('tiny-bert-cls')), (err) => {
    assert.equal(err.code, 'WEBGPU_UNAVAILABLE');
    assert.equal(err.detail, 'fp16_unavailable');
    assert.match(err.message, /fp16 was required but is not available: .*shader-f16/);
    return true;
  });
  assert.equal(e.loaded, false);
  if (!needF16()) {
    const ok = await make({ backend: 'webgpu', gpu, precision: 'fp16', strictPrecision: true });
    await ok.loadModel(modelDir('tiny-bert-cls'));
    assert.equal(ok.precision, 'fp16');
  }
});

test('precision options: bad values are INVALID_INPUT; the CPU path runs fp32 and says so', async () => {
  await assert.rejects(create({ backend: 'cpu', precision: 'bf16' }), { code: 'INVALID_INPUT' });
  await assert.rejects(create({ backend: 'auto', gpu, precision: 'fp16', strictPrecision: true }),
                       (err) => err.code === 'INVALID_INPUT' && /needs backend 'webgpu'/.test(err.message));
  const e = await make({ backend: 'cpu', precision: 'fp16' });
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'cpu');
  assert.equal(e.precision, 'fp32');
  assert.match(e.precisionFallbackReason, /CPU path computes in fp32/);
});
