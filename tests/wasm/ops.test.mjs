// Op-level harness (as ggml's test-backend-ops): every WGSL kernel against a float64 JS reference on random
// inputs of several shapes, odd sizes included (seq 1, 7, 255; dims that are not multiples of the 64x64 tile).
// Runs on WebGPU in Node: npm `webgpu` (Dawn) on lavapipe or SwiftShader (see env.mjs). The kernels of the other
// model families: tests/wasm/ops_families.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erf, gelu } from './reference.mjs';
import { fromF16, mulberry32, toF16 } from '../../bench/common.mjs';
import { K, PRECISION, attentionGrid, check, deviceFeatures, grid1, randArray, run, runF16,
         useOpsHarness } from './ops_harness.mjs';
import { nodeGpu } from './env.mjs';

useOpsHarness();

test('matmul + bias (+GELU, +residual): tiled and few-rows kernels, edges not multiples of 64', async () => {
  const shapes = [[1, 1, 1, 0], [7, 13, 5, 0], [65, 70, 33, 1], [12, 384, 384, 2], [33, 130, 200, 3], [255, 96, 64, 0],
                  [9, 1536, 384, 1], [9, 384, 1536, 2]];
  let seed = 1;
  for (const [m, n, k, flags] of shapes) {
    const r = mulberry32(seed++);
    const x = randArray(r, m * k), w = randArray(r, n * k, 1 / Math.sqrt(k)), b = randArray(r, n, 0.1);
    const res = randArray(r, m * n);
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; ++i) for (let j = 0; j < n; ++j) {
      let s = 0;
      for (let q = 0; q < k; ++q) s += x[i * k + q] * w[j * k + q];
      s += b[j];
      if (flags & 1) s = gelu(s);
      if (flags & 2) s += res[i * n + j];
      want[i * n + j] = s;
    }
    const params = [['u', m], ['u', n], ['u', k], ['u', flags]];
    const inputs = [x, w, b, flags & 2 ? res : b];
    const got = await run(K.matmul, params, inputs, m * n, [Math.ceil(n / 64), Math.ceil(m / 64), 1]);
    check(`matmul ${m}x${n}x${k} flags ${flags}`, got, want, 2e-6 * Math.sqrt(k), { rel: 2e-6 });
    if (m < 64) {  // the few-rows variant (matmul_small.wgsl) in both its shapes, same contract
      for (const [name, kernel] of [['matmul_small', K.matmulSmall], ['matmul_small_longk', K.matmulSmallLongK]]) {
        const got2 = await run(kernel, params, inputs, m * n, [Math.ceil(n / 64), m, 1]);
        check(`${name} ${m}x${n}x${k} flags ${flags}`, got2, want, 2e-6 * Math.sqrt(k), { rel: 2e-6 });
      }
    }
  }
});

