// GPU vector search (js/index.mjs over src/backend/webgpu/gpu_index.cpp: index_scores.wgsl + index_topk.wgsl) on the
// software WebGPU adapter. The GPU must return the same hits as the CPU VectorIndex, ids and scores alike, and as
// two brute forces written here: one that sums each score in the documented float32 order (same ids, same floats)
// and an independent float64 cosine (scores within 1e-5; ids equal unless the float64 scores are a near tie).
// Random corpora of 1,000 and 5,000 rows of 384, odd dimensions (1, 5, 6, 130), duplicated rows (ties), k from 1 to
// 256 (more than one merge round), k above the size, an empty index, add() after searches, batches larger than one
// submit, texts embedded on WebGPU, release of the GPU copy, and device loss (answered on the CPU, same hits).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { create, modelDir, readGolden, nodeGpu, countingGpu, heapTop, exitWhenDone } from './helpers.mjs';
import { loadModuleFactory } from '../wasm/env.mjs';
import { GpuEmbedCore, CoreGpuIndex } from '../../src/wasm/core.mjs';
import { VectorIndex } from '../../js/index.mjs';

let gpu = null, why = '', core = null;
before(async () => {
  const g = await nodeGpu();
  gpu = g.gpu;
  why = g.why;
  if (gpu) core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu });
});
exitWhenDone(after);

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

// count random rows [count * dim]; every 20th row repeats row i / 3 (exact ties: row 20 = row 6 = row 60, ...).
function corpus(seed, count, dim) {
  const rnd = lcg(seed), flat = new Float32Array(count * dim);
  for (let i = 0; i < count; ++i) {
    const src = Math.floor(i / 3);
    if (i >= 20 && i % 20 === 0) flat.copyWithin(i * dim, src * dim, (src + 1) * dim);
    else for (let d = 0; d < dim; ++d) flat[i * dim + d] = rnd();
  }
  return flat;
}

// What the index stores and searches with: x / max(fround(||x||), 1e-12) in float32.
function normalized(flat, dim) {
  const out = new Float32Array(flat.length);
  for (let at = 0; at < flat.length; at += dim) {
    let ss = 0;
    for (let d = 0; d < dim; ++d) ss += flat[at + d] * flat[at + d];
    const n = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
    for (let d = 0; d < dim; ++d) out[at + d] = flat[at + d] / n;
  }
  return out;
}

const byRank = (a, b) => b.score - a.score || a.id - b.id;

// Brute force in the documented float32 order: lane d % 4 sums its products in order, then (l0 + l1) + (l2 + l3).
function bruteF32(rows, dim, q, k) {
  const f = Math.fround, count = rows.length / dim, all = [];
  for (let id = 0; id < count; ++id) {
    const lane = [0, 0, 0, 0];
    for (let d = 0; d < dim; ++d) lane[d % 4] = f(lane[d % 4] + f(rows[id * dim + d] * q[d]));
    all.push({ id, score: f(f(lane[0] + lane[1]) + f(lane[2] + lane[3])) });
  }
  return all.sort(byRank).slice(0, k);
}

// Independent reference: float64 cosine of the raw vectors.
function bruteF64(raw, dim, q, k) {
  const count = raw.length / dim;
  let qq = 0;
  for (let d = 0; d < dim; ++d) qq += q[d] * q[d];
  const all = [];
  for (let id = 0; id < count; ++id) {
    let dot = 0, rr = 0;
    for (let d = 0; d < dim; ++d) {
      dot += raw[id * dim + d] * q[d];
      rr += raw[id * dim + d] * raw[id * dim + d];
    }
    all.push({ id, score: dot / Math.sqrt(rr * qq) });
  }
  return all.sort(byRank).slice(0, k);
}

// got vs the float64 reference: scores within 1e-5; a different id only where the two float64 scores are a near tie.
const f64Stats = { maxDiff: 0, nearTieSwaps: 0, hits: 0 };
function againstF64(label, got, want) {
  assert.equal(got.length, want.length, `${label}: ${got.length} hits, expected ${want.length}`);
  const wantScore = new Map(want.map((w) => [w.id, w.score]));
  got.forEach((h, i) => {
    const diff = Math.abs(h.score - want[i].score);
    f64Stats.maxDiff = Math.max(f64Stats.maxDiff, diff);
    f64Stats.hits++;
    assert.ok(diff <= 1e-5, `${label}: hit ${i} score ${h.score} vs float64 ${want[i].score}`);
    if (h.id !== want[i].id) {
      const other = wantScore.get(h.id);
      assert.ok(other !== undefined && Math.abs(other - want[i].score) <= 1e-6, `${label}: hit ${i} is id ${h.id}, float64 says ${want[i].id}`);
      f64Stats.nearTieSwaps++;
    }
  });
}

