//! Embeds the knowledge base: every `kb/**/*.toml` becomes a `(path, include_str!(..))` pair, so
//! the library and the binary work from any folder with no files beside them (as bat embeds its
//! syntaxes). The files are parsed and validated when the KB is first used, and a test checks
//! that the embedded KB loads without a problem.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let kb = root.join("kb");
    println!("cargo:rerun-if-changed=kb");
    let mut files = Vec::new();
    collect(&kb, &mut files);
    files.sort();
    let mut out = String::from("pub(crate) const EMBEDDED_FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .expect("below the manifest dir")
            .to_string_lossy()
            .replace('\\', "/");
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded_kb.rs");
    std::fs::write(dest, out).expect("write embedded_kb.rs");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(items) = std::fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        let path = item.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}
