// The op harness's rows for the kernels the model families beyond BERT add (rotary, gated activations, RMSNorm,
// attention with grouped-query heads, a causal mask, a sliding window and MPNet's relative bias, the embedding
// variants, in-place norms and adds, weightedmean / lasttoken pooling), each against a float64 reference at awkward
// shapes: seq 1, 7, 255, 513; head dimensions 32, 64, 80, 128, 256. Guards: what a kernel must not write (value
// heads, channels past rotary_dim, other heads' columns, the tail of an output buffer) holds a sentinel that must
// come back unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gelu } from './reference.mjs';
import { fromF16, mulberry32, toF16 } from '../../bench/common.mjs';
import { ATTENTION, K, PRECISION, attentionGrid, attentionKernel, check, deviceFeatures, grid1, randArray, run, runF16,
         setAttention, useOpsHarness } from './ops_harness.mjs';

useOpsHarness();
const GUARD = 7777;
const groups = (n) => grid1(Math.ceil(n / 256));
const withGuard = (n, tail = 64) => new Float32Array(n + tail).fill(GUARD);
function checkGuard(name, got, from) {
  for (let i = from; i < got.length; ++i) assert.equal(got[i], GUARD, `${name}: wrote past its output at ${i}`);
}

test('rotary in place: query and key heads turned; value heads and channels past rotary_dim untouched', async () => {
  const cases = [{ B: 1, S: 1, NH: 2, KV: 2, D: 64, R: 64, base: 10000 }, { B: 2, S: 7, NH: 4, KV: 2, D: 32, R: 32, base: 1e6 },
                 { B: 1, S: 255, NH: 3, KV: 1, D: 80, R: 80, base: 160000 }, { B: 1, S: 513, NH: 2, KV: 1, D: 128, R: 64, base: 1e4 }];
  let seed = 1000;
  for (const { B, S, NH, KV, D, R, base } of cases) {
    const r = mulberry32(seed++);
    const stride = (NH + 2 * KV) * D, rows = B * S, half = R / 2;
    const x = randArray(r, rows * stride, 2);
    const cs = new Float32Array(S * R);
    for (let t = 0; t < S; ++t) for (let i = 0; i < half; ++i) {
      const angle = t * Math.pow(base, -2 * i / R);
      cs[t * R + i] = Math.cos(angle);
      cs[t * R + half + i] = Math.sin(angle);
    }
    const want = Float64Array.from(x);
    const turned = new Uint8Array(x.length);
    for (let row = 0; row < rows; ++row) for (let h = 0; h < NH + KV; ++h) for (let i = 0; i < half; ++i) {
      const at = row * stride + h * D + i, t = row % S;
      const [c, s] = [cs[t * R + i], cs[t * R + half + i]];
      want[at] = x[at] * c - x[at + half] * s;
      want[at + half] = x[at + half] * c + x[at] * s;
      turned[at] = turned[at + half] = 1;
    }
    const got = await run(K.rotary, [['u', rows], ['u', S], ['u', NH + KV], ['u', D], ['u', half], ['u', stride], ['u', 0], ['u', 0]],
                          [cs, x], x.length, groups(rows * (NH + KV) * half));
    const name = `rotary S${S} heads ${NH}+${KV}x${D} rotary_dim ${R}`;
    check(name, got, want, 1e-6, { rel: 1e-6 });
    for (let i = 0; i < x.length; ++i) if (!turned[i]) assert.equal(got[i], x[i], `${name}: element ${i} changed`);
  }
});

