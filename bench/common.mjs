// Helpers shared by the benchmark drivers (ours and the peers) and the kernel tests: summary statistics, a
// deterministic PRNG, the input-ids hash that proves both sides ran the same tokens, and a measure of how much CPU
// other processes took (this machine may be shared with builds or benchmarks of others).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

// Missing values (a failed measurement) stay missing rather than turning into NaN.
export const r3 = (x) => (x == null || !Number.isFinite(x) ? x : Math.round(x * 1000) / 1000);

export const median = (xs) => {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((p, q) => p - q);
  const n = s.length;
  if (!n) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

export const readTrim = (f) => {
  try {
    return fs.readFileSync(f, 'utf8').trim();
  } catch {
    return null;
  }
};

/** mulberry32: a tiny deterministic PRNG (the same sequence on every JS engine), uniform in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// IEEE binary16 <-> number, for the f16 buffers of the fp16 kernels. toF16 rounds to nearest even, as WGSL's
// f16(x) of an f32 does (the input is first rounded to f32).
const f32b = new Float32Array(1), u32b = new Uint32Array(f32b.buffer);
export function toF16(v) {
  f32b[0] = v;
  const x = u32b[0], sign = (x >>> 16) & 0x8000, e = (x >>> 23) & 0xff, m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const exp = e - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {  // subnormal (or zero)
    if (exp < -10) return sign;
    const mm = m | 0x800000, shift = 14 - exp;
    let h = mm >>> shift;
    const rem = mm & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (exp << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;  // a carry into the exponent is the right result
  return sign | h;
}
export function fromF16(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** FNV-1a over the little-endian bytes of every id: equal hashes mean both engines saw the same tokens. */
export function idsHash(rows) {
  let h = 0x811c9dc5;
  for (const row of rows) {
    for (const id of row) {
      for (let k = 0; k < 4; k++) {
        h ^= (id >>> (8 * k)) & 0xff;
        h = Math.imul(h, 0x01000193) >>> 0;
      }
    }
  }
  return h.toString(16).padStart(8, '0');
}

const CLK_MS = 10;  // USER_HZ = 100 on Linux
/** Busy CPU time of the whole machine in ms (from /proc/stat), or null where there is none. */
export const machineBusyMs = () => {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * CLK_MS;
  } catch {
    return null;
  }
};

/** Waits (up to maxS seconds) until other processes use < threshold cores over a 1 s window. */
export async function waitIdle(maxS, threshold = 0.25) {
  const t0 = performance.now();
  for (;;) {
    const b0 = machineBusyMs(), c0 = process.cpuUsage(), w0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    if (b0 === null) return null;
    const c = process.cpuUsage(c0);
    const other = (machineBusyMs() - b0 - (c.user + c.system) / 1000) / (performance.now() - w0);
    if (other < threshold || (performance.now() - t0) / 1000 >= maxS) {
      return { waited_s: r3((performance.now() - t0) / 1000), other_cpu: r3(other) };
    }
  }
}