const asHits = (scores, ids, i, k) => Array.from({ length: k }, (_, j) => ({ id: ids[i * k + j], score: scores[i * k + j] }));

test('kernels: scores + top-k on the GPU = brute force, float32 order and float64 cosine', async (t) => {
  if (!gpu) return t.skip(why);
  const cases = [  // [count, dim, queries, ks]
    [1000, 384, 6, [1, 5, 100, 256]],
    [5000, 384, 4, [1, 5, 100, 256]],  // k = 256: three top-k rounds
    [777, 5, 8, [1, 100, 256]],
    [2500, 1, 3, [7, 256]],
    [1500, 130, 300, [5]],             // more queries than one submit takes
  ];
  for (const [count, dim, nq, ks] of cases) {
    const raw = corpus(count + dim, count, dim), rows = normalized(raw, dim);
    const qraw = corpus(7 * count + dim, nq, dim);
    qraw.set(raw.subarray(20 * dim, 21 * dim), 0);  // a query equal to a row that has a duplicate: score-1 tie
    const qs = normalized(qraw, dim);
    const g = await CoreGpuIndex.create(core, dim);
    g.add(rows.subarray(0, 400 * dim));
    g.add(rows.subarray(400 * dim));
    assert.equal(g.size, count);
    for (const k of ks) {
      const before = g.stats();
      const { scores, ids } = await g.search(qs, nq, k);
      const stats = g.stats();
      assert.equal(stats.submits - before.submits, Math.ceil(nq / 256), 'one submit (one readback) per batch of <= 256 queries');
      const checked = Math.min(nq, 12);  // the references are slow in JS; the first queries of the batch
      for (let i = 0; i < checked; ++i) {
        const q = qs.subarray(i * dim, (i + 1) * dim), got = asHits(scores, ids, i, k);
        assert.deepEqual(got, bruteF32(rows, dim, q, k), `${count}x${dim} k=${k} query ${i}: not the float32 brute force`);
        againstF64(`${count}x${dim} k=${k} query ${i}`, got, bruteF64(raw, dim, qraw.subarray(i * dim, (i + 1) * dim), k));
      }
      if (nq > checked) {  // the last query of the last submit
        const i = nq - 1;
        assert.deepEqual(asHits(scores, ids, i, k), bruteF32(rows, dim, qs.subarray(i * dim, (i + 1) * dim), k));
      }
    }
    const s = g.stats();
    console.log(`# ${count} x ${dim}: ${s.submits} submits, ${s.dispatches} dispatches, ${s.buffer_bytes} GPU bytes`);
    g.free();
  }
  const g = await CoreGpuIndex.create(core, 2);
  g.add(normalized(Float32Array.from([1, 0, 0, 1, 2, 0, 1, 0, -1, 0]), 2));
  assert.deepEqual(Array.from((await g.search(Float32Array.from([1, 0]), 1, 4)).ids), [0, 2, 3, 1], 'ties: lower id first');
  g.free();
  console.log(`# vs float64 cosine: ${f64Stats.hits} hits, max |score diff| ${f64Stats.maxDiff.toExponential(2)}, ` +
              `${f64Stats.nearTieSwaps} near-tie id swaps`);
});

test('kernels: bad arguments are errors; a destroyed device is DEVICE_LOST and a new index gets a new one', async (t) => {
  if (!gpu) return t.skip(why);
  const g = await CoreGpuIndex.create(core, 4);
  g.add(normalized(corpus(3, 10, 4), 4));
  await assert.rejects(g.search(new Float32Array(4), 1, 11), { code: 'INVALID_INPUT' });
  await assert.rejects(g.search(new Float32Array(4), 1, 0), { code: 'INVALID_INPUT' });
  await assert.rejects(g.search(new Float32Array(4), 1, 257), { code: 'INVALID_INPUT' });
  g.destroyDevice();
  await assert.rejects(g.search(new Float32Array([1, 0, 0, 0]), 1, 2), { code: 'DEVICE_LOST' });
  assert.equal(g.state(), -5);
  g.free();
  const again = await CoreGpuIndex.create(core, 4);
  again.add(normalized(Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0]), 4));
  assert.deepEqual(Array.from((await again.search(Float32Array.from([1, 0, 0, 0]), 1, 1)).ids), [1]);
  again.free();
});

