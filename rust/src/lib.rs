//! gpuembed: sentence embeddings from sentence-transformers model folders (all-MiniLM-L6-v2 and its kin) on the
//! native C++ engine of the gpuembed repository, through its C ABI (`include/gpuembed/gpuembed_c.h`).
//!
//! ```no_run
//! let e = gpuembed::Embedder::load("models/all-MiniLM-L6-v2")?;
//! let v: Vec<f32> = e.embed("The quick brown fox")?;              // e.dimension() floats
//! let m: Vec<Vec<f32>> = e.embed_batch(&["first", "second"])?;
//! let mut index = gpuembed::Index::new(e.dimension())?;
//! index.add(&e.embed_batch_flat(&["a passage", "another passage"])?)?;
//! let hits = index.search(&e.embed("a question")?, 5)?;          // [Hit { id, score }], best first
//! # Ok::<(), gpuembed::Error>(())
//! ```
//! [`Embedder`] and [`Index`] are `Send + Sync`: the C++ embedder serializes inference with a mutex, tokenizing is
//! read-only, and an index is only changed through `&mut`.
mod error;
mod ffi;

use std::ffi::CString;
use std::path::Path;
use std::ptr::NonNull;

pub use error::{Error, ErrorCode, Result};
use error::check;

/// Numeric precision of the matrix multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    /// Exact float32 arithmetic.
    #[default]
    Fp32,
    /// bfloat16 matmuls with float32 accumulation where the CPU has native support (else fp32).
    Bf16,
}

/// Load options (the C++ `gpuembed::Options`).
#[derive(Clone, Debug)]
pub struct Options {
    /// 0: automatic (all cores or one, whichever measures faster); N: exactly N.
    pub threads: u32,
    pub precision: Precision,
    /// Texts per forward pass (texts are bucketed by length first).
    pub max_batch: usize,
    /// `None`: as the model's modules.json says; `Some(b)`: always / never L2-normalize.
    pub normalize: Option<bool>,
    /// 0: sentence_bert_config.json's value; else tokens per text.
    pub max_seq_length: usize,
}

impl Default for Options {
    fn default() -> Self {
        // SAFETY: a plain function returning a struct by value.
        let d = unsafe { ffi::gpuembed_default_options() };
        Options {
            threads: d.threads.max(0) as u32,
            precision: Precision::Fp32,
            max_batch: d.max_batch,
            normalize: None,
            max_seq_length: d.max_seq_length,
        }
    }
}

fn c_string(what: &str, bytes: Vec<u8>) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::InvalidInput(format!("{what} contains a NUL byte")))
}

fn path_c_string(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    c_string("path", bytes)
}

/// A loaded sentence-transformers model.
pub struct Embedder {
    raw: NonNull<ffi::gpuembed_embedder>,
    dimension: usize,
}

// SAFETY: the C++ Embedder serializes embed calls with its own mutex and tokenize only reads immutable state.
unsafe impl Send for Embedder {}
unsafe impl Sync for Embedder {}

impl Embedder {
    /// Loads a Hugging Face sentence-transformers folder as it is (config.json, model.safetensors, tokenizer files,
    /// modules.json, ...).
    pub fn load(model_dir: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(model_dir, &Options::default())
    }

    pub fn load_with(model_dir: impl AsRef<Path>, options: &Options) -> Result<Self> {
        let path = path_c_string(model_dir.as_ref())?;
        let threads = i32::try_from(options.threads)
            .map_err(|_| Error::InvalidInput(format!("threads {} is too large", options.threads)))?;
        let c = ffi::gpuembed_options {
            threads,
            precision: match options.precision {
                Precision::Fp32 => 0,
                Precision::Bf16 => 1,
            },
            max_batch: options.max_batch,
            normalize: options.normalize.map_or(-1, i32::from),
            max_seq_length: options.max_seq_length,
        };
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated path, options struct and out pointer for the duration of the call.
        check(unsafe { ffi::gpuembed_load(path.as_ptr(), &c, &mut raw) })?;
        let raw = NonNull::new(raw).ok_or_else(|| Error::Internal("gpuembed_load returned no embedder".into()))?;
        // SAFETY: raw is a live embedder.
        let dimension = unsafe { ffi::gpuembed_dimension(raw.as_ptr()) };
        Ok(Embedder { raw, dimension })
    }

    /// Length of each embedding.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// One text's embedding (`dimension()` floats).
    pub fn embed(&self, text: &str) -> Result<Vec<f32>> {
        self.embed_batch_flat(&[text])
    }

