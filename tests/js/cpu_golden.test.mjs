// The public JS API on the WASM CPU path (backend 'cpu') against tests/golden: token ids identical and every
// sentence embedding within 1e-4 absolute, for both generated models (max error printed). The model is loaded from
// its folder (Node path) for one model and from an object of in-memory files for the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { create, modelDir, readGolden, compareRows, timed } from './helpers.mjs';

async function inMemoryFiles(dir) {
  const files = {};
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(r);
      else files[r] = r.endsWith('.safetensors') ? fs.readFileSync(path.join(dir, r)).buffer.slice(0)
                                                  : fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return files;
}

for (const [name, how] of [['tiny-bert-cls', 'folder'], ['minilm-l6-random', 'object']]) {
  test(`JS API, backend cpu: ${name} golden (all sentences, model from ${how === 'folder' ? 'a folder' : 'in-memory files'})`, async () => {
    const g = readGolden(name);
    const e = await create({ backend: 'cpu' });
    try {
      const source = how === 'folder' ? modelDir(name) : await inMemoryFiles(modelDir(name));
      const info = await timed(`${name}: loadModel`, () => e.loadModel(source));
      assert.equal(e.backend, 'cpu');
      assert.equal(info.backend, 'cpu');
      assert.equal(e.dimension, g.dim);
      assert.equal(info.maxSeqLength, g.max_seq_length);
      assert.equal(info.pooling, g.pooling_mode);
      assert.equal(info.normalize, g.normalize);
      let bad = 0;
      for (const s of g.sentences) {
        if (JSON.stringify(Array.from(e.tokenize(s.text))) !== JSON.stringify(s.input_ids)) ++bad;
      }
      assert.equal(bad, 0, `${bad} sentences tokenized differently from the golden ids`);
      const rows = await timed(`${name}: WASM CPU embedBatch of ${g.sentences.length} sentences`,
                               () => e.embedBatch(g.sentences.map((s) => s.text)));
      compareRows(`${name} JS API WASM CPU`, rows, g.sentences);
      const one = await e.embed(g.sentences[0].text);
      compareRows(`${name} JS API WASM CPU embed()`, [one], [g.sentences[0]]);
    } finally {
      await e.dispose();
    }
  });
}
