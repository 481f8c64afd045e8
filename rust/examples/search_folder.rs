//! Indexes a folder of text files (each paragraph, i.e. text between blank lines, is one passage) and searches it.
//!
//!     cargo run --release --example search_folder -- MODEL_DIR FOLDER "your question" [K]
//!
//! Prints the K best passages as `score  file#paragraph  text`.
use std::path::PathBuf;
use std::process::ExitCode;

use gpuembed::{Embedder, Index};

struct Passage {
    file: String,
    paragraph: usize,
    text: String,
}

fn read_passages(folder: &PathBuf) -> std::io::Result<Vec<Passage>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut passages = Vec::new();
    for path in files {
        let content = std::fs::read_to_string(&path)?;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let paragraphs = content.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
        for (i, text) in paragraphs.enumerate() {
            passages.push(Passage { file: name.clone(), paragraph: i + 1, text: text.to_string() });
        }
    }
    Ok(passages)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err(format!("usage: {} MODEL_DIR FOLDER QUERY [K]", args[0]).into());
    }
    let k: usize = args.get(4).map_or(Ok(3), |s| s.parse())?;
    let embedder = Embedder::load(&args[1])?;
    let passages = read_passages(&PathBuf::from(&args[2]))?;
    if passages.is_empty() {
        return Err(format!("{}: no .txt files with text", args[2]).into());
    }

    let mut index = Index::new(embedder.dimension())?;
    for chunk in passages.chunks(256) {
        let texts: Vec<&str> = chunk.iter().map(|p| p.text.as_str()).collect();
        index.add(&embedder.embed_batch_flat(&texts)?)?;
    }
    eprintln!("indexed {} passages", index.len());

    for hit in index.search(&embedder.embed(&args[3])?, k)? {
        let p = &passages[hit.id];
        let line = p.text.lines().next().unwrap_or("");
        println!("{:.4}  {}#{}  {}", hit.score, p.file, p.paragraph, line);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
