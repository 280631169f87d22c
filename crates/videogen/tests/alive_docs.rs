//! No README example, `--help` text, crate doc or example program names a retired model, except
//! on a line that is about retirement: every model-like word in those places is checked against
//! the model catalogue's lifecycle as of today.

use videogen::{Error, Provider, models};

/// The files a newcomer reads, relative to this crate.
const PLACES: &[&str] = &[
    "../../README.md",
    "src/lib.rs",
    "src/client.rs",
    "src/request.rs",
    "src/models.rs",
    "examples",
    "../videogen-cli/src/main.rs",
    "../videogen-cli/src/request.rs",
    "../videogen-cli/tests/snapshots",
];

/// Words that make a line about retirement (where naming a retired model is the point).
const ABOUT_RETIREMENT: &[&str] =
    &["retire", "shut", "no longer", "deprecat", "allow-retired", "allow_retired", "sora-2*"];

fn files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for place in PLACES {
        let path = root.join(place);
        let paths: Vec<std::path::PathBuf> = if path.is_dir() {
            std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()).collect()
        } else {
            vec![path]
        };
        for p in paths {
            let name = p.display().to_string();
            // The help of every command is held by the golden files; other outputs may show refusals.
            if p.is_dir() || (name.contains("snapshots") && !name.contains("help")) {
                continue;
            }
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

#[test]
fn no_doc_or_example_names_a_retired_model() {
    let today = chrono::Utc::now().date_naive();
    let mut found = Vec::new();
    let mut checked = 0;
    for (name, text) in files() {
        // The Rust tests of these files (unit tests below `#[cfg(test)]`) may name retired models.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            if ABOUT_RETIREMENT.iter().any(|w| lower.contains(w)) {
                continue;
            }
            let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)));
            for word in words.filter(|w| w.contains('-') && w.len() > 3) {
                let word = word.trim_matches(|c: char| c == '.' || c == '-');
                for provider in Provider::ALL {
                    checked += 1;
                    if let Err(Error::ModelRetired { .. }) = models::check_lifecycle(provider, word, today) {
                        found.push(format!("{name}:{}: {word} ({provider}): {line}", n + 1));
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "the scan read the files ({checked} checks)");
    assert!(found.is_empty(), "retired models named outside a note about retirement:\n{}", found.join("\n"));
}

#[test]
fn the_scan_finds_a_retired_model() {
    let today = chrono::Utc::now().date_naive();
    assert!(matches!(
        models::check_lifecycle(Provider::AiHubMix, "veo-3.1-generate-preview", today),
        Err(Error::ModelRetired { .. })
    ));
}