test('kernels: create + add + search + free 12x leaves nothing on the WASM heap', async (t) => {
  if (!gpu) return t.skip(why);
  const rows = normalized(corpus(5, 3000, 16), 16), q = rows.slice(0, 16);
  let top2 = 0;
  for (let i = 0; i < 12; ++i) {
    const g = await CoreGpuIndex.create(core, 16);  // the last index freed its device: a new one each time
    g.add(rows);
    assert.equal((await g.search(q, 1, 50)).ids[0], 0);
    g.free();
    if (i === 1) top2 = heapTop(core.M);
  }
  // a destroyed device's loss hook is freed when the loss is reported (asynchronously): 256 B in all, as lifecycle
  const grew = heapTop(core.M) - top2;
  console.log(`# GPU index cycles: top of used WASM heap grew ${grew} B over 10 cycles`);
  assert.ok(grew <= 256, `the WASM heap grew ${grew} B over 10 GPU index create/free cycles`);
});

test('VectorIndex: GPU search = CPU search (same ids, same scores); add(), k > size, empty index, batches', async (t) => {
  if (!gpu) return t.skip(why);
  const embedder = { backend: 'webgpu' };  // the one thing the index asks of its embedder for vectors
  for (const [count, dim] of [[1000, 384], [5000, 384], [600, 6]]) {
    const raw = corpus(11 * count + dim, count, dim);
    const onGpu = new VectorIndex({ dimension: dim, embedder, gpuCore: core });
    const onCpu = new VectorIndex({ dimension: dim });
    const first = Math.floor(count * 0.6);
    for (const index of [onGpu, onCpu]) await index.add(raw.subarray(0, first * dim));
    const rnd = lcg(count);
    const queries = Array.from({ length: 5 }, () => Float32Array.from({ length: dim }, rnd));
    assert.deepEqual(await onGpu.searchBatch(queries, 10), await onCpu.searchBatch(queries, 10));
    assert.equal(onGpu.backend, 'webgpu');
    assert.equal(onCpu.backend, 'cpu');
    // add() after searches: the GPU copy is topped up; a query equal to a duplicated row ties at the top
    const rest = [];
    for (let i = first; i < count; ++i) rest.push(raw.slice(i * dim, (i + 1) * dim));
    for (const index of [onGpu, onCpu]) assert.deepEqual(await index.add(rest), rest.map((_, i) => first + i));
    queries.push(raw.slice(20 * dim, 21 * dim));
    const rows = normalized(raw, dim);
    for (const k of [1, 5, 100]) {
      const got = await onGpu.search(queries, k);  // an array of queries: one batch
      assert.equal(onGpu.backend, 'webgpu');
      assert.deepEqual(got, await onCpu.searchBatch(queries, k), `${count}x${dim} k=${k}: GPU and CPU differ`);
      got.forEach((hits, i) => {
        assert.deepEqual(hits, bruteF32(rows, dim, normalized(queries[i], dim), k));
        againstF64(`VectorIndex ${count}x${dim} k=${k} query ${i}`, hits, bruteF64(raw, dim, queries[i], k));
      });
      assert.deepEqual(await onGpu.search(queries[0], k), got[0], 'one query = the same query in a batch');
    }
    const top = await onGpu.search(queries[5], 3);
    assert.equal(top[0].score, top[1].score, 'the duplicated row ties with its copy');
    assert.ok(top[0].id < top[1].id);
    // k above 256 runs on the CPU; the hits are the same kind
    const wide = await onGpu.search(queries[0], 300);
    assert.equal(onGpu.backend, 'cpu');
    assert.deepEqual(wide, onCpu.searchVector(queries[0], 300));
    await onGpu.dispose();
  }

  const small = new VectorIndex({ dimension: 3, embedder, gpuCore: core });
  assert.deepEqual(await small.search([1, 2, 3], 5), [], 'empty index');
  assert.deepEqual(await small.searchBatch([[1, 2, 3], [3, 2, 1]], 5), [[], []]);
  assert.equal(small.backend, null, 'nothing searched yet');
  await small.add([[1, 0, 0], [0, 1, 0], [2, 0, 0], [1, 1, 0], [1, 0, 0]]);
  const all = await small.search([1, 0, 0], 50);  // k above the size: every row
  assert.equal(small.backend, 'webgpu');
  assert.deepEqual(all.map((h) => h.id), [0, 2, 4, 3, 1], 'ties: lower id first');
  assert.deepEqual(all, small.searchVector([1, 0, 0], 50));
  assert.deepEqual(await small.search([1, 0, 0], 0), []);
  await assert.rejects(small.search([1, 0, 0], -1), { code: 'INVALID_INPUT' });
  await assert.rejects(small.search([1, 0], 2), { code: 'INVALID_INPUT' });
  // concurrent searches are queued; each gets its own answer
  const qs = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [-1, 0, 0]];
  const res = await Promise.all(qs.map((q, i) => small.search(q, 1 + i)));
  res.forEach((hits, i) => assert.deepEqual(hits, small.searchVector(qs[i], 1 + i)));
  // the index follows its embedder's backend
  embedder.backend = 'cpu';
  assert.deepEqual(await small.search([0, 1, 0], 2), small.searchVector([0, 1, 0], 2));
  assert.equal(small.backend, 'cpu');
  embedder.backend = 'webgpu';
  await small.search([0, 1, 0], 2);
  assert.equal(small.backend, 'webgpu');
  assert.equal(small.fallbackReason, null);
  await small.dispose();
  await small.search([0, 1, 0], 2);
  assert.equal(small.backend, 'cpu', 'after dispose() the index searches on the CPU');
  console.log(`# vs float64 cosine (all tests so far): ${f64Stats.hits} hits, max |score diff| ` +
              `${f64Stats.maxDiff.toExponential(2)}, ${f64Stats.nearTieSwaps} near-tie id swaps`);
});

