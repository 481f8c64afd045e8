// Benchmark inputs shared by the peer runner (run_peer.mjs) and our C++ benchmark (via bench/inputs.json).
//
//   node bench/peer/inputs.mjs --write bench/inputs.json [--tokenizer DIR]
//   node bench/peer/inputs.mjs --check [--tokenizer DIR]      (verify token counts, print a summary)
//
// Texts are built deterministically from single-token lowercase words of the BERT uncased vocab
// (../shared/models/all-MiniLM-L6-v2/vocab.txt), so each text of `len` tokens = [CLS] + (len-2) words + [SEP].
// Every count is verified with transformers.js' tokenizer (tokenizer.json of the same folder) before writing.
//
// Cases:
//   short       1 sentence, "The quick brown fox jumps over the lazy dog." = 12 tokens (golden sentence 0)
//   b32x128     32 distinct texts of exactly 128 tokens
//   b256x128    256 distinct texts of exactly 128 tokens (its first 32 are the b32x128 texts)
//   s512xB      B = 1,2,4,8,16,32 distinct texts of exactly 512 tokens (prefixes of one pool of 32)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idsHash, mulberry32 } from '../common.mjs';

export { idsHash };  // other tokenizers check themselves against the hashes in the cases

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SHARED_DIR = path.resolve(process.env.GPUEMBED_SHARED_DIR || path.join(REPO_ROOT, '..', 'shared'));
export const TOKENIZER_DIR = path.join(SHARED_DIR, 'models', 'all-MiniLM-L6-v2');

export const SHORT_TEXT = 'The quick brown fox jumps over the lazy dog.';
export const CASE_NAMES = ['short', 'b32x128', 'b256x128', 's512x1', 's512x2', 's512x4', 's512x8', 's512x16', 's512x32'];


// Whole-word vocab entries of 3..8 lowercase ASCII letters: each is one WordPiece token by itself
// (greedy longest match takes the whole word), and the uncased normalizer leaves it unchanged.
function loadWords(tokDir) {
  const vocab = fs.readFileSync(path.join(tokDir, 'vocab.txt'), 'utf8').split('\n').map((s) => s.replace(/\r$/, ''));
  return vocab.filter((w) => /^[a-z]{3,8}$/.test(w));
}

function makeTexts(words, count, tokens, seed) {
  const rnd = mulberry32(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = tokens - 2; // minus [CLS], [SEP]
    const ws = new Array(n);
    for (let j = 0; j < n; j++) ws[j] = words[Math.floor(rnd() * words.length)];
    out.push(ws.join(' '));
  }
  return out;
}

/** Build all cases: { name: { texts: string[], tokens_per_text: number } } (unverified). */
export function buildCases(tokDir = TOKENIZER_DIR) {
  const words = loadWords(tokDir);
  const pool128 = makeTexts(words, 256, 128, 0x128);
  const pool512 = makeTexts(words, 32, 512, 0x512);
  const cases = {
    short: { texts: [SHORT_TEXT], tokens_per_text: 12 },
    b32x128: { texts: pool128.slice(0, 32), tokens_per_text: 128 },
    b256x128: { texts: pool128, tokens_per_text: 128 },
  };
  for (const b of [1, 2, 4, 8, 16, 32]) cases[`s512x${b}`] = { texts: pool512.slice(0, b), tokens_per_text: 512 };
  for (const c of Object.values(cases)) if (new Set(c.texts).size !== c.texts.length) throw new Error('duplicate texts');
  return cases;
}

/** Tokenize every text one by one (no padding, truncation at 512) and check the count; returns ids per case. */
export async function verifyCases(cases, tokDir = TOKENIZER_DIR) {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const tok = await AutoTokenizer.from_pretrained(path.resolve(tokDir), { local_files_only: true });
  const out = {};
  for (const [name, c] of Object.entries(cases)) {
    const rows = c.texts.map((t) => Array.from(tok.encode(t)));
    for (const [i, r] of rows.entries()) {
      if (r.length !== c.tokens_per_text) throw new Error(`${name}[${i}]: ${r.length} tokens, want ${c.tokens_per_text}`);
      if (r[0] !== 101 || r[r.length - 1] !== 102) throw new Error(`${name}[${i}]: missing [CLS]/[SEP]`);
    }
    out[name] = rows;
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const get = (k) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const tokDir = get('--tokenizer') || TOKENIZER_DIR;
  const cases = buildCases(tokDir);
  const ids = await verifyCases(cases, tokDir);
  const doc = {
    generator: 'bench/peer/inputs.mjs',
    tokenizer: 'all-MiniLM-L6-v2 (BERT uncased WordPiece), tokens include [CLS] and [SEP]; texts never need truncation at 512',
    ids_hash: 'FNV-1a 32-bit over all input_ids of the case (text by text, each id as uint32 little-endian), no padding',
    case_order: CASE_NAMES,
    cases: {},
  };
  for (const name of CASE_NAMES) {
    const c = cases[name];
    doc.cases[name] = {
      batch: c.texts.length,
      tokens_per_text: c.tokens_per_text,
      total_tokens: c.texts.length * c.tokens_per_text,
      ids_hash: idsHash(ids[name]),
      ...(name === 'short' ? { input_ids: ids[name] } : {}),
      texts: c.texts,
    };
  }
  const w = get('--write');
  if (w) {
    // One line per text / per id row (readable diffs, small file); any JSON parser reads it.
    const text = JSON.stringify(doc, (k, v) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? `@@${JSON.stringify(v)}@@` : v), 1)
      .replace(/"@@(\[[0-9,]*\])@@"/g, '$1');
    fs.writeFileSync(w, text + '\n');
    console.error(`wrote ${w} (${fs.statSync(w).size} bytes)`);
  }
  const summary = {};
  for (const name of CASE_NAMES) {
    const { batch, tokens_per_text, ids_hash } = doc.cases[name];
    summary[name] = { batch, tokens_per_text, ids_hash };
  }
  console.log(JSON.stringify(summary));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  });
}
