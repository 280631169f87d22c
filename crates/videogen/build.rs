//! Reads the model catalogue (`src/catalog/*.toml`), checks every row (known names, dates,
//! sources; see `src/catalog/schema.rs`) and writes the checked rows as JSON to
//! `$OUT_DIR/catalog.json`, which the crate embeds. A malformed catalogue fails the build with
//! every problem listed.

#[path = "src/catalog/schema.rs"]
#[allow(dead_code)]
mod schema;

use std::path::Path;

fn main() {
    let dir = Path::new("src/catalog");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("src/catalog exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in &names {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match toml::from_str::<schema::CatalogFile>(&text) {
            Ok(file) => {
                let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok();
                problems.extend(schema::problems(&name, &file, &parse));
                files.push((name, file));
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if !problems.is_empty() {
        panic!("the model catalogue (src/catalog) has problems:\n  {}", problems.join("\n  "));
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalog.json");
    let json = serde_json::to_string(&files).expect("serializable");
    std::fs::write(&out, json).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
