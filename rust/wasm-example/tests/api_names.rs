//! The names the extern block imports exist on `class GpuEmbedder` of js/gpuembed.d.ts (the npm package's types),
//! so a rename on the JS side fails here instead of at run time in a browser.
use std::path::PathBuf;

fn imported_names(source: &str) -> Vec<(String, bool)> {
    // (JS name, is a getter) for every fn in the `extern "C"` block.
    let block = source.split("extern \"C\" {").nth(1).expect("extern block").split("\n}\n").next().unwrap();
    let mut names = Vec::new();
    let (mut js_name, mut getter) = (None, false);
    for line in block.lines().map(str::trim) {
        if line.starts_with("#[wasm_bindgen(") {
            getter = line.contains("getter");
            js_name = line.split("js_name = ").nth(1).map(|s| s.trim_end_matches(")]").trim_end_matches(',').to_string());
        } else if let Some(rest) = line.strip_prefix("fn ") {
            let rust_name = rest.split('(').next().unwrap();
            names.push((js_name.take().unwrap_or_else(|| rust_name.to_string()), getter));
            getter = false;
        }
    }
    names
}

#[test]
fn imports_match_the_typescript_declarations() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let dts = std::fs::read_to_string(root.join("../../js/gpuembed.d.ts")).unwrap();
    let class = dts.split("export class GpuEmbedder ").nth(1).expect("class GpuEmbedder").split("\n}\n").next().unwrap();
    let names = imported_names(&source);
    assert!(names.len() >= 6, "{names:?}");
    for (name, getter) in names {
        let declared = if getter {
            class.contains(&format!("readonly {name}:"))
        } else {
            class.contains(&format!(" {name}("))
        };
        assert!(declared, "GpuEmbedder.{name} (getter: {getter}) is not declared in js/gpuembed.d.ts");
    }
    assert!(dts.contains("export default GpuEmbedder") || dts.contains("export class GpuEmbedder"));
}
