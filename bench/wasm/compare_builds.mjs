#!/usr/bin/env node
// Are two builds of a module bit-identical on the CPU path? embedCpu of every generated model (and the real
// all-MiniLM-L6-v2 where installed) on its golden sentences, in both builds, compared with Object.is per value: for a
// rewrite meant to keep the output as it was (a build of main in another checkout as the reference).
//   node [--experimental-wasm-relaxed-simd] bench/wasm/compare_builds.mjs REF_BUILD_DIR [NEW_BUILD_DIR] [MODULE]
//   NEW_BUILD_DIR: build-wasm; MODULE: gpuembed.mjs, or gpuembed-relaxed.mjs, gpuembed-mt.mjs ...
// Exits 1 if any model differs.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFamilyFiles, readGolden, modelsDir, requireModels, root } from '../../tests/wasm/env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';

const [refDir, newDir = path.join(root, 'build-wasm'), name = 'gpuembed.mjs'] = process.argv.slice(2);
if (!refDir) {
  console.error('usage: compare_builds.mjs REF_BUILD_DIR [NEW_BUILD_DIR] [MODULE]');
  process.exit(2);
}
requireModels();
const load = async (dir) => GpuEmbedCore.create((await import(pathToFileURL(path.resolve(dir, name)).href)).default);
const [ref, cur] = [await load(refDir), await load(newDir)];
const models = fs.readdirSync(modelsDir).filter((m) => /-random$|^tiny-bert-cls$|^all-MiniLM-L6-v2$/.test(m));
let differ = 0;
for (const m of models) {
  const texts = readGolden(m).sentences.map((s) => s.text);
  const files = readFamilyFiles(path.join(modelsDir, m));
  const [a, b] = [ref.loadModel(files), cur.loadModel(files)];
  const [ra, rb] = [a.embedCpu(texts), b.embedCpu(texts)];
  let same = ra.length === rb.length, diff = 0;
  for (let i = 0; i < ra.length; ++i) {
    if (!Object.is(ra[i], rb[i])) same = false;
    diff = Math.max(diff, Math.abs(ra[i] - rb[i]));
  }
  console.log(`${name} ${m}: ${texts.length} texts, ${same ? 'bit-identical' : `differ (max |diff| ${diff})`}`);
  if (!same) ++differ;
  a.free();
  b.free();
}
process.exit(differ ? 1 : 0);
