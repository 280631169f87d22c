//! What the command-line tests share: the binary with a clean environment, scratch folders,
//! and simulators of their own.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Every provider's key and base-URL variable (`OXEN_API_KEY`, `OXEN_BASE_URL`, …), cleared so the
/// machine's own settings never reach a test.
pub fn provider_env() -> impl Iterator<Item = &'static str> {
    videogen::Provider::ALL.into_iter().flat_map(|p| [p.api_key_env(), p.base_url_env()])
}

/// `videogen` with no provider keys in its environment, its built-in simulator keeping its jobs
/// in a state file of its own (never the user's cache folder).
pub fn videogen() -> Command {
    let state = scratch("state").join("sim-state.json");
    videogen_sharing(&state)
}

/// `videogen` with no provider keys, its built-in simulator keeping its jobs in `state` (shared
/// by every command given the same file, as the user's cache file is).
pub fn videogen_sharing(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("videogen").unwrap();
    for k in provider_env() {
        cmd.env_remove(k);
    }
    cmd.env("VIDEOGEN_SIM_STATE", state);
    cmd
}

/// `videogen` pointed at `sim` for `providers` (any key), the others on the built-in simulator.
pub fn videogen_at(sim: &videogen_sim::Sim, providers: &[videogen::Provider]) -> Command {
    let mut cmd = videogen();
    for p in providers {
        cmd.env(p.api_key_env(), "sk-test").env(p.base_url_env(), base_url(sim, *p));
    }
    cmd
}

/// `sim`'s base URL for `provider`.
pub fn base_url(sim: &videogen_sim::Sim, provider: videogen::Provider) -> String {
    match provider {
        videogen::Provider::OpenAi => sim.openai_base_url(),
        videogen::Provider::AiHubMix => sim.aihubmix_base_url(),
        videogen::Provider::Replicate => sim.base_url_for(videogen_sim::Provider::Replicate),
        _ => sim.base_url(),
    }
}

/// [`videogen_at`] as a `std::process::Command`, for a process the test starts and kills.
pub fn videogen_process_at(
    sim: &videogen_sim::Sim,
    providers: &[videogen::Provider],
    state: &Path,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("videogen"));
    for k in provider_env() {
        cmd.env_remove(k);
    }
    cmd.env("VIDEOGEN_SIM_STATE", state);
    for p in providers {
        cmd.env(p.api_key_env(), "sk-test").env(p.base_url_env(), base_url(sim, *p));
    }
    cmd
}

/// A new empty folder under the system's temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("videogen-cli-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `path` holds an MP4 (its `ftyp` box).
pub fn is_mp4(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.len() > 8 && &b[4..8] == b"ftyp")
}

/// The rows of the `results.jsonl` a batch wrote in `out`.
pub fn results_of(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
