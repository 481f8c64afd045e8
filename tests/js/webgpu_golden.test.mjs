// The public JS API on WebGPU (Dawn from npm `webgpu` on a software Vulkan adapter) against tests/golden:
// the whole tiny-bert-cls set, concurrent calls and batch independence on the GPU, and a MiniLM subset. A text
// truncated at 256 tokens costs ~30 s on the software adapter and tests/wasm/webgpu_golden.test.mjs already runs one
// through the same C++ job driver in the default run, so here the truncated text (another one) runs with
// GPUEMBED_SLOW=1, together with the whole MiniLM set; by default 3 short MiniLM texts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { create, modelDir, readGolden, compareRows, timed, requireGpu, slow, maxDiff, exitWhenDone } from './helpers.mjs';

let gpu, driver;
const embedders = [];
before(async () => {
  const g = await requireGpu();
  gpu = g.gpu;
  driver = g.driver;
});
after(async () => { for (const e of embedders) await e.dispose(); });
exitWhenDone(after);

let tiny;
async function tinyEmbedder() {
  if (!tiny) {
    tiny = await create({ backend: 'auto', gpu });
    embedders.push(tiny);
    await timed('tiny-bert-cls: loadModel + WebGPU init', () => tiny.loadModel(modelDir('tiny-bert-cls')));
    console.log(`# WebGPU on ${driver}: ${tiny.modelInfo.adapter}`);
  }
  return tiny;
}

test('auto picks WebGPU when an adapter exists; tiny-bert-cls golden on WebGPU (all sentences)', async () => {
  const g = readGolden('tiny-bert-cls');
  const e = await tinyEmbedder();
  assert.equal(e.backend, 'webgpu');
  assert.equal(e.modelInfo.backend, 'webgpu');
  assert.equal(e.fallbackReason, null);
  assert.ok(e.memoryInfo().gpuWeightBytes > 17e6, 'the weights are in GPU buffers');
  const rows = await timed(`tiny-bert-cls: WebGPU embedBatch of ${g.sentences.length} sentences`,
                           () => e.embedBatch(g.sentences.map((s) => s.text)));
  assert.equal(e.backend, 'webgpu', 'still on WebGPU after the call');
  compareRows('tiny-bert-cls JS API WebGPU', rows, g.sentences);
});

test('concurrent calls (Promise.all) on WebGPU are queued and all answered correctly', async () => {
  const g = readGolden('tiny-bert-cls');
  const e = await tinyEmbedder();
  const S = g.sentences;
  const groups = [[0], [1, 2, 3], [4], [10, 11], [20, 21, 22, 23], [5]];
  const t0 = performance.now();
  const results = await Promise.all(groups.map((idx) => (idx.length === 1 && idx[0] % 2 === 0
    ? e.embed(S[idx[0]].text).then((v) => [v])
    : e.embedBatch(idx.map((i) => S[i].text)))));
  console.log(`# ${groups.length} concurrent calls: ${(performance.now() - t0).toFixed(0)} ms`);
  results.forEach((rows, k) => compareRows(`concurrent call ${k}`, rows, groups[k].map((i) => S[i])));
  // a failing call in the middle does not disturb the others
  const mixed = await Promise.allSettled([e.embed(S[6].text), e.embedBatch([S[7].text, 42]), e.embed(S[8].text)]);
  assert.equal(mixed[1].status, 'rejected');
  assert.equal(mixed[1].reason.code, 'INVALID_INPUT');
  compareRows('around a failing call', [mixed[0].value, mixed[2].value], [S[6], S[8]]);
});

test('batch independence and input order on WebGPU', async () => {
  const g = readGolden('tiny-bert-cls');
  const e = await tinyEmbedder();
  const texts = g.sentences.slice(30, 42).map((s) => s.text);
  const batched = await e.embedBatch(texts);
  const before = e.memoryInfo();
  for (const i of [0, 7, 11]) {
    const one = await e.embed(texts[i]);
    const d = maxDiff(one, batched[i]);
    assert.ok(d < 1e-5, `text ${i} alone vs in a batch of ${texts.length} differs by ${d}`);
  }
  const reversed = await e.embedBatch([...texts].reverse());
  texts.forEach((_, i) => assert.ok(maxDiff(reversed[texts.length - 1 - i], batched[i]) < 1e-5, `order: text ${i}`));
  assert.deepEqual(e.memoryInfo(), before, 'GPU/WASM memory grew across calls');
  assert.deepEqual(await e.embedBatch([]), []);
});

test(`minilm-l6-random golden on WebGPU (${slow ? 'all sentences + a text truncated at 256 tokens alone' : '3 short texts'})`, async () => {
  const g = readGolden('minilm-l6-random');
  const e = await create({ backend: 'webgpu', gpu });
  embedders.push(e);
  await timed('minilm-l6-random: loadModel + WebGPU init', () => e.loadModel(modelDir('minilm-l6-random')));
  assert.equal(e.backend, 'webgpu');
  const truncated = g.sentences.map((s, i) => i).filter((i) => g.sentences[i].input_ids.length === g.max_seq_length);
  assert.ok(truncated.length >= 2, 'the golden set has texts truncated at max_seq_length');
  const pick = slow ? [truncated[1], ...g.sentences.map((_, i) => i)] : [3, 24, 57];
  const sents = pick.map((i) => g.sentences[i]);
  const rows = [];
  if (slow) {  // the long one alone (one request of one 256-token text), then the whole set in one request
    rows.push(...await timed(`minilm WebGPU: 1 text of ${sents[0].input_ids.length} tokens`, () => e.embedBatch([sents[0].text])));
    rows.push(...await timed(`minilm WebGPU: ${sents.length - 1} texts`, () => e.embedBatch(sents.slice(1).map((s) => s.text))));
  } else {
    rows.push(...await timed(`minilm WebGPU: ${sents.length} short texts`, () => e.embedBatch(sents.map((s) => s.text))));
  }
  assert.equal(e.backend, 'webgpu');
  compareRows('minilm-l6-random JS API WebGPU', rows, sents);
  await e.dispose();
  assert.equal(e.backend, null);
  await assert.rejects(e.embed('x'), { code: 'MODEL_NOT_LOADED' });
});

test("auto picks WebGPU for every model family (no fallbackReason); a short text matches its golden", async () => {
  for (const name of ['xlmr-random', 'mpnet-random', 'nomic-random', 'modernbert-random', 'qwen3-random', 'gemma3-random']) {
    const g = readGolden(name);
    const e = await create({ backend: 'auto', gpu });
    try {
      await e.loadModel(modelDir(name));
      assert.equal(e.backend, 'webgpu', `${name}: auto fell back: ${e.fallbackReason}`);
      assert.equal(e.fallbackReason, null);
      compareRows(`${name} JS API auto (WebGPU)`, await e.embedBatch([g.sentences[3].text]), [g.sentences[3]]);
    } finally {
      await e.dispose();
    }
  }
});