test('gated activations: GELU (erf), SiLU, GELU (tanh); large gates do not overflow', async () => {
  const acts = [gelu, (a) => a / (1 + Math.exp(-a)),
                (a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3)))];
  let seed = 1100;
  for (const [rows, W] of [[1, 37], [7, 288], [255, 1536]]) {
    for (const mode of [0, 1, 2]) {
      const r = mulberry32(seed++);
      const g = randArray(r, rows * 2 * W, 4);
      for (let i = 0; i < Math.min(8, W); ++i) g[i] = [-100, 100, -40, 40, -12, 12, 0, 1e-6][i];
      const want = new Float64Array(rows * W);
      for (let row = 0; row < rows; ++row) for (let i = 0; i < W; ++i) {
        want[row * W + i] = acts[mode](g[row * 2 * W + i]) * g[row * 2 * W + W + i];
      }
      const name = `gated mode ${mode} rows ${rows} width ${W}`;
      const got = await run(K.gated, [['u', rows], ['u', W], ['u', mode], ['u', 0]], [g, withGuard(rows * W)], rows * W + 64,
                            groups(rows * W));
      check(name, got.subarray(0, rows * W), want, 2e-6, { rel: 2e-6 });
      checkGuard(name, got, rows * W);
    }
  }
});

function rmsRef(v, g, eps, unit) {
  const inv = 1 / Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length + eps);
  return v.map((x, i) => x * inv * (unit ? 1 + g[i] : g[i]));
}

test('RMSNorm: whole rows (gamma and 1 + gamma, in place and not), per-head groups in place', async () => {
  let seed = 1200;
  for (const [rows, W] of [[1, 256], [7, 37], [255, 1024], [513, 192]]) {
    for (const flags of [0, 1, 2, 3]) {
      const r = mulberry32(seed++);
      const x = randArray(r, rows * W, 3, 0.5), g = randArray(r, W, 0.3, flags & 1 ? 0 : 1);
      const want = new Float64Array(rows * W);
      for (let i = 0; i < rows; ++i) want.set(rmsRef(Array.from(x.subarray(i * W, (i + 1) * W)), g, 1e-6, flags & 1), i * W);
      const inplace = flags & 2;
      const out = inplace ? Float32Array.from(x) : withGuard(rows * W);
      const name = `rms_norm rows ${rows} width ${W} flags ${flags}`;
      const got = await run(K.rmsNorm, [['u', rows], ['u', W], ['u', 0], ['u', W], ['u', 1], ['f', 1e-6], ['u', flags], ['u', 0]],
                            [inplace ? g : x, g, out], out.length, grid1(rows));
      check(name, got.subarray(0, rows * W), want, 2e-6, { rel: 2e-6 });
      checkGuard(name, got, rows * W);
    }
  }
  for (const [rows, NH, KV, D, first, n] of [[7, 4, 2, 128, 4, 2], [255, 3, 1, 256, 0, 3], [1, 2, 2, 80, 2, 2]]) {
    const r = mulberry32(seed++);
    const stride = (NH + 2 * KV) * D;
    const x = randArray(r, rows * stride, 2), g = randArray(r, D, 0.3);
    const want = Float64Array.from(x);
    for (let row = 0; row < rows; ++row) for (let h = first; h < first + n; ++h) {
      const at = row * stride + h * D;
      want.set(rmsRef(Array.from(x.subarray(at, at + D)), g, 1e-6, 1), at);
    }
    const name = `rms_norm heads ${first}..${first + n - 1} of ${NH}+${KV}x${D}, rows ${rows}`;
    const got = await run(K.rmsNorm, [['u', rows], ['u', stride], ['u', first * D], ['u', D], ['u', n], ['f', 1e-6], ['u', 3], ['u', 0]],
                          [g, g, Float32Array.from(x)], x.length, grid1(rows * n));
    check(name, got, want, 2e-6, { rel: 2e-6 });
    for (let row = 0; row < rows; ++row) for (let c = 0; c < stride; ++c) {
      const i = row * stride + c;
      if (c < first * D || c >= (first + n) * D) assert.equal(got[i], x[i], `${name}: column ${c} changed`);
    }
  }
});

