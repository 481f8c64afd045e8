// Golden comparison helpers shared by the CPU and WebGPU golden tests.
import assert from 'node:assert/strict';

// Compares rows [n * dim] with the golden sentences; returns {maxAbs, maxRelL2, worst}.
export function compareEmbeddings(label, got, sentences, dim, tol = 1e-4) {
  let maxAbs = 0, maxRel = 0, worst = -1;
  sentences.forEach((s, i) => {
    let d2 = 0, r2 = 0;
    for (let j = 0; j < dim; ++j) {
      const e = Math.abs(got[i * dim + j] - s.embedding[j]);
      if (!Number.isFinite(got[i * dim + j])) assert.fail(`${label}: sentence ${i} has a non-finite value`);
      if (e > maxAbs) { maxAbs = e; worst = i; }
      d2 += e * e;
      r2 += s.embedding[j] ** 2;
    }
    maxRel = Math.max(maxRel, Math.sqrt(d2 / Math.max(r2, 1e-30)));
  });
  console.log(`# ${label}: ${sentences.length} sentences, max |err| ${maxAbs.toExponential(3)} (sentence ${worst}), ` +
              `max rel L2 ${maxRel.toExponential(3)}`);
  assert.ok(maxAbs <= tol, `${label}: max abs error ${maxAbs} > ${tol} (sentence ${worst}: ${JSON.stringify(sentences[worst]?.text)})`);
  assert.ok(maxRel <= 1e-4, `${label}: relative L2 error ${maxRel} > 1e-4`);
  return { maxAbs, maxRel, worst };
}

export function compareIds(label, model, sentences) {
  let bad = 0;
  for (const [i, s] of sentences.entries()) {
    const ids = Array.from(model.tokenize(s.text));
    if (JSON.stringify(ids) !== JSON.stringify(s.input_ids)) {
      ++bad;
      console.log(`# ${label}: ids differ for sentence ${i} ${JSON.stringify(s.text.slice(0, 40))}`);
    }
  }
  assert.equal(bad, 0, `${label}: ${bad} sentences tokenized differently`);
}

export function compareMatrix(label, got, rows, tol = 1e-4) {
  const flat = rows.flat();
  assert.equal(got.length, flat.length, `${label}: ${got.length} values, golden has ${flat.length}`);
  let m = 0;
  for (let i = 0; i < flat.length; ++i) m = Math.max(m, Math.abs(got[i] - flat[i]));
  console.log(`# ${label}: max |err| ${m.toExponential(3)}`);
  assert.ok(m <= tol, `${label}: max abs error ${m} > ${tol}`);
  return m;
}

/** The WASM CPU path of a loaded model against its golden file: ids, every sentence's embedding, the token
 *  embeddings of the first two texts. */
export function checkCpuGolden(label, model, g) {
  assert.equal(model.dimension, g.dim);
  compareIds(`${label} ids`, model, g.sentences);
  const t0 = performance.now();
  const got = model.embedCpu(g.sentences.map((s) => s.text));
  console.log(`# ${label}: WASM CPU embedded ${g.sentences.length} sentences in ${(performance.now() - t0).toFixed(0)} ms`);
  compareEmbeddings(`${label} WASM CPU`, got, g.sentences, g.dim);
  for (const te of g.token_embeddings.slice(0, 2)) {
    compareMatrix(`${label} WASM CPU token_embeddings ${JSON.stringify(te.text.slice(0, 20))}`, model.hiddenCpu(te.text),
                  te.token_embeddings);
  }
}

// The fp16 bar: cosine >= 0.9999 to the golden embedding for every row. The cosine bar alone allows ~1.4e-2 relative
// L2 error (an error orthogonal to the embedding), and tiny-bert-cls's embeddings are all alike (cosine 0.97-0.999
// between different sentences, tests/golden/README.md), so the relative L2 error is bounded too: 1e-2, about 10x
// what lavapipe measures (8e-4 tiny, 1.1e-3 MiniLM).
export const MIN_COSINE = 0.9999;
const MAX_REL_L2 = 1e-2;
// Per row: cosine to the golden embedding (>= MIN_COSINE), relative L2 error (<= MAX_REL_L2), max abs error (printed).
export function compareCosine(label, got, sentences, dim, unit = 'sentence') {
  let minCos = 1, worst = -1, maxAbs = 0, maxRel = 0;
  sentences.forEach((s, i) => {
    let dot = 0, g2 = 0, r2 = 0, d2 = 0;
    for (let j = 0; j < dim; ++j) {
      const x = got[i * dim + j], y = s.embedding[j];
      assert.ok(Number.isFinite(x), `${label}: sentence ${i} has a non-finite value`);
      dot += x * y;
      g2 += x * x;
      r2 += y * y;
      d2 += (x - y) ** 2;
      maxAbs = Math.max(maxAbs, Math.abs(x - y));
    }
    const cos = dot / Math.sqrt(g2 * r2);
    if (cos < minCos) { minCos = cos; worst = i; }
    maxRel = Math.max(maxRel, Math.sqrt(d2 / r2));
  });
  console.log(`# ${label}: ${sentences.length} ${unit}s, min cosine ${minCos.toFixed(9)} (1 - cos = ` +
              `${(1 - minCos).toExponential(2)}, ${unit} ${worst}), max |err| ${maxAbs.toExponential(3)}, ` +
              `max rel L2 ${maxRel.toExponential(3)}`);
  assert.ok(minCos >= MIN_COSINE, `${label}: cosine ${minCos} < ${MIN_COSINE} (${unit} ${worst}: ` +
                                  `${JSON.stringify(sentences[worst]?.text.slice(0, 60))})`);
  assert.ok(maxRel <= MAX_REL_L2, `${label}: relative L2 error ${maxRel} > ${MAX_REL_L2}`);
  return { minCos, maxAbs, maxRel };
}

