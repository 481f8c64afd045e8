// Error paths of the module's C exports as core.mjs reports them (codes for the JS API to map).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModuleFactory, readModelFiles, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';

let core, files;
before(async () => {
  core = await GpuEmbedCore.create(await loadModuleFactory());  // no GPU handed in, Node 20 has no navigator.gpu
  files = readModelFiles(path.join(requireModels(), 'tiny-bert-cls'));
});

test('no WebGPU: initGpu throws WEBGPU_UNAVAILABLE (no_webgpu), the CPU path works', async () => {
  const m = core.loadModel(files);
  try {
    await assert.rejects(m.initGpu(), (e) => e.code === 'WEBGPU_UNAVAILABLE' && e.detail === 'no_webgpu' && /navigator\.gpu/.test(e.message));
    await assert.rejects(m.embedGpu(['x']), { code: 'BACKEND_UNAVAILABLE' });
    assert.equal(m.embedCpu(['x']).length, m.dimension);
  } finally {
    m.free();
  }
});

test('broken safetensors -> MODEL_INVALID naming the file', () => {
  const bad = { ...files, safetensors: files.safetensors.slice(0, 1000) };
  assert.throws(() => core.loadModel(bad), (e) => e.code === 'MODEL_INVALID' && /safetensors/.test(e.message));
  const garbage = { ...files, safetensors: new Uint8Array(64).fill(0xff) };
  assert.throws(() => core.loadModel(garbage), { code: 'MODEL_INVALID' });
});

test('missing files -> MODEL_NOT_FOUND; malformed JSON -> MODEL_INVALID', () => {
  assert.throws(() => core.loadModel({ ...files, config: '' }), { code: 'MODEL_NOT_FOUND' });
  assert.throws(() => core.loadModel({ ...files, safetensors: new Uint8Array(0) }), { code: 'MODEL_NOT_FOUND' });
  assert.throws(() => core.loadModel({ ...files, tokenizer: '', vocab: '' }), { code: 'MODEL_NOT_FOUND' });
  assert.throws(() => core.loadModel({ ...files, config: '{"hidden_size": ' }), { code: 'MODEL_INVALID' });
});

test('models are independent; free + reload does not leak', () => {
  const a = core.loadModel(files);
  const v = a.embedCpu(['hello world']);
  a.free();
  const heap0 = core.M.HEAPU8.length;
  for (let i = 0; i < 3; ++i) {
    const m = core.loadModel(files);
    assert.deepEqual(m.embedCpu(['hello world']), v);
    m.free();
  }
  assert.equal(core.M.HEAPU8.length, heap0, 'the heap grew across load/free cycles');
});

test('a tokenizer regex naming a Unicode property the module leaves out -> MODEL_INVALID naming it; kept ones load', () => {
  // tools/trim_onig_properties.py: scripts and binary properties are refused by name, never matched as empty sets.
  const withSplit = (pattern) => {
    const t = JSON.parse(files.tokenizer);
    t.pre_tokenizer = { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false };
    return { ...files, tokenizer: JSON.stringify(t) };
  };
  assert.throws(() => core.loadModel(withSplit('\\p{Han}+')),
                (e) => e.code === 'MODEL_INVALID' && /Han/.test(e.message) && /WebAssembly build keeps only/.test(e.message));
  const m = core.loadModel(withSplit("'s|'t| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+|\\p{Lu}|\\p{Extended_Pictographic}"));
  try {
    assert.ok(m.tokenize('Hello 42 worlds!').length > 2);
  } finally {
    m.free();
  }
});