// The fp16 path's matmuls: f16 inputs, outputs and tiles. The reference is float64 of the same f16 values; the bound
// per element follows from the kernel's arithmetic (u = 2^-11, the f16 unit roundoff): matmul_f16.wgsl rounds each
// product and each running sum of a 16-term k-slice in f16 (<= 17 u sum |x w| over the row, + the f32 sums of the
// slices: 18 u), the subgroup-matrix unit multiplies f16 exactly and sums in f32 (2^-10 sum |x w| leaves room for
// hardware that aligns its addends more coarsely); GELU's slope is at most 1.13; y is rounded to f16 once (u |y|).
// A wrong tile index or a dropped slice is off by O(|y|), far outside. That bound is for the worst case; the typical
// error is held too: rounding errors of random sign add up like a random walk, so with f16 sums confined to 16-term
// slices the rms error stays near 1.5 u rms |y| (lavapipe) where one f16 sum over the whole of K grows with sqrt(K)
// (6-12 u at K = 384-1536): rms error <= 4 u rms |y| for K >= 64. The output buffer carries guard values past M * N
// that must survive.
test('fp16 matmul (matmul_f16.wgsl; matmul_sgmat.wgsl where the device has subgroup matrices): f16 arithmetic bound, guards', async () => {
  const { driver } = await nodeGpu();
  const feats = deviceFeatures();
  if (!(feats & 1)) {
    assert.ok(!/lavapipe/.test(driver), `${driver} no longer reports 'shader-f16'`);
    return;
  }
  const u = 2 ** -11, GUARD = 37, G = toF16(-1234.5);
  // [kernel, harness precision, grid tile (sgmat's depends on the configuration: a grid of 16 x 16 tiles covers any,
  // the extra workgroups write nothing), bound on the sum's error per sum |x w|]
  const variants = [['matmul_f16', PRECISION.fp16, 64, 18 * u]];
  if (feats & 2) variants.push(['matmul_sgmat', PRECISION.fp16SubgroupMatrix, 16, 2 ** -10]);
  else console.log('#   matmul_sgmat: the device has no subgroup-matrix feature (not run)');
  const shapes = [[1, 1, 1, 0], [7, 13, 5, 1], [65, 70, 33, 2], [12, 384, 384, 0], [33, 130, 200, 1], [255, 96, 64, 2],
                  [129, 1152, 384, 0], [9, 384, 1536, 2], [200, 64, 17, 1]];
  let seed = 50;
  for (const [m, n, k, flags] of shapes) {
    const r = mulberry32(seed++);
    const x = Uint16Array.from(randArray(r, m * k), toF16);
    const w = Uint16Array.from(randArray(r, n * k, 1 / Math.sqrt(k)), toF16);
    const b = randArray(r, n, 0.1);
    const res = Uint16Array.from(randArray(r, m * n), toF16);
    const want = new Float64Array(m * n), sumAbs = new Float64Array(m * n);
    for (let i = 0; i < m; ++i) for (let j = 0; j < n; ++j) {
      let s = 0, sa = 0;
      for (let q = 0; q < k; ++q) { const t = fromF16(x[i * k + q]) * fromF16(w[j * k + q]); s += t; sa += Math.abs(t); }
      s += b[j];
      if (flags & 1) s = gelu(s);
      if (flags & 2) s += fromF16(res[i * n + j]);
      want[i * n + j] = s;
      sumAbs[i * n + j] = sa;
    }
    for (const [name, precision, tile, bound] of variants) {
      const out = new Uint16Array(m * n + GUARD).fill(G);
      const grid = [Math.ceil(n / tile), Math.ceil(m / tile), 1];
      const got = await runF16(K.matmul, [['u', m], ['u', n], ['u', k], ['u', flags]], [x, w, b, flags & 2 ? res : x, out],
                               m * n + GUARD, grid, 64, precision);
      let max = 0, se = 0, sy = 0;
      for (let i = 0; i < m * n; ++i) {
        const tol = bound * sumAbs[i] * (flags & 1 ? 1.13 : 1) + u * Math.abs(want[i]) + 1e-7;
        const e = Math.abs(got[i] - want[i]);
        if (!(e <= tol)) assert.fail(`${name} ${m}x${n}x${k} flags ${flags}: element ${i} got ${got[i]} want ${want[i]} (tol ${tol})`);
        max = Math.max(max, e);
        se += e * e;
        sy += want[i] * want[i];
      }
      const rmsU = Math.sqrt(se / sy) / u;
      if (k >= 64) assert.ok(rmsU <= 4, `${name} ${m}x${n}x${k} flags ${flags}: rms |err| ${rmsU.toFixed(2)} u rms |y| > 4`);
      for (let i = m * n; i < m * n + GUARD; ++i) assert.equal(got[i], fromF16(G), `${name} ${m}x${n}x${k}: guard ${i - m * n} overwritten`);
      console.log(`#   ${name} ${m}x${n}x${k} flags ${flags}: max |err| ${max.toExponential(2)}, rms |err| ${rmsU.toFixed(2)} u rms |y|`);
    }
  }
});