    /// One embedding per text, in input order.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let flat = self.embed_batch_flat(texts)?;
        Ok(flat.chunks_exact(self.dimension.max(1)).map(<[f32]>::to_vec).collect())
    }

    /// `texts.len() * dimension()` floats, row i for texts[i] (the layout [`Index::add`] takes).
    pub fn embed_batch_flat(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let ptrs: Vec<*const std::os::raw::c_char> = texts.iter().map(|t| t.as_ptr().cast()).collect();
        let lens: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let mut out = vec![0f32; texts.len() * self.dimension];
        // SAFETY: ptrs/lens describe texts.len() live UTF-8 slices; out holds texts.len() * dimension floats.
        check(unsafe {
            ffi::gpuembed_embed_batch(self.raw.as_ptr(), ptrs.as_ptr(), lens.as_ptr(), texts.len(), out.as_mut_ptr())
        })?;
        Ok(out)
    }

    /// Token ids as the model sees them ([CLS] ... [SEP], truncated at max_seq_length).
    pub fn tokenize(&self, text: &str) -> Result<Vec<i32>> {
        let mut ids = vec![0i32; 64];
        loop {
            let mut count = 0usize;
            // SAFETY: text is a live slice; ids has ids.len() writable elements.
            check(unsafe {
                ffi::gpuembed_tokenize(self.raw.as_ptr(), text.as_ptr().cast(), text.len(), ids.as_mut_ptr(), ids.len(),
                                       &mut count)
            })?;
            if count <= ids.len() {
                ids.truncate(count);
                return Ok(ids);
            }
            ids.resize(count, 0);
        }
    }
}

impl Drop for Embedder {
    fn drop(&mut self) {
        // SAFETY: raw came from gpuembed_load and is freed once.
        unsafe { ffi::gpuembed_free(self.raw.as_ptr()) }
    }
}

/// A search result: the row id (insertion order from 0) and its cosine similarity to the query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: usize,
    pub score: f32,
}

/// Exact cosine-similarity search over stored vectors (the C++ `gpuembed::Index`; its files are shared with the
/// C++ API, the CLI and the JS package).
pub struct Index {
    raw: NonNull<ffi::gpuembed_index>,
}

// SAFETY: search only reads; add needs &mut self.
unsafe impl Send for Index {}
unsafe impl Sync for Index {}

impl Index {
    pub fn new(dimension: usize) -> Result<Self> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: out pointer valid for the call.
        check(unsafe { ffi::gpuembed_index_new(dimension, &mut raw) })?;
        Ok(Index { raw: NonNull::new(raw).ok_or_else(|| Error::Internal("no index".into()))? })
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path_c_string(path.as_ref())?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid path and out pointer.
        check(unsafe { ffi::gpuembed_index_load(path.as_ptr(), &mut raw) })?;
        Ok(Index { raw: NonNull::new(raw).ok_or_else(|| Error::Internal("no index".into()))? })
    }

    pub fn len(&self) -> usize {
        // SAFETY: live index.
        unsafe { ffi::gpuembed_index_size(self.raw.as_ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends rows (a multiple of the dimension, e.g. from [`Embedder::embed_batch_flat`]); stored L2-normalized.
    pub fn add(&mut self, rows: &[f32]) -> Result<()> {
        let dim = self.dimension();
        if rows.len() % dim != 0 {
            return Err(Error::InvalidInput(format!(
                "Index::add: {} values are not a whole number of {dim}-d rows",
                rows.len()
            )));
        }
        // SAFETY: rows holds (rows.len() / dim) * dim floats.
        check(unsafe { ffi::gpuembed_index_add(self.raw.as_ptr(), rows.as_ptr(), rows.len() / dim) })
    }

    /// The k best rows for `query` (a vector of the index's dimension), best first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>> {
        let dim = self.dimension();
        if query.len() != dim {
            return Err(Error::InvalidInput(format!("query has {} values, index dimension is {dim}", query.len())));
        }
        let mut hits = vec![ffi::gpuembed_hit::default(); k.min(self.len())];
        let mut found = 0usize;
        // SAFETY: query holds dim floats, hits has room for hits.len() results.
        check(unsafe {
            ffi::gpuembed_index_search(self.raw.as_ptr(), query.as_ptr(), hits.len(), hits.as_mut_ptr(), &mut found)
        })?;
        Ok(hits[..found].iter().map(|h| Hit { id: h.id, score: h.score }).collect())
    }

    /// Writes the index file (float16 halves it; values are rounded to nearest even).
    pub fn save(&self, path: impl AsRef<Path>, float16: bool) -> Result<()> {
        let path = path_c_string(path.as_ref())?;
        // SAFETY: live index, valid path.
        check(unsafe { ffi::gpuembed_index_save(self.raw.as_ptr(), path.as_ptr(), i32::from(float16)) })
    }

    /// Length of each stored vector.
    pub fn dimension(&self) -> usize {
        // SAFETY: live index.
        unsafe { ffi::gpuembed_index_dimension(self.raw.as_ptr()) }
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        // SAFETY: raw came from gpuembed_index_new/load and is freed once.
        unsafe { ffi::gpuembed_index_free(self.raw.as_ptr()) }
    }
}
