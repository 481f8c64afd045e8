// Helpers shared by bench/wasm/bench_wasm.mjs and bench/gpu/bench_gpu.mjs: run one measurement process (with a
// timeout, optionally in its own session at an autogroup nice), take the JSON object it prints last, aggregate and
// print tables. Nothing here imports an engine: the orchestrating process never touches WASM or the GPU.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

import { median, r3 } from '../common.mjs';

export { median, r3 };
export const log = (...m) => process.stderr.write(`${m.join(' ')}\n`);

// Runs argv[0] with argv[1..]; nice: null or a number (new session, autogroup nice N, nice -n N, as run_peers.sh).
// Resolves { ok, json, code, signal, timedOut, ms, stderrTail }.
export function runProcess(argv, { timeoutS = 600, nice = null, env = process.env, cwd, echo = true } = {}) {
  let cmd = argv[0], args = argv.slice(1);
  if (nice !== null && nice !== undefined && nice !== '') {
    args = ['-w', 'bash', '-c',
      'echo "$0" > /proc/$$/autogroup 2>/dev/null || echo "cannot set autogroup nice $0" >&2; exec nice -n "$0" "$@"',
      String(nice), cmd, ...args];
    cmd = 'setsid';
  }
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd, detached: true });
    let out = '', errTail = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      if (echo) process.stderr.write(d);
      errTail = (errTail + d).slice(-3000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      let json = null;
      try { json = line ? JSON.parse(line) : null; } catch { json = null; }
      resolve({ ok: !!json && json.ok !== false && code === 0 && !timedOut, json, code, signal, timedOut,
        ms: Date.now() - t0, stderrTail: errTail.trim().split('\n').slice(-6).join(' | ') });
    });
  });
}

export function why(r) {
  if (r.timedOut) return 'timed out';
  if (r.json && r.json.error) return r.json.error.slice(0, 300);
  return `exit ${r.code}${r.signal ? ' ' + r.signal : ''}: ${r.stderrTail.slice(-300)}`;
}

// Markdown-ish table; rows: arrays of cells.
export function table(head, rows) {
  const w = head.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => '| ' + r.map((c, i) => String(c ?? '').padEnd(w[i])).join(' | ') + ' |';
  return [line(head), '| ' + w.map((n) => '-'.repeat(n)).join(' | ') + ' |', ...rows.map(line)].join('\n');
}

export const fmt = (x, d = 2) => (x == null || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(d));
export const ratio = (theirs, ours) => (theirs && ours ? `${(theirs / ours).toFixed(2)}×` : '–');

export function cpuInfo() {
  let model = null, autogroupEnabled = null;
  try { model = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1]; } catch { /* */ }
  try { autogroupEnabled = fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim(); } catch { /* */ }
  return { cpu_model: model, autogroup_enabled: autogroupEnabled };
}
