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
