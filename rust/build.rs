//! Builds the C++ library (the repository's CMake tree, one directory up) with the `cmake` crate and links it
//! with the libraries it was configured with. GPUEMBED_BUILD_DIR=<existing CMake build folder> links that build
//! instead (CI reuses the native build of scripts/build.sh).
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn cache_value(cache: &str, key: &str) -> Option<String> {
    cache.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        let name = name.split(':').next()?;
        (name == key && !value.ends_with("-NOTFOUND") && !value.is_empty()).then(|| value.to_string())
    })
}

fn link_library_file(path: &Path) {
    // /usr/lib/x86_64-linux-gnu/libdnnl.so -> search path + "dnnl"
    let dir = path.parent().expect("library path has a folder");
    let stem = path.file_name().and_then(|s| s.to_str()).expect("library file name");
    let name = stem.trim_start_matches("lib").split(".so").next().unwrap().trim_end_matches(".a");
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib={name}");
}

// GPUEMBED_MODEL_NOT_FOUND -> ModelNotFound
fn camel_case(screaming: &str) -> String {
    screaming
        .split('_')
        .map(|w| w[..1].to_string() + &w[1..].to_ascii_lowercase())
        .collect()
}

/// The error codes of the C header's `gpuembed_status`, the one list of them, as an invocation of src/error.rs's
/// `error_codes!` (name = status, a trailing comment as the documentation) in $OUT_DIR/error_codes.rs.
fn write_error_codes(header: &Path) {
    let text = fs::read_to_string(header).unwrap_or_else(|e| panic!("{}: {e}", header.display()));
    let body = text
        .split_once("typedef enum gpuembed_status {")
        .and_then(|(_, rest)| rest.split_once("} gpuembed_status;"))
        .unwrap_or_else(|| panic!("{}: no `typedef enum gpuembed_status {{ ... }} gpuembed_status;`", header.display()))
        .0;
    let mut out = String::from("error_codes! {\n");
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (entry, doc) = match line.split_once("/*") {
            Some((entry, comment)) => (entry.trim(), comment.trim().trim_end_matches("*/").trim()),
            None => (line, ""),
        };
        let (name, value) = entry
            .trim_end_matches(',')
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: `{line}` is not `NAME = value,`", header.display()));
        let (name, value) = (name.trim(), value.trim());
        if name == "GPUEMBED_OK" {
            assert_eq!(value, "0", "{}: GPUEMBED_OK must be 0 (src/ffi.rs)", header.display());
            continue;
        }
        let name = name.strip_prefix("GPUEMBED_").expect("gpuembed_status values are GPUEMBED_*");
        if !doc.is_empty() {
            out += &format!("    #[doc = {doc:?}]\n");
        }
        out += &format!("    {} = {value},\n", camel_case(name));
    }
    out += "}\n";
    let path = PathBuf::from(env::var("OUT_DIR").unwrap()).join("error_codes.rs");
    fs::write(&path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().expect("rust/ sits in the gpuembed repository").to_path_buf();
    println!("cargo:rerun-if-env-changed=GPUEMBED_BUILD_DIR");
    for dir in ["src", "include", "cmake", "CMakeLists.txt"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    write_error_codes(&root.join("include/gpuembed/gpuembed_c.h"));

    let build_dir = match env::var("GPUEMBED_BUILD_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => cmake::Config::new(&root)
            .profile("Release") // the C++ engine is built optimized even for `cargo test` (debug Rust)
            .define("GPUEMBED_BUILD_TESTS", "OFF")
            .define("GPUEMBED_BUILD_BENCH", "OFF")
            .build_target("gpuembed")
            .build()
            .join("build"),
    };
    let cache = fs::read_to_string(build_dir.join("CMakeCache.txt"))
        .unwrap_or_else(|e| panic!("{}: {e} (not a CMake build folder?)", build_dir.join("CMakeCache.txt").display()));
    if !build_dir.join("libgpuembed.a").exists() {
        panic!("{}: libgpuembed.a is missing (build the `gpuembed` target)", build_dir.display());
    }
    println!("cargo:rustc-link-search=native={}", build_dir.display());
    println!("cargo:rustc-link-lib=static=gpuembed");
    // Oniguruma (cmake/onig.cmake), the tokenizers' regex engine, is a static library of the same build.
    if !build_dir.join("libgpuembed_onig.a").exists() {
        panic!("{}: libgpuembed_onig.a is missing (build the `gpuembed` target)", build_dir.display());
    }
    println!("cargo:rustc-link-lib=static=gpuembed_onig");

    // The optional engines the CMake configuration found (cmake/cpu_engine.cmake) and the fixed dependencies.
    if let Some(dnnl) = cache_value(&cache, "DNNL_LIBRARY") {
        link_library_file(Path::new(&dnnl));
    }
    if let Some(gomp) = cache_value(&cache, "OpenMP_gomp_LIBRARY") {
        link_library_file(Path::new(&gomp));
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");
    println!("cargo:rustc-link-lib=dylib=pthread");
}
