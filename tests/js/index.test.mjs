// Vector search of the JS API (js/index.mjs): exact cosine top-k against an independent float64 brute force,
// texts embedded by the model, add(), save/load in f32 and f16, and the same "GPEMBIDX" files as the C++
// gpuembed::Index: indexes written by the native CLI (`gpuembed search --save-index`) load here with the same
// vectors and answer the same hits, and indexes written here answer the CLI's queries the same (skipped with a
// note when the native CLI is not built).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, modelDir, readGolden, root, GpuEmbedderError } from './helpers.mjs';
import { VectorIndex } from '../../js/index.mjs';

const CLI = process.env.GPUEMBED_CLI || path.join(root, 'build', 'gpuembed');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpuembed-index-'));
let e, corpus, queries;
before(async () => {
  e = await create({ backend: 'cpu' });
  await e.loadModel(modelDir('minilm-l6-random'));
  const g = readGolden('minilm-l6-random');
  const short = g.sentences.filter((s) => s.input_ids.length <= 24 && !s.text.includes('\n'));
  corpus = short.slice(0, 24).map((s) => s.text);
  queries = [short[30].text, short[31].text, corpus[5]];
});
after(async () => {
  await e?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Independent reference: float64 cosine over the raw vectors, sorted by score then id.
function bruteForce(rows, q, k) {
  const norm = (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const nq = norm(q);
  return rows.map((r, id) => ({ id, score: r.reduce((a, x, j) => a + x * q[j], 0) / (norm(r) * nq) }))
    .sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

function sameHits(label, got, want, tol = 2e-6) {
  assert.equal(got.length, want.length, `${label}: ${got.length} hits, expected ${want.length}`);
  got.forEach((h, i) => {
    assert.ok(Math.abs(h.score - want[i].score) <= tol, `${label}: hit ${i} score ${h.score} vs ${want[i].score}`);
    // ids must agree unless two reference scores are within the tolerance (a tie)
    if (h.id !== want[i].id) {
      const other = want.find((w) => w.id === h.id);
      assert.ok(other && Math.abs(other.score - want[i].score) <= tol, `${label}: hit ${i} is id ${h.id}, expected ${want[i].id}`);
    }
  });
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

test('vectors: exact top-k against a float64 brute force; add(); ties by lower id; errors', async () => {
  const rnd = lcg(7), dim = 48;
  const rows = Array.from({ length: 700 }, () => Float32Array.from({ length: dim }, rnd));
  const index = new VectorIndex({ dimension: dim });
  assert.deepEqual(await index.add(rows.slice(0, 500)), Array.from({ length: 500 }, (_, i) => i));
  const flat = new Float32Array(200 * dim);
  rows.slice(500).forEach((r, i) => flat.set(r, i * dim));
  assert.deepEqual((await index.add(flat)).slice(0, 2), [500, 501]);
  assert.equal(index.size, 700);
  for (let t = 0; t < 10; ++t) {
    const q = Float32Array.from({ length: dim }, rnd);
    for (const k of [1, 5, 37]) sameHits(`random query ${t} k=${k}`, await index.search(q, k), bruteForce(rows, q, k));
  }
  assert.equal((await index.search(rows[0], 1000)).length, 700);
  assert.deepEqual(await index.search(rows[0], 0), []);
  const dup = new VectorIndex({ dimension: 2 });
  await dup.add([[1, 0], [0, 1], [2, 0], [1, 0]]);
  assert.deepEqual((await dup.search([1, 0], 3)).map((h) => h.id), [0, 2, 3], 'ties: lower id first');
  await assert.rejects(index.search(new Float32Array(3), 2), (err) => err instanceof GpuEmbedderError && err.code === 'INVALID_INPUT');
  await assert.rejects(index.add([new Float32Array(dim), new Float32Array(dim + 1)]), { code: 'INVALID_INPUT' });
  await assert.rejects(index.add(new Float32Array(dim + 1)), { code: 'INVALID_INPUT' });
  await assert.rejects(index.search('text without an embedder'), { code: 'MODEL_NOT_LOADED' });
});

test('texts: e.createIndex(texts) embeds with the model; search by text = search by its vector', async () => {
  const index = await e.createIndex(corpus);
  assert.equal(index.size, corpus.length);
  assert.equal(index.dimension, 384);
  const rows = await e.embedBatch(corpus);
  for (const q of queries) {
    const qv = await e.embed(q);
    const byText = await index.search(q, 5);
    sameHits(`query ${JSON.stringify(q.slice(0, 30))}`, byText, bruteForce(rows, qv, 5));
    assert.deepEqual(byText, index.searchVector(qv, 5));
  }
  const self = await index.search(corpus[5], 1);
  assert.equal(self[0].id, 5);
  assert.ok(Math.abs(self[0].score - 1) < 1e-6);
  const batch = await index.searchBatch(queries, 3);
  assert.deepEqual(batch[2], await index.search(queries[2], 3));
  assert.deepEqual(await index.add(['one more passage']), [corpus.length]);
});

test('save/load: "GPEMBIDX" v1 header; f32 exact, f16 within half precision; corrupt files rejected', async () => {
  const index = await e.createIndex(corpus);
  const f32 = index.save();
  const dv = new DataView(f32.buffer);
  assert.equal(new TextDecoder().decode(f32.subarray(0, 8)), 'GPEMBIDX');
  assert.deepEqual([dv.getUint32(8, true), dv.getUint32(12, true), dv.getBigUint64(16, true), dv.getBigUint64(24, true)],
                   [1, 0, BigInt(corpus.length), 384n]);
  assert.equal(f32.length, 32 + corpus.length * 384 * 4);
  const back = e.loadIndex(f32);
  for (let i = 0; i < corpus.length; ++i) assert.deepEqual(back.vector(i), index.vector(i));
  assert.deepEqual(await back.search(queries[0], 5), await index.search(queries[0], 5));
  const f16 = index.save('f16');
  assert.equal(new DataView(f16.buffer).getUint32(12, true), 1);
  assert.equal(f16.length, 32 + corpus.length * 384 * 2);
  const h = VectorIndex.load(f16);
  let maxErr = 0;
  for (let i = 0; i < corpus.length; ++i) {
    const a = h.vector(i), b = index.vector(i);
    for (let j = 0; j < 384; ++j) maxErr = Math.max(maxErr, Math.abs(a[j] - b[j]));
  }
  console.log(`# f16 index: max |err| ${maxErr.toExponential(3)} per component`);
  assert.ok(maxErr < 2 ** -11 * 0.5 + 1e-9, 'f16 rounding error above half an ulp at |x| < 1');
  // (float16 rounding corner cases: tests/index_test.cpp, Float16StorageRoundsToNearestEven)
  assert.throws(() => VectorIndex.load(f32.subarray(0, f32.length - 4)), { code: 'MODEL_INVALID' });
  assert.throws(() => VectorIndex.load(new Uint8Array(40)), { code: 'MODEL_INVALID' });
  const v2 = f32.slice();
  new DataView(v2.buffer).setUint32(8, 2, true);
  assert.throws(() => VectorIndex.load(v2), /version 2/);
});

test('the same files as the C++ gpuembed::Index (native CLI)', async (t) => {
  if (!fs.existsSync(CLI)) return t.skip(`native CLI ${CLI} not built (scripts/build.sh)`);
  const model = modelDir('minilm-l6-random');
  const corpusFile = path.join(tmp, 'corpus.txt');
  fs.writeFileSync(corpusFile, corpus.join('\n') + '\n');
  const cli = (...args) => execFileSync(CLI, ['search', '--model', model, ...args], { encoding: 'utf8', timeout: 120_000 })
    .trim().split('\n').map((l) => JSON.parse(l));
  const qargs = queries.flatMap((q) => ['-q', q]);
  const nativeHits = cli('--corpus', corpusFile, '-k', '5', '--save-index', path.join(tmp, 'c32.idx'), ...qargs);
  cli('--corpus', corpusFile, '-k', '1', '--save-index', path.join(tmp, 'c16.idx'), '--storage', 'f16', '-q', 'x');

  // C++ -> JS: same vectors (C++ embedded natively; here on the WASM CPU path), same hits
  const c32 = e.loadIndex(fs.readFileSync(path.join(tmp, 'c32.idx')));
  const mine = await e.createIndex(corpus);
  let maxErr = 0;
  for (let i = 0; i < corpus.length; ++i) {
    const a = c32.vector(i), b = mine.vector(i);
    for (let j = 0; j < a.length; ++j) maxErr = Math.max(maxErr, Math.abs(a[j] - b[j]));
  }
  console.log(`# C++ index vs JS index of the same corpus: max |err| ${maxErr.toExponential(3)}`);
  assert.ok(maxErr < 1e-5);
  for (const [qi, q] of queries.entries()) {
    const want = nativeHits[qi].hits.map(({ id, score }) => ({ id, score }));
    sameHits(`C++ hits vs JS hits on the C++ index, query ${qi}`, await c32.search(q, 5), want, 1e-5);
  }
  // f16: save() of an index read from a C++ file writes the C++ bytes
  const c16bytes = fs.readFileSync(path.join(tmp, 'c16.idx'));
  assert.ok(Buffer.from(c32.save('f16')).equals(c16bytes), 'JS f16 file differs from the C++ f16 file of the same vectors');
  assert.ok(Buffer.from(e.loadIndex(c16bytes).save('f16')).equals(c16bytes), 'f16 load/save is not byte-exact');
  assert.ok(Buffer.from(c32.save('f32')).equals(fs.readFileSync(path.join(tmp, 'c32.idx'))), 'f32 load/save is not byte-exact');

  // JS -> C++: the CLI answers from an index written here
  fs.writeFileSync(path.join(tmp, 'js16.idx'), mine.save('f16'));
  const fromJs = cli('--index', path.join(tmp, 'js16.idx'), '-k', '5', ...qargs);
  for (const [qi, q] of queries.entries()) {
    const js16 = e.loadIndex(fs.readFileSync(path.join(tmp, 'js16.idx')));
    sameHits(`CLI on the JS f16 index vs JS, query ${qi}`, fromJs[qi].hits.map(({ id, score }) => ({ id, score })),
             await js16.search(q, 5), 1e-5);
  }
});
