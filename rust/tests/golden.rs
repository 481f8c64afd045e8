//! The crate against sentence-transformers' golden files (tests/golden, as tests/golden_test.cpp uses them):
//! token ids identical, sentence embeddings within 1e-4, batch independence; errors and their codes; threads.
use std::path::PathBuf;

use gpuembed::{Embedder, Error, ErrorCode, Index, Options};
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn model_dir(name: &str) -> PathBuf {
    repo().join(".cache/models").join(name)
}

fn golden(name: &str) -> Value {
    let shared = std::env::var_os("GPUEMBED_SHARED_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("tests"));
    let path = shared.join("golden").join(format!("{name}.shared.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn sentences(g: &Value) -> &Vec<Value> {
    g["sentences"].as_array().unwrap()
}

fn check_model(name: &str) {
    let g = golden(name);
    let e = Embedder::load(model_dir(name)).unwrap();
    assert_eq!(e.dimension() as u64, g["dim"].as_u64().unwrap());
    let texts: Vec<&str> = sentences(&g).iter().map(|s| s["text"].as_str().unwrap()).collect();

    for (s, text) in sentences(&g).iter().zip(&texts) {
        let want: Vec<i32> = s["input_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i32).collect();
        assert_eq!(e.tokenize(text).unwrap(), want, "token ids of {text:?}");
    }

    let rows = e.embed_batch(&texts).unwrap();
    assert_eq!(rows.len(), texts.len());
    let mut max_abs = 0f64;
    for (row, s) in rows.iter().zip(sentences(&g)) {
        let want = s["embedding"].as_array().unwrap();
        assert_eq!(row.len(), want.len());
        for (a, b) in row.iter().zip(want) {
            max_abs = max_abs.max((f64::from(*a) - b.as_f64().unwrap()).abs());
        }
    }
    println!("[rust golden] {name}: {} sentences, max abs error {max_abs:.3e}", texts.len());
    assert!(max_abs < 1e-4, "{name}: max abs error {max_abs}");

    let mut batch_vs_single = 0f32;
    for i in (0..texts.len()).step_by(7) {
        let single = e.embed(texts[i]).unwrap();
        for (a, b) in single.iter().zip(&rows[i]) {
            batch_vs_single = batch_vs_single.max((a - b).abs());
        }
    }
    assert!(batch_vs_single <= 1e-6, "{name}: batched vs single differ by {batch_vs_single}");
}

#[test]
fn minilm_l6_random_matches_golden() {
    check_model("minilm-l6-random");
}

#[test]
fn tiny_bert_cls_matches_golden() {
    check_model("tiny-bert-cls");
}

#[test]
fn errors_carry_the_cpp_codes() {
    assert_eq!(ErrorCode::ModelNotFound as i32, 0);
    assert_eq!(ErrorCode::Internal as i32, 5);
    assert_eq!(ErrorCode::OutOfMemory as i32, 6);
    let missing = Embedder::load(repo().join("no-such-model")).err().unwrap();
    assert!(matches!(missing, Error::ModelNotFound(ref m) if m.contains("no-such-model")), "{missing}");
    assert_eq!(missing.code(), ErrorCode::ModelNotFound);

    let dir = std::env::temp_dir().join(format!("gpuembed-rust-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), "{not json").unwrap();
    std::fs::write(dir.join("model.safetensors"), [0u8; 16]).unwrap();
    let invalid = Embedder::load(&dir).err().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(invalid.code(), ErrorCode::ModelInvalid, "{invalid}");

    let opts = Options { max_seq_length: 1, ..Options::default() };
    let bad = Embedder::load_with(model_dir("minilm-l6-random"), &opts).err().unwrap();
    assert_eq!(bad.code(), ErrorCode::InvalidInput, "{bad}");

    let e = Embedder::load(model_dir("minilm-l6-random")).unwrap();
    let huge = "x".repeat(64 * 1024 * 1024 + 1);
    let err = e.embed(&huge).err().unwrap();
    assert!(matches!(err, Error::InvalidInput(ref m) if m.contains("exceeds the limit")), "{err}");
    assert!(Embedder::load("bad\0path").is_err());

    let mut index = Index::new(e.dimension()).unwrap();
    assert_eq!(index.add(&[1.0, 2.0]).err().unwrap().code(), ErrorCode::InvalidInput);
    assert_eq!(index.search(&[1.0], 1).err().unwrap().code(), ErrorCode::InvalidInput);
    assert_eq!(Index::new(0).err().unwrap().code(), ErrorCode::InvalidInput);
    assert_eq!(Index::load(repo().join("absent.gpeidx")).err().unwrap().code(), ErrorCode::ModelNotFound);
}

#[test]
fn index_search_save_load() {
    let e = Embedder::load(model_dir("minilm-l6-random")).unwrap();
    let passages = ["How to bake bread", "Stock markets fell", "Cats sleep a lot", "Sourdough loaf recipe"];
    let mut index = Index::new(e.dimension()).unwrap();
    index.add(&e.embed_batch_flat(&passages).unwrap()).unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(index.dimension(), e.dimension());
    let q = e.embed("bread recipe").unwrap();
    let hits = index.search(&q, 10).unwrap();
    assert_eq!(hits.len(), 4);
    // Scores are cosines computed here independently, best first.
    let cos = |a: &[f32], b: &[f32]| {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        let n = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        dot / (n(a) * n(b))
    };
    let rows = e.embed_batch(&passages).unwrap();
    for w in hits.windows(2) {
        assert!(w[0].score >= w[1].score);
    }
    for h in &hits {
        assert!((f64::from(h.score) - cos(&q, &rows[h.id])).abs() < 1e-5);
    }
    let path = std::env::temp_dir().join(format!("gpuembed-rust-{}.gpeidx", std::process::id()));
    index.save(&path, false).unwrap();
    let loaded = Index::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.search(&q, 4).unwrap(), hits);
}

#[test]
fn embedder_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
    assert_send_sync::<Index>();
    let e = Embedder::load(model_dir("minilm-l6-random")).unwrap();
    let texts: Vec<String> = (0..24).map(|i| format!("sentence number {i} for the thread test")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let want = e.embed_batch(&refs).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(|| e.embed_batch(&refs).unwrap())).collect();
        for h in handles {
            let got = h.join().unwrap();
            for (a, b) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!((a - b).abs() <= 1e-6);
            }
        }
    });
}