// attention.wgsl's contract in float64: query head h reads key / value head h / (NH / KV); a query sees keys
// j < len, j <= i when causal, |j - i| <= window when window > 0; rel[h][j - i] is added to the score.
function attentionRef({ B, S, NH, KV, D, lens, causal, window, rel, nrel, scale }, qkv) {
  const stride = (NH + 2 * KV) * D, W = NH * D;
  const want = new Float64Array(B * S * W);
  for (let b = 0; b < B; ++b) for (let h = 0; h < NH; ++h) for (let i = 0; i < lens[b]; ++i) {
    const row = (t) => (b * S + t) * stride;
    const kc = W + Math.floor(h / (NH / KV)) * D, vc = kc + KV * D;
    const keys = [];
    for (let j = 0; j < lens[b]; ++j) {
      if ((causal && j > i) || (window > 0 && Math.abs(j - i) > window)) continue;
      let d = 0;
      for (let c = 0; c < D; ++c) d += qkv[row(i) + h * D + c] * scale * qkv[row(j) + kc + c];
      keys.push([j, d + (rel ? rel[h * (2 * nrel + 1) + nrel + j - i] : 0)]);
    }
    const mx = Math.max(...keys.map(([, s]) => s));
    const e = keys.map(([j, s]) => [j, Math.exp(s - mx)]);
    const z = e.reduce((a, [, v]) => a + v, 0);
    for (let c = 0; c < D; ++c) {
      want[(b * S + i) * W + h * D + c] = e.reduce((a, [j, v]) => a + v * qkv[row(j) + vc + c], 0) / z;
    }
  }
  return want;
}

// Each case runs every attention kernel that may serve its head dimension: attention.wgsl, attention_tiled.wgsl with
// its default lanes per query and with uneven ones (slices past the head read zeros), and the engine's own choice,
// which must be the tiled kernel from head dimension 64 on (so these rows cover what production runs).
const ATTN_VARIANTS = [['simple', ATTENTION.simple, 0], ['tiled', ATTENTION.tiled, 0],
                       ['tiled 3 lanes', ATTENTION.tiled, 3], ['tiled 16 lanes', ATTENTION.tiled, 16],
                       ['auto', ATTENTION.auto, 0]];

async function runAttention(c, qkv, rel, precision, variant) {
  const { B, S, NH, KV, D, causal = false, window = 0, nrel = 0 } = c;
  const [label, mode, lanes] = variant;
  setAttention(mode, lanes);
  const { kernel } = attentionKernel(D, precision);
  if (mode === ATTENTION.auto) assert.equal(kernel, D >= 64 ? 'attention_tiled' : 'attention', `auto, head dim ${D}`);
  const params = [['u', B], ['u', S], ['u', NH], ['u', KV], ['f', c.scale ?? 1 / Math.sqrt(D)], ['u', window],
                  ['u', (causal ? 1 : 0) | (rel ? 2 : 0)], ['u', nrel]];
  const inputs = [qkv, Uint32Array.from(c.lens), rel || new Float32Array(1)];
  const grid = attentionGrid(S, NH, B, D, precision);
  const n = B * S * NH * D;
  const got = precision ? await runF16(K.attention, params, inputs, n, grid, D, precision)
                        : await run(K.attention, params, inputs, n, grid, D);
  setAttention(ATTENTION.auto);
  return { got, name: `${kernel} (${label}${precision ? ', fp16' : ''})` };
}

test('attention: grouped-query heads, causal, sliding window, relative bias, query scale; head dims 32..256, seq 1..513', async () => {
  const cases = [
    { B: 1, S: 1, NH: 2, KV: 1, D: 80, lens: [1] },
    { B: 2, S: 7, NH: 4, KV: 2, D: 32, lens: [7, 3], causal: true },
    { B: 2, S: 255, NH: 2, KV: 1, D: 128, lens: [255, 100], window: 16 },
    { B: 1, S: 513, NH: 2, KV: 2, D: 64, lens: [513], nrel: 513 },
    { B: 2, S: 70, NH: 3, KV: 1, D: 256, lens: [70, 41], window: 32, scale: 1 / 16 },
    { B: 1, S: 130, NH: 4, KV: 1, D: 128, lens: [130], causal: true, window: 20, nrel: 200 },
    { B: 2, S: 97, NH: 6, KV: 2, D: 256, lens: [97, 60], causal: true },
    { B: 2, S: 45, NH: 2, KV: 1, D: 80, lens: [45, 30], causal: true, nrel: 50 },
    { B: 1, S: 200, NH: 2, KV: 1, D: 64, lens: [180], causal: true, window: 40 },
  ];
  let seed = 1300;
  for (const c of cases) {
    const { B, S, NH, KV, D, lens, causal = false, window = 0, nrel = 0 } = c;
    const r = mulberry32(seed++);
    const scale = c.scale ?? 1 / Math.sqrt(D);
    const qkv = randArray(r, B * S * (NH + 2 * KV) * D, 2);
    const rel = nrel ? randArray(r, NH * (2 * nrel + 1), 2) : null;
    const want = attentionRef({ ...c, causal, window, rel, nrel, scale }, qkv);
    const shape = `B${B} S${S} heads ${NH}/${KV}x${D} lens ${lens}${causal ? ' causal' : ''}` +
                  `${window ? ` window ${window}` : ''}${rel ? ' relative bias' : ''}`;
    for (const variant of ATTN_VARIANTS) {
      const { got, name } = await runAttention(c, qkv, rel, PRECISION.fp32, variant);
      check(`${name} ${shape}`, got, want, 1e-5, { rel: 1e-5 });
      for (let b = 0; b < B; ++b) for (let i = lens[b]; i < S; ++i) for (let k = 0; k < NH * D; ++k) {
        assert.equal(got[(b * S + i) * NH * D + k], 0, `${name} ${shape}: padded row ${b},${i} not zero`);
      }
    }
  }
});