test('attention: padding mask, safe softmax, head dims 32 and 64, seq 1 / 7 / 255', async () => {
  const cases = [
    { B: 1, S: 1, NH: 2, D: 64, lens: [1] },
    { B: 2, S: 7, NH: 12, D: 32, lens: [7, 3] },
    { B: 3, S: 33, NH: 12, D: 32, lens: [33, 1, 17] },
    { B: 1, S: 255, NH: 2, D: 64, lens: [255] },
    { B: 2, S: 70, NH: 2, D: 64, lens: [64, 70], big: 8 },  // logits ~ +-100: softmax must not overflow
  ];
  let seed = 100;
  for (const { B, S, NH, D, lens, big = 1 } of cases) {
    const r = mulberry32(seed++);
    const H = NH * D;
    const qkv = randArray(r, B * S * 3 * H, big);
    const scale = 1 / Math.sqrt(D);
    const want = new Float64Array(B * S * H);
    for (let b = 0; b < B; ++b) for (let h = 0; h < NH; ++h) for (let i = 0; i < lens[b]; ++i) {
      const row = (t) => (b * S + t) * 3 * H;
      const s = [];
      for (let j = 0; j < lens[b]; ++j) {
        let d = 0;
        for (let c = 0; c < D; ++c) d += qkv[row(i) + h * D + c] * qkv[row(j) + H + h * D + c];
        s.push(d * scale);
      }
      const mx = Math.max(...s);
      const e = s.map((v) => Math.exp(v - mx));
      const z = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < D; ++c) {
        let acc = 0;
        for (let j = 0; j < lens[b]; ++j) acc += e[j] * qkv[row(j) + 2 * H + h * D + c];
        want[(b * S + i) * H + h * D + c] = acc / z;
      }
    }
    const got = await run(K.attention, [['u', B], ['u', S], ['u', NH], ['u', NH], ['f', scale], ['u', 0], ['u', 0], ['u', 0]],
                          [qkv, Uint32Array.from(lens), new Float32Array(1)], B * S * H, attentionGrid(S, NH, B, D), D);
    // float32 logits of magnitude ~100 carry ~1e-5 rounding, which the softmax passes on: scale the tolerance
    assert.ok(got.every(Number.isFinite), 'non-finite attention output');
    check(`attention B${B} S${S} heads ${NH}x${D} lens ${lens}`, got, want, 2e-6 * big * big, { rel: 1e-5 });
    // rows past the length are written as zeros
    for (let b = 0; b < B; ++b) for (let i = lens[b]; i < S; ++i) for (let c = 0; c < H; ++c) {
      assert.equal(got[(b * S + i) * H + c], 0, `padded row ${b},${i} not zero`);
    }
  }
});

function layerNormRef(v, g, bt, eps) {
  const n = v.length;
  const mean = v.reduce((a, x) => a + x, 0) / n;
  const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
  const inv = 1 / Math.sqrt(variance + eps);
  return v.map((x, i) => (x - mean) * inv * g[i] + bt[i]);
}

test('embedding gather + LayerNorm', async () => {
  let seed = 200;
  for (const [B, S, H] of [[1, 1, 384], [2, 7, 128], [3, 5, 37], [1, 255, 384]]) {
    const r = mulberry32(seed++);
    const V = 50, P = 300;
    const word = randArray(r, V * H), pos = randArray(r, P * H, 0.5), typ = randArray(r, 2 * H, 0.1);
    const g = randArray(r, H, 0.2, 1), bt = randArray(r, H, 0.1);
    const ids = Uint32Array.from({ length: B * S }, () => Math.floor(r() * V));
    const want = new Float64Array(B * S * H);
    for (let row = 0; row < B * S; ++row) {
      const t = row % S;
      const v = Array.from({ length: H }, (_, h) => word[ids[row] * H + h] + pos[t * H + h] + typ[h]);
      want.set(layerNormRef(v, g, bt, 1e-12), row * H);
    }
    const got = await run(K.embedLayerNorm,
                          [['u', B * S], ['u', S], ['u', H], ['u', V], ['u', P], ['u', 0], ['f', 1e-12], ['u', 0]],
                          [ids, word, pos, typ, g, bt], B * S * H, grid1(B * S));
    check(`embed+LN B${B} S${S} H${H}`, got, want, 2e-6, { rel: 2e-6 });
  }
});

