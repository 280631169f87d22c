//! Workspace tasks.
//!
//! - `cargo xtask regen`: rebuild every `specs/<api>/openapi.json` from `upstream.yaml` +
//!   `overlay.yaml`, and every `crates/videogen-<api>/src/generated.rs` from its contract.
//! - `cargo xtask regen --check`: change nothing; exit 1 with a readable diff when a committed
//!   output is stale, naming the input that changed.
//! - `cargo xtask ci`: the project's test command (fmt, clippy, regen --check, all tests, then
//!   schemathesis and Prism against the simulator).

mod bench;
mod codegen;
mod contract;
mod report;
mod spec;
mod update;

use spec::{APIS, Api, Inputs};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  regen            rebuild specs/*/openapi.json and crates/videogen-*/src/generated.rs
  regen --check    change nothing; fail with a diff when a committed output is stale
  spec update <api> [--from FILE|URL] [--check] [--commit SHA --commit-date DATE]
                   cut the subset declared in specs/<api>/source.toml out of a newly published
                   spec (default: its `url`), print what changed (breaking or not), write
                   upstream.yaml and source.toml and regenerate; --check writes nothing
  bench [--quick]  benchmarks against baselines (writes BENCHMARKS.md; --quick only checks it runs)
  ci               the test command: cargo fmt --check, clippy -D warnings, regen --check,
                   cargo test, then schemathesis and Prism against the simulator
                   (tools installed from pinned lists on first use)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["regen"] => regen(&workspace_root(), Mode::Write),
        ["regen", "--check"] => regen(&workspace_root(), Mode::Check),
        ["ci"] => ci(&workspace_root()),
        ["spec", "update", rest @ ..] => update::run(&workspace_root(), rest),
        ["bench"] => bench::run(&workspace_root(), &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()), false),
        ["bench", "--quick"] => {
            bench::run(&workspace_root(), &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()), true)
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown arguments {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace root").to_path_buf()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// The two outputs of one API, as text.
struct Outputs {
    contract: String,
    generated: String,
}

fn build_outputs(api: &Api, inputs: &Inputs) -> Result<Outputs, String> {
    let doc = spec::build_contract(api, inputs)?;
    let contract = spec::contract_text(&doc);
    let generated = codegen::generate(api, &doc, &contract)?;
    Ok(Outputs { contract, generated })
}

pub(crate) fn regen(root: &Path, mode: Mode) -> Result<(), String> {
    let mut stale = Vec::new();
    for api in APIS {
        let inputs = Inputs::read(api, root)?;
        let source_problem = check_source_toml(api, root, &inputs)?;
        let outputs = build_outputs(api, &inputs)?;
        let files = [(api.contract_path(root), &outputs.contract), (api.generated_path(root), &outputs.generated)];
        match mode {
            Mode::Write => {
                if let Some(problem) = source_problem {
                    return Err(problem);
                }
                for (path, text) in files {
                    let old = std::fs::read_to_string(&path).unwrap_or_default();
                    if old != *text {
                        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
                        println!("wrote {}", rel(root, &path));
                    } else {
                        println!("unchanged {}", rel(root, &path));
                    }
                }
            }
            Mode::Check => {
                if let Some(problem) = source_problem {
                    stale.push(problem);
                }
                let changed_inputs = changed_inputs(api, root, &inputs);
                for (path, text) in files {
                    let old = std::fs::read_to_string(&path).unwrap_or_default();
                    if old != *text {
                        let because = if changed_inputs.is_empty() {
                            String::new()
                        } else {
                            format!(" (changed since the last regen: {})", changed_inputs.join(", "))
                        };
                        stale.push(format!(
                            "{} is stale{because}; run `cargo xtask regen`.\n{}",
                            rel(root, &path),
                            readable_diff(&rel(root, &path), &old, text)
                        ));
                    }
                }
            }
        }
    }
    if stale.is_empty() {
        if mode == Mode::Check {
            println!("regen --check: specs/*/openapi.json and crates/*/src/generated.rs are up to date");
        }
        Ok(())
    } else {
        Err(stale.join("\n"))
    }
}

/// `source.toml` records the sha256 of `upstream.yaml`; a mismatch means the vendored spec was
/// edited (or re-vendored) without updating its provenance.
fn check_source_toml(api: &Api, root: &Path, inputs: &Inputs) -> Result<Option<String>, String> {
    let path = api.source_path(root);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let actual = spec::sha256_hex(&inputs.upstream);
    Ok(match spec::recorded_upstream_sha(&text) {
        Some(recorded) if recorded == actual => None,
        Some(recorded) => Some(format!(
            "specs/{name}/upstream.yaml has sha256 {actual} but specs/{name}/source.toml records {recorded}: \
             upstream.yaml must stay the provider's spec as published; put corrections in overlay.yaml",
            name = api.name
        )),
        None => Some(format!("specs/{}/source.toml has no sha256 line", api.name)),
    })
}

/// The inputs whose sha256 differs from the one recorded in the committed `openapi.json`.
fn changed_inputs(api: &Api, root: &Path, inputs: &Inputs) -> Vec<String> {
    let committed: serde_json::Value =
        std::fs::read(api.contract_path(root)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let recorded = &committed["info"]["x-videogen-inputs"];
    [("upstream.yaml", &inputs.upstream), ("overlay.yaml", &inputs.overlay)]
        .into_iter()
        .filter(|(name, bytes)| recorded[*name].as_str() != Some(spec::sha256_hex(bytes).as_str()))
        .map(|(name, _)| format!("specs/{}/{name}", api.name))
        .collect()
}

fn readable_diff(name: &str, old: &str, new: &str) -> String {
    const MAX_LINES: usize = 60;
    if old.is_empty() {
        return format!("  ({name} is missing)");
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(2).header(&format!("committed {name}"), "regenerated").to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines.iter().take(MAX_LINES).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n");
    if lines.len() > MAX_LINES {
        out.push_str(&format!("\n  … {} more diff lines", lines.len() - MAX_LINES));
    }
    out
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// The README's test command. Each step runs in the workspace root and must pass.
fn ci(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let step = |name: &str, args: &[&str]| -> Result<(), String> {
        println!("==> {name}: cargo {}", args.join(" "));
        let status = Command::new(&cargo)
            .args(args)
            // insta: a snapshot mismatch fails and nothing is written; review changes with
            // `INSTA_UPDATE=always cargo test -p videogen-contract-tests` and `git diff`.
            .env("INSTA_UPDATE", "no")
            .current_dir(root)
            .status()
            .map_err(|e| format!("{name}: cannot run cargo: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("{name} failed ({status})")) }
    };
    step("format", &["fmt", "--all", "--check"])?;
    step("lint", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    for feature in ["oxen", "videodb", "openai", "replicate"] {
        step(
            &format!("lint videogen with only the {feature} feature"),
            &[
                "clippy",
                "--locked",
                "-p",
                "videogen",
                "--no-default-features",
                "--features",
                feature,
                "--",
                "-D",
                "warnings",
            ],
        )?;
    }
    println!("==> docs: cargo doc --workspace --no-deps with RUSTDOCFLAGS=-D warnings");
    let status = Command::new(&cargo)
        .args(["doc", "--workspace", "--no-deps", "--locked", "--quiet"])
        .env("RUSTDOCFLAGS", "-D warnings")
        .current_dir(root)
        .status()
        .map_err(|e| format!("docs: cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("docs failed ({status})"));
    }
    println!("==> generated code: regen --check");
    regen(root, Mode::Check)?;
    ensure_postgres()?;
    ensure_chromium()?;
    step("tests", &["test", "--workspace", "--locked"])?;
    contract::install_tools(root)?;
    contract::check_clients_against_prism_mocks(root, &cargo)?;
    println!("==> bench --quick: the benchmarks still run (figures are not checked)");
    bench::run(root, &cargo, true)?;
    contract::check_simulator(root, &cargo)?;
    contract::check_official_sdks(root, &cargo)?;
    println!("==> ci: all steps passed");
    Ok(())
}

/// The shared-ledger tests start a throwaway PostgreSQL cluster (`initdb`, `pg_ctl`); the
/// machine image has PostgreSQL 15, and where it is missing Debian's `postgresql` package is
/// installed (as root, through apt-get).
fn ensure_postgres() -> Result<(), String> {
    if videogen_testpg::installed() {
        return Ok(());
    }
    println!("==> PostgreSQL is missing: apt-get install postgresql (for the shared-ledger tests)");
    apt_install("PostgreSQL", &["postgresql"])
}

/// Installs Debian `packages` (as root, non-interactively, without recommends) for `what`.
fn apt_install(what: &str, packages: &[&str]) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("installing {what}: cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("installing {what}: apt-get {} failed ({status})", args.join(" ")))
        }
    };
    run(&["update", "-qq"])?;
    run(&[&["install", "-y", "-qq", "--no-install-recommends"][..], packages].concat())
}

/// The gallery page's browser tier (`crates/videogen-cli/tests/gallery_browser.rs`) drives
/// Debian's headless Chromium through ChromeDriver; where either is missing, Debian's
/// `chromium` and `chromium-driver` packages are installed (as root, through apt-get).
fn ensure_chromium() -> Result<(), String> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    println!(
        "==> Chromium is missing: apt-get install chromium chromium-driver (for the gallery page's browser tests)"
    );
    apt_install("Chromium", &["chromium", "chromium-driver"])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs over the same inputs give byte-identical outputs, and those equal what is
    /// committed (the same check `regen --check` makes).
    #[test]
    fn generation_is_deterministic() {
        let root = workspace_root();
        for api in APIS {
            let inputs = Inputs::read(api, &root).unwrap();
            let first = build_outputs(api, &inputs).unwrap();
            let second = build_outputs(api, &inputs).unwrap();
            assert_eq!(first.contract, second.contract, "{}: openapi.json differs between runs", api.name);
            assert_eq!(first.generated, second.generated, "{}: generated.rs differs between runs", api.name);
        }
    }

    #[test]
    fn editing_an_input_names_it() {
        let root = workspace_root();
        let api = &APIS[0];
        let mut inputs = Inputs::read(api, &root).unwrap();
        inputs.overlay.extend_from_slice(b"\n# one more comment\n");
        assert_eq!(changed_inputs(api, &root, &inputs), vec![format!("specs/{}/overlay.yaml", api.name)]);
        inputs.upstream.push(b' ');
        assert!(check_source_toml(api, &root, &inputs).unwrap().is_some());
    }
}