// fp16 storage: qkv and ctx are f16, the K / V tiles f16, q, scores and sums f32. The reference takes the same f16
// inputs, so the bound is the output's rounding to f16 (half an ulp: 2^-11 relative) plus f32 sums.
test('attention fp16 (f16 activations and tiles): both kernels, causal, window, GQA, relative bias', async (t) => {
  if (!(deviceFeatures() & 1)) { t.skip("the device has no 'shader-f16'"); return; }
  const cases = [
    { B: 2, S: 7, NH: 4, KV: 2, D: 32, lens: [7, 3], causal: true },
    { B: 2, S: 130, NH: 2, KV: 1, D: 64, lens: [130, 77], window: 24, nrel: 140 },
    { B: 1, S: 255, NH: 4, KV: 2, D: 128, lens: [255], causal: true },
    { B: 2, S: 70, NH: 3, KV: 1, D: 256, lens: [70, 33], causal: true, window: 16, scale: 1 / 16 },
  ];
  let seed = 1350;
  for (const c of cases) {
    const { B, S, NH, KV, D, lens, causal = false, window = 0, nrel = 0 } = c;
    const r = mulberry32(seed++);
    const scale = c.scale ?? 1 / Math.sqrt(D);
    const bits = Uint16Array.from(randArray(r, B * S * (NH + 2 * KV) * D, 2), toF16);
    const rel = nrel ? randArray(r, NH * (2 * nrel + 1), 2) : null;
    const want = attentionRef({ ...c, causal, window, rel, nrel, scale }, Array.from(bits, fromF16));
    const shape = `B${B} S${S} heads ${NH}/${KV}x${D} lens ${lens}${causal ? ' causal' : ''}` +
                  `${window ? ` window ${window}` : ''}${rel ? ' relative bias' : ''}`;
    for (const variant of ATTN_VARIANTS.filter(([label]) => !label.includes('lanes'))) {
      const { got, name } = await runAttention(c, bits, rel, PRECISION.fp16, variant);
      check(`${name} ${shape}`, got, want, 2e-4, { rel: 2 ** -10 });
      for (let b = 0; b < B; ++b) for (let i = lens[b]; i < S; ++i) for (let k = 0; k < NH * D; ++k) {
        assert.equal(got[(b * S + i) * NH * D + k], 0, `${name} ${shape}: padded row ${b},${i} not zero`);
      }
    }
  }
});

