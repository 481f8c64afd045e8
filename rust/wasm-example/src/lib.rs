//! A Rust (wasm-bindgen) view of the gpuembed npm package's `GpuEmbedder` (js/gpuembed.d.ts), for code bases that
//! compile to wasm32 and run in the browser: embeddings on WebGPU, or the WASM CPU path without an adapter.
//!
//! ```ignore
//! let e = BrowserEmbedder::load("https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/").await?;
//! let v: Vec<f32> = e.embed("The quick brown fox").await?;
//! let m: Vec<Vec<f32>> = e.embed_batch(&["first", "second"]).await?;
//! ```
use js_sys::{Array, Float32Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "gpuembed")]
extern "C" {
    /// `class GpuEmbedder` of js/gpuembed.mjs.
    #[derive(Clone)]
    pub type GpuEmbedder;

    /// `GpuEmbedder.create(options?: CreateOptions): Promise<GpuEmbedder>`
    #[wasm_bindgen(static_method_of = GpuEmbedder)]
    fn create(options: &JsValue) -> Promise;

    /// `loadModel(source: string | URL | ModelFiles, options?: LoadOptions): Promise<ModelInfo>`
    #[wasm_bindgen(method, js_name = loadModel)]
    fn load_model(this: &GpuEmbedder, source: &str) -> Promise;

    /// `embed(text: string): Promise<Float32Array>`
    #[wasm_bindgen(method)]
    fn embed(this: &GpuEmbedder, text: &str) -> Promise;

    /// `embedBatchFlat(texts: Iterable<string>): Promise<Float32Array>` (row i = texts[i])
    #[wasm_bindgen(method, js_name = embedBatchFlat)]
    fn embed_batch_flat(this: &GpuEmbedder, texts: &Array) -> Promise;

    /// `readonly dimension: number`
    #[wasm_bindgen(method, getter)]
    fn dimension(this: &GpuEmbedder) -> u32;

    /// `readonly backend: 'webgpu' | 'cpu' | null` (what actually runs)
    #[wasm_bindgen(method, getter)]
    fn backend(this: &GpuEmbedder) -> Option<String>;

    /// `dispose(): Promise<void>`
    #[wasm_bindgen(method)]
    fn dispose(this: &GpuEmbedder) -> Promise;
}

/// Errors are the JS `GpuEmbedderError` objects; `code` is one of js/gpuembed.d.ts's ErrorCode strings.
pub fn error_code(error: &JsValue) -> Option<String> {
    Reflect::get(error, &JsValue::from_str("code")).ok()?.as_string()
}

/// An embedder running in the browser through the npm package.
pub struct BrowserEmbedder {
    inner: GpuEmbedder,
}

impl BrowserEmbedder {
    /// Creates a GpuEmbedder (backend 'auto': WebGPU when an adapter exists) and loads a model folder URL.
    pub async fn load(model_url: &str) -> Result<Self, JsValue> {
        let options = Object::new();
        Reflect::set(&options, &JsValue::from_str("backend"), &JsValue::from_str("auto"))?;
        let inner: GpuEmbedder = JsFuture::from(GpuEmbedder::create(&options)).await?.unchecked_into();
        JsFuture::from(inner.load_model(model_url)).await?;
        Ok(BrowserEmbedder { inner })
    }

    pub fn dimension(&self) -> usize {
        self.inner.dimension() as usize
    }

    /// "webgpu" or "cpu".
    pub fn backend(&self) -> Option<String> {
        self.inner.backend()
    }

    pub async fn embed(&self, text: &str) -> Result<Vec<f32>, JsValue> {
        let v: Float32Array = JsFuture::from(self.inner.embed(text)).await?.unchecked_into();
        Ok(v.to_vec())
    }

    pub async fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, JsValue> {
        let array: Array = texts.iter().map(|t| JsValue::from_str(t)).collect();
        let flat: Float32Array = JsFuture::from(self.inner.embed_batch_flat(&array)).await?.unchecked_into();
        let dim = self.dimension().max(1);
        Ok(flat.to_vec().chunks_exact(dim).map(<[f32]>::to_vec).collect())
    }

    pub async fn dispose(self) -> Result<(), JsValue> {
        JsFuture::from(self.inner.dispose()).await.map(|_| ())
    }
}

/// Exported to JS for a quick check from a page: embeds `texts` with the model at `model_url` and returns the
/// embeddings as one Float32Array (row-major).
#[wasm_bindgen]
pub async fn embed_texts(model_url: String, texts: Vec<String>) -> Result<Float32Array, JsValue> {
    let e = BrowserEmbedder::load(&model_url).await?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rows = e.embed_batch(&refs).await?;
    let flat: Vec<f32> = rows.into_iter().flatten().collect();
    e.dispose().await?;
    Ok(Float32Array::from(flat.as_slice()))
}
