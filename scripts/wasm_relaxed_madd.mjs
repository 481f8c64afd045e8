#!/usr/bin/env node
// Rewrites the draft relaxed-SIMD opcode f32x4.fma (0xfd 0xaf 0x01), the only FMA clang 14 can emit
// (__builtin_wasm_fma_f32x4 with -mrelaxed-simd), into the standard f32x4.relaxed_madd (0xfd 0x105 = fd 85 02),
// which engines accept; the draft opcode they reject.
//   node scripts/wasm_relaxed_madd.mjs IN.wasm OUT.wasm
// Both encodings are 3 bytes, so the rewrite patches bytes in place and keeps every offset (no section size or
// branch offset to fix). Where to patch comes from decoding, never from a byte search (fd af 01 can sit inside an
// immediate or a data segment): llvm-objdump-14, the disassembler of the LLVM that emitted the draft opcode,
// lists every instruction of the code section with its offset. The result is then checked by a second, independent
// decoder that knows only the standard opcodes, wabt's (Debian's 1.0.32): it must validate the module with relaxed
// SIMD enabled and find f32x4.relaxed_madd at exactly the patched offsets, no more, no fewer.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';

const DRAFT = [0xfd, 0xaf, 0x01];
const MADD = [0xfd, 0x85, 0x02];
const tool = (name) => process.env[`GPUEMBED_${name.toUpperCase().replace(/[^A-Z]/g, '_')}`] || name;
const run = (cmd, args) => execFileSync(tool(cmd), args, { encoding: 'utf8', maxBuffer: 1 << 30 });

function fail(msg) {
  console.error(`wasm_relaxed_madd: ${msg}`);
  process.exit(1);
}

// Offset of the code section's contents in the file (what llvm-objdump's offsets count from): walk the section
// headers (id byte, u32 LEB128 size) from the 8-byte preamble.
function codePayloadStart(bytes) {
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0, shift = 0, b;
    do {
      b = bytes[p++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (id === 10) return p;
    p += size;
  }
  fail('no code section');
}

const [input, output] = process.argv.slice(2);
if (!input || !output) fail('usage: wasm_relaxed_madd.mjs IN.wasm OUT.wasm');
const bytes = new Uint8Array(readFileSync(input));
const base = codePayloadStart(bytes);

// llvm-objdump prints "   5883: fd af 01     \tf32x4.fma"; an opcode it cannot decode would print <unknown> and
// could shift every later instruction boundary, so any such line stops the rewrite.
const patched = [];
for (const line of run('llvm-objdump-14', ['-d', input]).split('\n')) {
  if (line.includes('<unknown>')) fail(`llvm-objdump-14 could not decode: ${line.trim()}`);
  const m = /^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*\t(\S+)/.exec(line);
  if (!m || m[3] !== 'f32x4.fma') continue;
  const at = base + parseInt(m[1], 16);
  if (!DRAFT.every((b, i) => bytes[at + i] === b)) fail(`no f32x4.fma bytes at 0x${at.toString(16)}: ${line.trim()}`);
  MADD.forEach((b, i) => (bytes[at + i] = b));
  patched.push(at);
}
if (patched.length === 0) fail(`${input} has no f32x4.fma (built without GPUEMBED_WASM_FMA / -mrelaxed-simd?)`);

const tmp = `${output}.tmp`;
writeFileSync(tmp, bytes);
try {
  // (the modules' other proposals: WebAssembly exceptions (-fwasm-exceptions), threads (gpuembed-mt-relaxed))
  run('wasm-validate', ['--enable-relaxed-simd', '--enable-exceptions', '--enable-threads', tmp]);
} catch (e) {
  fail(`wabt rejects the rewritten module: ${e.stderr || e.message}`);
}
// wasm-objdump prints file offsets: " 005a1b: fd 85 02 | f32x4.relaxed_madd".
const found = [];
for (const line of run('wasm-objdump', ['-d', tmp]).split('\n')) {
  const m = /^\s*([0-9a-f]+):[^|]*\|\s*f32x4\.relaxed_madd\b/.exec(line);
  if (m) found.push(parseInt(m[1], 16));
}
if (found.length !== patched.length || found.some((at, i) => at !== patched[i]))
  fail(`wabt finds relaxed_madd at ${found.length} offsets, ${patched.length} were patched (or not the same ones)`);
renameSync(tmp, output);
console.log(`wasm_relaxed_madd: ${output}: ${patched.length} f32x4.fma -> f32x4.relaxed_madd, checked by wabt`);