test('embedding variants: no position table, no token types, no LayerNorm (a scaled gather)', async () => {
  let seed = 1400;
  for (const [flags, B, S, H] of [[1, 2, 7, 37], [2, 1, 255, 128], [3, 3, 5, 64], [7, 1, 513, 192]]) {
    const r = mulberry32(seed++);
    const V = 50, P = 600, scale = flags & 4 ? Math.fround(Math.sqrt(H)) : 1;
    const word = randArray(r, V * H), pos = randArray(r, P * H, 0.5), typ = randArray(r, 2 * H, 0.1);
    const g = randArray(r, H, 0.2, 1), bt = flags === 3 ? new Float32Array(H) : randArray(r, H, 0.1);
    const ids = Uint32Array.from({ length: B * S }, () => Math.floor(r() * V));
    const want = new Float64Array(B * S * H);
    for (let row = 0; row < B * S; ++row) {
      const v = Array.from({ length: H }, (_, h) => word[ids[row] * H + h] * scale +
        (flags & 1 ? 0 : pos[(row % S) * H + h]) + (flags & 2 ? 0 : typ[h]));
      if (flags & 4) { want.set(v, row * H); continue; }
      const mean = v.reduce((a, x) => a + x, 0) / H;
      const inv = 1 / Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / H + 1e-12);
      want.set(v.map((x, h) => (x - mean) * inv * g[h] + bt[h]), row * H);
    }
    const name = `embedding flags ${flags} B${B} S${S} H${H}`;
    const got = await run(K.embedLayerNorm, [['u', B * S], ['u', S], ['u', H], ['u', V], ['u', P], ['u', 0], ['f', 1e-12],
                                             ['u', flags], ['f', scale], ['u', 0], ['u', 0], ['u', 0]],
                          [ids, word, flags & 1 ? g : pos, flags & 2 ? g : typ, g, bt, withGuard(B * S * H)],
                          B * S * H + 64, grid1(B * S));
    check(name, got.subarray(0, B * S * H), want, 2e-6, { rel: 2e-6 });
    checkGuard(name, got, B * S * H);
  }
});

test('in place: LayerNorm of its output buffer, residual add into the stream', async () => {
  const r = mulberry32(1500);
  for (const [rows, H] of [[1, 256], [255, 37]]) {
    const x = randArray(r, rows * H, 2, 1), g = randArray(r, H, 0.2, 1);
    const want = new Float64Array(rows * H);
    for (let i = 0; i < rows; ++i) {
      const v = Array.from(x.subarray(i * H, (i + 1) * H));
      const mean = v.reduce((a, t) => a + t, 0) / H;
      const inv = 1 / Math.sqrt(v.reduce((a, t) => a + (t - mean) ** 2, 0) / H + 1e-5);
      want.set(v.map((t, h) => (t - mean) * inv * g[h]), i * H);
    }
    const got = await run(K.layerNorm, [['u', rows], ['u', H], ['f', 1e-5], ['u', 1]],
                          [g, g, new Float32Array(H), Float32Array.from(x)], rows * H, grid1(rows));
    check(`layernorm in place rows ${rows} H ${H}`, got, want, 4e-6, { rel: 2e-6 });
  }
  for (const n of [1, 7, 65537]) {
    const a = randArray(r, n), y = randArray(r, n);
    const got = await run(K.residualAdd, [['u', n], ['u', 1], ['u', 0], ['u', 0]], [a, a, Float32Array.from(y)], n, groups(n));
    check(`residual add in place n ${n}`, got, Float64Array.from(a, (v, i) => Math.fround(v + y[i])), 0);
  }
});

test('pooling: weightedmean and lasttoken with the mask', async () => {
  const r = mulberry32(1600);
  const B = 3, S = 7, H = 37, lens = [7, 1, 4];
  const x = randArray(r, B * S * H);
  for (const mode of [4, 5]) {
    const want = new Float64Array(B * H);
    for (let b = 0; b < B; ++b) for (let h = 0; h < H; ++h) {
      const at = (t) => x[(b * S + t) * H + h];
      if (mode === 5) { want[b * H + h] = at(lens[b] - 1); continue; }
      let s = 0, ws = 0;
      for (let t = 0; t < lens[b]; ++t) { s += at(t) * (t + 1); ws += t + 1; }
      want[b * H + h] = s / ws;
    }
    const got = await run(K.pooling, [['u', B], ['u', S], ['u', H], ['u', mode], ['u', H], ['u', 0], ['u', 0], ['u', 0]],
                          [x, Uint32Array.from(lens)], B * H, [Math.ceil(H / 64), B, 1]);
    check(`pooling mode ${mode}`, got, want, 1e-6);
  }
});
