//! The C ABI of include/gpuembed/gpuembed_c.h, declared by hand (it is small and stable).
#![allow(non_camel_case_types)]
use std::os::raw::{c_char, c_int};

pub type gpuembed_status = c_int;
pub const GPUEMBED_OK: gpuembed_status = 0;

#[repr(C)]
pub struct gpuembed_embedder {
    _private: [u8; 0],
}
#[repr(C)]
pub struct gpuembed_index {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gpuembed_options {
    pub threads: i32,
    pub precision: i32,
    pub max_batch: usize,
    pub normalize: i32,
    pub max_seq_length: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct gpuembed_hit {
    pub id: usize,
    pub score: f32,
}

extern "C" {
    pub fn gpuembed_default_options() -> gpuembed_options;
    pub fn gpuembed_last_error_message() -> *const c_char;
    pub fn gpuembed_load(model_dir: *const c_char, options: *const gpuembed_options, out: *mut *mut gpuembed_embedder)
        -> gpuembed_status;
    pub fn gpuembed_free(embedder: *mut gpuembed_embedder);
    pub fn gpuembed_dimension(embedder: *const gpuembed_embedder) -> usize;
    pub fn gpuembed_embed_batch(embedder: *mut gpuembed_embedder, texts: *const *const c_char, lengths: *const usize,
                                count: usize, out: *mut f32) -> gpuembed_status;
    pub fn gpuembed_tokenize(embedder: *const gpuembed_embedder, text: *const c_char, length: usize, ids: *mut i32,
                             capacity: usize, count: *mut usize) -> gpuembed_status;
    pub fn gpuembed_index_new(dimension: usize, out: *mut *mut gpuembed_index) -> gpuembed_status;
    pub fn gpuembed_index_free(index: *mut gpuembed_index);
    pub fn gpuembed_index_size(index: *const gpuembed_index) -> usize;
    pub fn gpuembed_index_dimension(index: *const gpuembed_index) -> usize;
    pub fn gpuembed_index_add(index: *mut gpuembed_index, rows: *const f32, count: usize) -> gpuembed_status;
    pub fn gpuembed_index_search(index: *const gpuembed_index, query: *const f32, k: usize, hits: *mut gpuembed_hit,
                                 found: *mut usize) -> gpuembed_status;
    pub fn gpuembed_index_save(index: *const gpuembed_index, path: *const c_char, float16: i32) -> gpuembed_status;
    pub fn gpuembed_index_load(path: *const c_char, out: *mut *mut gpuembed_index) -> gpuembed_status;
}
