//! Embeds the page templates (`templates/**/*.hbs`) and the static files (`assets/overdrag.css`
//! and `assets/vendor/**`) into the binary: writes `$OUT_DIR/embedded.rs` with one
//! `include_bytes!`/`include_str!` per file, so a file added to those folders is served and
//! registered without touching Rust code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let templates_dir = root.join("templates");
    let vendor_dir = root.join("assets").join("vendor");
    let own_css = root.join("assets").join("overdrag.css");
    for watched in [&templates_dir, &vendor_dir, &own_css] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }

    let mut code = String::from("/// Page templates: (name without `.hbs`, source).\n");
    code.push_str("pub static TEMPLATES: &[(&str, &str)] = &[\n");
    let mut found = Vec::new();
    files(&templates_dir, &mut found);
    for path in found
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "hbs"))
    {
        let name = relative(path, &templates_dir);
        let name = name.trim_end_matches(".hbs");
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", path.display());
    }
    code.push_str("];\n\n/// Static files: (path under /static/, bytes).\n");
    code.push_str("pub static STATIC_FILES: &[(&str, &[u8])] = &[\n");
    let _ = writeln!(
        code,
        "    (\"overdrag.css\", include_bytes!({:?})),",
        own_css.display()
    );
    let mut found = Vec::new();
    files(&vendor_dir, &mut found);
    for path in &found {
        let name = relative(path, &vendor_dir);
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(error) = std::fs::write(&out, code) {
        panic!("cannot write {}: {error}", out.display());
    }
}
