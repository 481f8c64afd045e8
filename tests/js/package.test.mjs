// The npm package: `npm pack` gives a tarball that installs into an empty folder offline (no registry: the
// package has no runtime dependencies) and works there from Node: the CPU path against golden, and WebGPU with
// the `gpu` object handed in from this repository's npm `webgpu`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, buildDir, modelDir, readGolden, compareRows } from './helpers.mjs';
import { vulkanDriver } from '../wasm/env.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpuembed-pack-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' } });

function packDir() {
  // Pack the repository itself; when the tests use another build folder than build-wasm, pack a staged copy with
  // the same package.json whose build-wasm/ is that folder.
  if (path.resolve(buildDir) === path.join(root, 'build-wasm')) return root;
  const stage = path.join(tmp, 'stage');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const f of pkg.files) {
    const src = f.startsWith('build-wasm/') ? path.join(buildDir, f.slice('build-wasm/'.length)) : path.join(root, f);
    if (!fs.existsSync(src)) continue;
    fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
    fs.copyFileSync(src, path.join(stage, f));
  }
  fs.copyFileSync(path.join(root, 'package.json'), path.join(stage, 'package.json'));
  return stage;
}

test('npm pack -> install into an empty folder offline -> works from Node (CPU golden, WebGPU)', async () => {
  const dir = packDir();
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], dir));
  const tgz = path.join(tmp, packed[0].filename);
  const files = packed[0].files.map((f) => f.path).sort();
  console.log(`# ${packed[0].filename}: ${packed[0].size} B packed, ${packed[0].unpackedSize} B unpacked, ${files.length} files: ${files.join(' ')}`);
  for (const f of ['package.json', 'js/gpuembed.mjs', 'js/gpuembed.d.ts', 'src/wasm/core.mjs', 'build-wasm/gpuembed.mjs', 'build-wasm/gpuembed.wasm',
                 'build-wasm/gpuembed-mt.mjs', 'build-wasm/gpuembed-mt.wasm', 'build-wasm/gpuembed-mt.worker.js', 'build-wasm/gpuembed-mt.worker.cjs',
                 'build-wasm/gpuembed-relaxed.mjs', 'build-wasm/gpuembed-relaxed.wasm', 'build-wasm/gpuembed-mt-relaxed.mjs',
                 'build-wasm/gpuembed-mt-relaxed.wasm', 'build-wasm/gpuembed-mt-relaxed.worker.js', 'build-wasm/gpuembed-mt-relaxed.worker.cjs']) {
    assert.ok(files.includes(f), `the tarball lacks ${f}`);
  }
  assert.ok(!files.some((f) => f.startsWith('tests/') || f.startsWith('.cache/') || f.endsWith('.cpp')), 'tests or sources in the tarball');

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', '--offline', '--no-audit', '--no-fund', tgz], app);
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'gpuembed', 'build-wasm', 'gpuembed.wasm')));
  assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'webgpu')), 'webgpu is an optional peer, not installed');

  const g = readGolden('tiny-bert-cls');
  const idx = [0, 1, 17];
  fs.writeFileSync(path.join(app, 'main.mjs'), `
    import { GpuEmbedder, GpuEmbedderError, VectorIndex } from 'gpuembed';
    const [modelDir, webgpuPath, texts] = [process.argv[2], process.argv[3], JSON.parse(process.argv[4])];
    const out = { resolved: import.meta.resolve('gpuembed') };
    const cpu = await GpuEmbedder.create({ backend: 'cpu' });
    await cpu.loadModel(modelDir);
    out.cpu = (await cpu.embedBatch(texts)).map((r) => Array.from(r));
    out.errorClass = typeof GpuEmbedderError === 'function' && typeof VectorIndex === 'function';
    const webgpu = await import(webgpuPath);
    const gpu = await GpuEmbedder.create({ backend: 'webgpu', gpu: webgpu.create([]) });
    await gpu.loadModel(modelDir);
    out.backend = gpu.backend;
    out.gpu = (await gpu.embedBatch(texts)).map((r) => Array.from(r));
    console.log(JSON.stringify(out));
    process.exit(0);
  `);
  const webgpuPath = path.join(root, 'node_modules', 'webgpu', 'index.js');
  const driver = vulkanDriver();
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp', ...(driver?.icd ? { VK_ICD_FILENAMES: driver.icd } : {}) };
  const stdout = execFileSync(process.execPath, ['main.mjs', modelDir('tiny-bert-cls'), webgpuPath,
                                                 JSON.stringify(idx.map((i) => g.sentences[i].text))],
                              { cwd: app, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.ok(out.resolved.includes(path.join('app', 'node_modules', 'gpuembed')), `resolved ${out.resolved}`);
  assert.ok(out.errorClass);
  const sents = idx.map((i) => g.sentences[i]);
  compareRows('installed package, CPU', out.cpu.map((r) => Float32Array.from(r)), sents);
  assert.equal(out.backend, 'webgpu');
  compareRows('installed package, WebGPU', out.gpu.map((r) => Float32Array.from(r)), sents);
});