test('LayerNorm (f32 statistics, offset mean)', async () => {
  let seed = 300;
  for (const [rows, H, off] of [[1, 384, 0], [7, 128, 3], [255, 37, 0], [5, 384, 100]]) {
    const r = mulberry32(seed++);
    const x = randArray(r, rows * H, 2, off), g = randArray(r, H, 0.2, 1), bt = randArray(r, H, 0.1);
    const want = new Float64Array(rows * H);
    for (let i = 0; i < rows; ++i) want.set(layerNormRef(Array.from(x.subarray(i * H, (i + 1) * H)), g, bt, 1e-12), i * H);
    const got = await run(K.layerNorm, [['u', rows], ['u', H], ['f', 1e-12], ['u', 0]], [x, g, bt], rows * H, grid1(rows));
    // with a mean of 100 the inputs themselves carry float32 rounding of ~4e-6 relative to their spread
    check(`layernorm rows ${rows} H ${H} mean ${off}`, got, want, off ? 2e-5 : 2e-6, { rel: 2e-6 });
  }
});

test('GELU (erf): float32-accurate erf', async () => {
  const n = 4001;
  const x = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
  const got = await run(K.gelu, [['u', n], ['u', 0], ['u', 0], ['u', 0]], [x], n, [Math.ceil(n / 256), 1, 1]);
  const want = Float64Array.from(x, (v) => gelu(v));
  check('gelu on [-10, 10]', got, want, 2e-7, { rel: 2e-7 });
  // erf itself through gelu's identity: erf(x/sqrt2) = 2 gelu(x)/x - 1, checked where x is not tiny
  let maxErf = 0;
  for (let i = 0; i < n; ++i) if (Math.abs(x[i]) > 0.5) maxErf = Math.max(maxErf, Math.abs(2 * got[i] / x[i] - 1 - erf(x[i] / Math.SQRT2)));
  console.log(`#   erf via gelu: max |err| ${maxErf.toExponential(2)}`);
  assert.ok(maxErf < 5e-7);
});

test('residual add', async () => {
  const r = mulberry32(400);
  for (const n of [1, 7, 1000, 65537]) {
    const a = randArray(r, n), b = randArray(r, n);
    const got = await run(K.residualAdd, [['u', n], ['u', 0], ['u', 0], ['u', 0]], [a, b], n, grid1(Math.ceil(n / 256)));
    check(`residual add n ${n}`, got, Float64Array.from(a, (v, i) => Math.fround(v + b[i])), 0);
  }
});

test('pooling: cls / mean / max / mean_sqrt_len with the mask, concatenated', async () => {
  const r = mulberry32(500);
  const B = 3, S = 7, H = 37, lens = [7, 1, 4];
  const x = randArray(r, B * S * H);
  for (const mode of [0, 1, 2, 3]) {
    const outDim = 2 * H, offset = H;
    const want = new Float64Array(B * outDim);
    for (let b = 0; b < B; ++b) for (let h = 0; h < H; ++h) {
      const vals = Array.from({ length: lens[b] }, (_, t) => x[(b * S + t) * H + h]);
      const sum = vals.reduce((a, v) => a + v, 0);
      want[b * outDim + offset + h] = mode === 0 ? x[b * S * H + h] : mode === 2 ? Math.max(...vals)
        : mode === 1 ? sum / lens[b] : sum / Math.sqrt(lens[b]);
    }
    const got = await run(K.pooling, [['u', B], ['u', S], ['u', H], ['u', mode], ['u', outDim], ['u', offset], ['u', 0], ['u', 0]],
                          [x, Uint32Array.from(lens)], B * outDim, [Math.ceil(H / 64), B, 1]);
    check(`pooling mode ${mode}`, got, want, 1e-6);
  }
});

test('L2 normalize (incl. a zero row)', async () => {
  const r = mulberry32(600);
  for (const [rows, dim] of [[1, 384], [3, 37], [4, 1]]) {
    const x = randArray(r, rows * dim);
    x.fill(0, 0, dim);  // first row zero: stays zero (norm clamped to 1e-12)
    const want = new Float64Array(rows * dim);
    for (let i = 0; i < rows; ++i) {
      const v = x.subarray(i * dim, (i + 1) * dim);
      const nrm = Math.max(Math.sqrt(v.reduce((a, t) => a + t * t, 0)), 1e-12);
      for (let j = 0; j < dim; ++j) want[i * dim + j] = v[j] / nrm;
    }
    const got = await run(K.l2, [['u', rows], ['u', dim], ['u', 0], ['u', 0]], [x], rows * dim, grid1(rows));
    check(`l2 normalize ${rows}x${dim}`, got, want, 1e-6);
  }
});
