// The evaluation set of tests/eval (graded sentence pairs, queries over passages) and its sentence-transformers
// reference scores; checks and figures shared by the WASM CPU and WebGPU tests (the native ones: tests/eval_util.h).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './env.mjs';

const evalDir = path.join(root, 'tests', 'eval');

function readTsv(name, columns) {
  return fs.readFileSync(path.join(evalDir, name), 'utf8').split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const f = l.split('\t');
      assert.equal(f.length, columns, `${name}: a row without ${columns} fields: ${l}`);
      return f;
    });
}

export function evalSet(model) {
  const pairs = readTsv('pairs.tsv', 3).map(([g, a, b]) => ({ grade: Number(g), a, b }));
  const passages = readTsv('passages.tsv', 3).map(([id, , text]) => ({ id, text }));
  const queries = readTsv('queries.tsv', 2).map(([target, text]) => ({ target, text }));
  const reference = JSON.parse(fs.readFileSync(path.join(evalDir, `${model}.reference.json`), 'utf8'));
  return { pairs, passages, queries, reference };
}

export function cosine(x, y) {
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; ++i) { xy += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
  return xy / Math.max(Math.sqrt(xx * yy), 1e-30);
}

function ranks(x) {
  const order = x.map((_, i) => i).sort((i, j) => x[i] - x[j] || i - j);
  const r = new Array(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1]] === x[order[i]]) ++j;
    for (let k = i; k <= j; ++k) r[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

export function spearman(x, y) {
  const a = ranks(x), b = ranks(y);
  const mean = (v) => v.reduce((s, t) => s + t, 0) / v.length;
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; ++i) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

// Pairs the reference orders with a margin above `tie` that ours does not keep.
function orderViolations(ours, ref, tie) {
  let bad = 0;
  for (let i = 0; i < ref.length; ++i) for (let j = 0; j < ref.length; ++j) if (ref[i] > ref[j] + tie && !(ours[i] > ours[j])) ++bad;
  return bad;
}

const rows = (flat, dim) => Array.from({ length: flat.length / dim }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));

// embed(texts) -> Float32Array (n * dim). Scores equal to sentence-transformers' within 1e-4 in the same order
// (pairs closer than 2e-4 may swap), paraphrases above unrelated pairs, every query's passage in the top 3.
// Returns the figures reported in the README.
// Lower precisions (fp16): scoreTol null skips the 1e-4 comparison and `tie` widens the order check to their error.
export async function checkEval(label, ev, embed, dim, { scoreTol = 1e-4, tie = 2e-4 } = {}) {
  const ea = rows(await embed(ev.pairs.map((p) => p.a)), dim), eb = rows(await embed(ev.pairs.map((p) => p.b)), dim);
  const pairScores = ev.pairs.map((_, i) => cosine(ea[i], eb[i]));
  const refPairs = ev.reference.pair_scores;
  let maxDiff = Math.max(...pairScores.map((s, i) => Math.abs(s - refPairs[i])));
  const rho = spearman(pairScores, ev.pairs.map((p) => p.grade));
  const worstParaphrase = Math.min(...pairScores.filter((_, i) => ev.pairs[i].grade === 2));
  const bestUnrelated = Math.max(...pairScores.filter((_, i) => ev.pairs[i].grade === 0));
  let misordered = orderViolations(pairScores, refPairs, tie);

  const ep = rows(await embed(ev.passages.map((p) => p.text)), dim), eq = rows(await embed(ev.queries.map((q) => q.text)), dim);
  let at1 = 0, at3 = 0;
  const missed = [];
  ev.queries.forEach((q, qi) => {
    const scores = ep.map((p) => cosine(eq[qi], p));
    scores.forEach((s, pi) => { maxDiff = Math.max(maxDiff, Math.abs(s - ev.reference.query_scores[qi][pi])); });
    misordered += orderViolations(scores, ev.reference.query_scores[qi], tie);
    const target = ev.passages.findIndex((p) => p.id === q.target);
    assert.ok(target >= 0, `unknown passage id ${q.target}`);
    const rank = scores.filter((s, i) => i !== target && s >= scores[target]).length;
    if (rank < 1) ++at1;
    if (rank < 3) ++at3; else missed.push(`${q.text} -> ${q.target} at ${rank + 1}`);
  });
  // sentence-transformers' own figures on the same set (a subset has its own), from the reference scores
  const refRho = spearman(refPairs, ev.pairs.map((p) => p.grade));
  const refRank = ev.queries.map((q, qi) => {
    const r = ev.reference.query_scores[qi], t = ev.passages.findIndex((p) => p.id === q.target);
    return r.filter((x, i) => i !== t && x >= r[t]).length;
  });
  const n = ev.queries.length;
  const s = { spearman_pairs_vs_grades: refRho, recall_at_1: refRank.filter((r) => r < 1).length / n,
              recall_at_3: refRank.filter((r) => r < 3).length / n };
  const figures = { spearman: rho, recallAt1: at1 / n, recallAt3: at3 / n, maxDiff, misordered };
  console.log(`# ${label}: Spearman vs grades ${rho.toFixed(4)} (sentence-transformers ${s.spearman_pairs_vs_grades.toFixed(4)}), ` +
              `recall@1 ${(at1 / n).toFixed(2)} @3 ${(at3 / n).toFixed(2)} (ST ${s.recall_at_1.toFixed(2)} / ${s.recall_at_3.toFixed(2)}), ` +
              `max |score - ST| ${maxDiff.toExponential(3)}, out of ST's order (gap > ${tie}) ${misordered}, ` +
              `lowest paraphrase ${worstParaphrase.toFixed(3)} vs highest unrelated ${bestUnrelated.toFixed(3)}`);
  if (scoreTol !== null) assert.ok(maxDiff <= scoreTol, `${label}: a score differs from sentence-transformers' by ${maxDiff}`);
  assert.equal(misordered, 0, `${label}: ${misordered} pairs out of sentence-transformers' order`);
  assert.ok(worstParaphrase > bestUnrelated, `${label}: a paraphrase (${worstParaphrase}) scored below an unrelated pair (${bestUnrelated})`);
  assert.deepEqual(missed, [], `${label}: queries whose passage is not in the top 3`);
  return figures;
}

// A smaller evaluation set for slow adapters: the pairs at `pairIdx`, and the queries at `queryIdx` over their own
// passages plus, per query, the `hardest` other passages that sentence-transformers scores highest for it (the ones
// most likely to push a passage out of the top 3). The reference scores are sliced to match.
export function evalSubset(ev, { pairIdx, queryIdx, hardest = 2 }) {
  const keep = new Set();
  for (const qi of queryIdx) {
    const ref = ev.reference.query_scores[qi];
    const target = ev.passages.findIndex((p) => p.id === ev.queries[qi].target);
    keep.add(target);
    ref.map((s, i) => [s, i]).filter(([, i]) => i !== target).sort((x, y) => y[0] - x[0]).slice(0, hardest)
      .forEach(([, i]) => keep.add(i));
  }
  const pidx = [...keep].sort((a, b) => a - b);
  return {
    pairs: pairIdx.map((i) => ev.pairs[i]),
    passages: pidx.map((i) => ev.passages[i]),
    queries: queryIdx.map((i) => ev.queries[i]),
    reference: {
      summary: ev.reference.summary,
      pair_scores: pairIdx.map((i) => ev.reference.pair_scores[i]),
      query_scores: queryIdx.map((qi) => pidx.map((i) => ev.reference.query_scores[qi][i])),
    },
  };
}
