// The relaxed-SIMD modules (gpuembed-relaxed.*, gpuembed-mt-relaxed.*: FMA in the fp32 matmuls) and the choice
// between them and the SIMD128 modules. Here, in whatever engine runs the tests: without relaxed SIMD (Node 20 as is)
// the relaxed modules do not compile and create() falls back to the SIMD128 module, whose results are golden; with
// relaxedSimd: false it keeps to SIMD128 on any engine. In a child Node that has relaxed SIMD (Node 20 with
// --experimental-wasm-relaxed-simd, or as is from Node 22 on): relaxed_simd_engine.mjs, the relaxed modules
// against the golden files and create() picking them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readGolden, requireModels, requireBuild, buildDir } from './env.mjs';
import { compareEmbeddings } from './golden_util.mjs';
import { GpuEmbedder, relaxedSimdSupported } from '../../js/gpuembed.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const at = (f) => path.join(buildDir, f);
const urls = () => ({ moduleUrl: at('gpuembed.mjs'), threadedModuleUrl: at('gpuembed-mt.mjs'),
                      relaxedModuleUrl: requireBuild('gpuembed-relaxed.mjs'),
                      threadedRelaxedModuleUrl: requireBuild('gpuembed-mt-relaxed.mjs') });

async function embedGolden(options, simd) {
  const g = readGolden('tiny-bert-cls');
  const e = await GpuEmbedder.create({ backend: 'cpu', ...options });
  try {
    assert.equal(e.simd, simd);
    assert.equal((await e.loadModel(path.join(requireModels(), 'tiny-bert-cls'))).simd, simd);
    compareEmbeddings(`tiny-bert-cls, ${options.threads} thread(s), ${simd}`,
                      await e.embedBatchFlat(g.sentences.map((s) => s.text)), g.sentences, g.dim);
  } finally {
    await e.dispose();
  }
}

test('relaxedSimd: false keeps to the SIMD128 modules (golden), whatever the engine', async () => {
  for (const threads of [1, 2]) await embedGolden({ threads, ...urls(), relaxedSimd: false }, 'simd128');
});

test('an engine without relaxed SIMD rejects the relaxed modules and create() falls back to SIMD128 (golden)',
     { skip: relaxedSimdSupported() && 'this engine has relaxed SIMD (the child run below covers it)' }, async () => {
  for (const f of ['gpuembed-relaxed.wasm', 'gpuembed-mt-relaxed.wasm']) {
    assert.equal(WebAssembly.validate(fs.readFileSync(requireBuild(f))), false, `${f} validates without relaxed SIMD`);
  }
  assert.equal(WebAssembly.validate(fs.readFileSync(requireBuild('gpuembed.wasm'))), true);
  for (const threads of [1, 2]) await embedGolden({ threads, ...urls() }, 'simd128');
});

// Node 20 has relaxed SIMD behind this flag; from Node 22 on it is there without it.
function relaxedNodeFlags() {
  if (relaxedSimdSupported()) return [];
  const flag = '--experimental-wasm-relaxed-simd';
  const probe = `import('${new URL('../../js/gpuembed.mjs', import.meta.url).href}')` +
                '.then((m) => process.exit(m.relaxedSimdSupported() ? 0 : 1))';
  return spawnSync(process.execPath, [flag, '-e', probe]).status === 0 ? [flag] : null;
}

test('in an engine with relaxed SIMD: the relaxed modules are golden and create() picks them (child Node)', (t) => {
  const flags = relaxedNodeFlags();
  if (!flags) return t.skip(`this Node (${process.version}) has no relaxed SIMD, not even with a flag`);
  // (NODE_TEST_CONTEXT would make the child's test runner report to this one in its own protocol)
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, [...flags, path.join(here, 'relaxed_simd_engine.mjs')],
                          { env, encoding: 'utf8', timeout: 300_000 });
  const lines = `${child.stdout}${child.stderr}`.split('\n');
  const shown = lines.filter((l) => /max \|(err|diff)\||^(not )?ok /.test(l)).map((l) => l.replace(/^# /, ''));
  console.log(shown.map((l) => `# child (${flags.join(' ') || 'no flag'}): ${l}`).join('\n'));
  assert.equal(child.status, 0, `the child run failed:\n${lines.slice(-60).join('\n')}`);
});
