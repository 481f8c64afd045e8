// The CPU op harness on the WASM CPU path: tests/op_harness_test.cpp and tests/op_harness_families_test.cpp built
// by Emscripten (cmake/wasm_op_harness.cmake -> build-wasm/gpuembed_op_harness.cjs, not part of gpuembed.wasm) and
// run in Node: every op of src/backend/cpu/ as the module compiles it (SIMD128) against the float64 references of
// the native run, guard values included. Passes when every GoogleTest case passes; prints the harness's table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireBuild } from './env.mjs';

test('CPU op harness on WebAssembly (SIMD128) against float64 references', () => {
  const harness = requireBuild('gpuembed_op_harness.cjs');
  // Emscripten 3.1.6 fetch()es its .wasm whenever fetch exists, which Node cannot do for a file path.
  const run = spawnSync(process.execPath, ['--no-experimental-fetch', harness], { encoding: 'utf8', timeout: 600_000 });
  const out = `${run.stdout}${run.stderr}`;
  const table = out.slice(out.indexOf('op harness:'));
  console.log(table.split('\n').filter((l) => l.startsWith('|') || l.startsWith('op harness')).map((l) => `# ${l}`).join('\n'));
  assert.equal(run.status, 0, `the op harness failed:\n${out.split('\n').filter((l) => /FAILED|Failure|error/i.test(l)).join('\n')}`);
  assert.match(out, /\[  PASSED  \] \d+ tests?\./);
  assert.doesNotMatch(out, /\[  SKIPPED \]/);
  for (const op of ['linear+bias fp32', 'attention (padding mask) fp32', 'attention (causal, grouped query) fp32', 'rotary fp32']) {
    assert.match(table, new RegExp(`\\| ${op.replace(/[()+]/g, '\\$&')} \\|[^\\n]*\\d\\.\\d{3}`), `no ${op} row for the WASM path`);
  }
});