test('createIndex on a WebGPU embedder: texts searched on the GPU, same hits as the CPU; dispose frees the GPU copy', async (t) => {
  if (!gpu) return t.skip(why);
  const counting = countingGpu(gpu);
  const e = await create({ backend: 'webgpu', gpu: counting.gpu });
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'webgpu');
  const texts = readGolden('tiny-bert-cls').sentences.map((s) => s.text);
  const passages = texts.slice(0, 60), queries = texts.slice(60, 66);
  const index = await e.createIndex(passages);
  const onCpu = VectorIndex.load(index.save('f32'));  // the same rows, no GPU
  const liveBefore = counting.stats.live.size;
  const hits = await index.search(queries[0], 5);
  assert.equal(index.backend, 'webgpu');
  assert.equal(counting.stats.devices, 2, 'the model device and the search device');
  assert.ok(counting.stats.live.size > liveBefore, 'the rows are in GPU buffers');
  assert.deepEqual(hits, onCpu.searchVector(await e.embed(queries[0]), 5));
  const batch = await index.searchBatch(queries, 7);
  const vecs = await e.embedBatch(queries);
  batch.forEach((h, i) => assert.deepEqual(h, onCpu.searchVector(vecs[i], 7)));
  assert.deepEqual(await index.search(queries, 7), batch, 'search(array of texts) = searchBatch');
  const self = await index.search(passages[9], 1);
  assert.equal(self[0].id, 9);
  await index.add(['one more passage']);
  assert.equal((await index.search('one more passage', 1))[0].id, 60);
  await index.dispose();
  assert.equal(counting.stats.live.size, liveBefore, 'dispose() destroyed the search device and its buffers');
  assert.equal(counting.stats.devicesDestroyed, 1);
  assert.deepEqual(await index.search(queries[0], 5), hits);
  assert.equal(index.backend, 'cpu');
  await e.dispose();
});

test('device lost: searches in flight and later ones are answered on the CPU with the same hits', async (t) => {
  if (!gpu) return t.skip(why);
  const adapter = await gpu.requestAdapter();
  const device = await adapter.requestDevice({ requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  const e = await create({ backend: 'webgpu', device });  // handed in: the model and the index share it
  await e.loadModel(modelDir('tiny-bert-cls'));
  const dim = e.dimension, raw = corpus(99, 4000, dim);
  const index = await e.createIndex(raw);
  const onCpu = VectorIndex.load(index.save('f32'));
  const rnd = lcg(5);
  const queries = Array.from({ length: 256 }, () => Float32Array.from({ length: dim }, rnd));
  const want = queries.map((q) => onCpu.searchVector(q, 100));
  assert.deepEqual(await index.search(queries[0], 100), want[0]);
  assert.equal(index.backend, 'webgpu');

  let resolvedAt = 0;
  const pending = index.searchBatch(queries, 100).then((r) => { resolvedAt = performance.now(); return r; });
  await new Promise((r) => setTimeout(r, 30));
  const destroyedAt = performance.now();
  device.destroy();
  assert.deepEqual(await pending, want, 'the batch running when the device was destroyed');
  console.log(`# device destroyed ${resolvedAt ? (resolvedAt > destroyedAt ? 'while the batch ran' : 'after the batch') : '?'}; ` +
              `index.backend ${index.backend}, fallbackReason: ${index.fallbackReason}`);
  assert.deepEqual(await index.searchBatch(queries.slice(0, 8), 100), want.slice(0, 8));
  assert.equal(index.backend, 'cpu');
  await e.dispose();
});
