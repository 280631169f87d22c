//! The independent checks, run by `cargo xtask ci` after the Rust tests: the generated clients
//! against a Prism mock per spec (`tests/tests/prism.rs`); schemathesis against the
//! `videogen-sim` binary for each spec; then the scripted flow test
//! (`crates/videogen-sim/tests/flow.rs`) with a Prism proxy per spec in front of the simulator.
//!
//! Tools are installed from pinned lists, on first use: Prism with `npm ci` from
//! `tools/prism/package-lock.json` into `tools/prism/node_modules`, schemathesis with pip from
//! `tools/schemathesis/requirements.txt` into the virtualenv `target/tools/venv`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The API key the simulator accepts in these checks; any other key gets a 401, which
/// schemathesis' auth checks rely on.
const KEY: &str = "sk-sim-test";

/// schemathesis checks left out, with the reason:
/// - `positive_data_acceptance`: the providers document rules stricter than their schemas
///   (the model must exist; Oxen's `prompt` xor `multi_prompt` and `num_generations` 1–4; OpenAI's
///   per-family `seconds` and `size`), which the simulator enforces with the providers' 4xx answers.
/// - `use_after_free`: Oxen's `DELETE /api/ai/queue/{id}` cancels and keeps the row ("The row is
///   retained with status set to cancelled", spec), so the row is rightly still there.
const EXCLUDED_CHECKS: &str = "positive_data_acceptance,use_after_free";

/// Kills the child processes it holds when dropped, so a failed step leaves nothing running.
struct Children(Vec<(String, Child)>);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_for_port(port: u16, what: &str, children: &mut Children) -> Result<(), String> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        for (name, child) in &mut children.0 {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{name} exited ({status}) before listening"));
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("{what} did not listen on port {port} within 90 s"))
}

fn run(name: &str, command: &mut Command) -> Result<(), String> {
    println!("==> {name}");
    let status = command.status().map_err(|e| format!("{name}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{name} failed ({status})")) }
}

/// Starts the simulator binary on a free port; returns its base URL. It serves the committed
/// fixture for every job (`--fixture-videos`): the scripted flow compares downloads with it byte
/// for byte.
fn start_simulator(root: &Path, children: &mut Children) -> Result<String, String> {
    let port = free_port()?;
    let sim = Command::new(root.join("target/debug/videogen-sim"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--queued-ms", "30", "--processing-ms", "150", "--api-key", KEY])
        .arg("--fixture-videos")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start videogen-sim: {e}"))?;
    children.0.push(("videogen-sim".into(), sim));
    wait_for_port(port, "videogen-sim", children)?;
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Installs Prism, schemathesis and the official SDKs where missing.
pub fn install_tools(root: &Path) -> Result<(), String> {
    let prism = root.join("tools/prism/node_modules/.bin/prism");
    if !prism.exists() {
        run(
            "tools: npm ci (Prism, pinned by tools/prism/package-lock.json)",
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(root.join("tools/prism")),
        )?;
    }
    let venv = root.join("target/tools/venv");
    let schemathesis = venv.join("bin/schemathesis");
    if !schemathesis.exists() {
        run("tools: python3 -m venv target/tools/venv", Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(
            "tools: pip install -r tools/schemathesis/requirements.txt",
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(root.join("tools/schemathesis/requirements.txt")),
        )?;
    }
    // The official SDKs live in a venv of their own: their dependency pins must not move
    // schemathesis'.
    let sdk_venv = root.join("target/tools/sdk-venv");
    // The marker holds the requirements' hash: a changed pin list installs again.
    let requirements = std::fs::read(root.join("tools/sdk/requirements.txt"))
        .map_err(|e| format!("tools/sdk/requirements.txt: {e}"))?;
    let wanted = crate::spec::sha256_hex(&requirements);
    let installed = std::fs::read_to_string(sdk_venv.join(".installed")).unwrap_or_default();
    if !sdk_venv.join("bin/python").exists() || installed.trim() != wanted {
        run(
            "tools: python3 -m venv target/tools/sdk-venv",
            Command::new("python3").args(["-m", "venv"]).arg(&sdk_venv),
        )?;
        run(
            "tools: pip install -r tools/sdk/requirements.txt (openai==3.51.0, videodb==0.5.1, replicate==1.0.7)",
            Command::new(sdk_venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(root.join("tools/sdk/requirements.txt")),
        )?;
        std::fs::write(sdk_venv.join(".installed"), &wanted).map_err(|e| format!("sdk-venv: {e}"))?;
    }
    Ok(())
}

/// The official-SDK conformance tier: openai-python, videodb-python and replicate-python,
/// unmodified, drive a
/// simulator through the calls their docs show (`tests/sdk/conformance.py`). The simulator gets
/// the two fault rules the script's 429 checks rely on, and accepts one key only (so a wrong
/// key is a 401).
pub fn check_official_sdks(root: &Path, cargo: &str) -> Result<(), String> {
    run("build videogen-sim", Command::new(cargo).args(["build", "--quiet", "-p", "videogen-sim"]).current_dir(root))?;
    let mut children = Children(Vec::new());
    let port = free_port()?;
    let key = "sk-sdk-conformance";
    let sim = Command::new(root.join("target/debug/videogen-sim"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--queued-ms", "30", "--processing-ms", "150"])
        .args([
            "--api-key",
            key,
            "--fault",
            "openai:createVideo:429=0:first=1",
            "--fault",
            "openai:ListVideos:429=0:first=1",
            "--fault",
            "replicate:create_prediction:429=0:first=1",
        ])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start videogen-sim: {e}"))?;
    children.0.push(("videogen-sim".into(), sim));
    wait_for_port(port, "videogen-sim", &mut children)?;
    run(
        "official SDKs: openai==3.51.0, videodb==0.5.1 and replicate==1.0.7 against videogen-sim (tests/sdk/conformance.py)",
        Command::new(root.join("target/tools/sdk-venv/bin/python"))
            .args(["-W", "ignore::DeprecationWarning"])
            .arg(root.join("tests/sdk/conformance.py"))
            .env("VIDEOGEN_SIM_URL", format!("http://127.0.0.1:{port}"))
            .env("VIDEOGEN_SIM_KEY", key)
            .current_dir(root),
    )
}

/// Starts `prism mock` for every spec and runs the generated clients' operations against them
/// (`tests/tests/prism.rs`).
pub fn check_clients_against_prism_mocks(root: &Path, cargo: &str) -> Result<(), String> {
    let mut children = Children(Vec::new());
    let mut envs = Vec::new();
    for api in ["oxen", "videodb", "openai", "replicate"] {
        let port = free_port()?;
        let prism = Command::new(root.join("tools/prism/node_modules/.bin/prism"))
            .arg("mock")
            .arg(root.join(format!("specs/{api}/openapi.json")))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start prism: {e}"))?;
        children.0.push((format!("prism mock {api}"), prism));
        wait_for_port(port, &format!("prism mock for {api}"), &mut children)?;
        envs.push((format!("VIDEOGEN_PRISM_MOCK_{}", api.to_uppercase()), format!("http://127.0.0.1:{port}")));
    }
    run(
        "prism mock per spec: every generated client operation",
        Command::new(cargo)
            .args(["test", "--locked", "-p", "videogen-contract-tests", "--test", "prism"])
            .envs(envs)
            .current_dir(root),
    )?;
    drop(children);
    Ok(())
}

/// Runs schemathesis and the Prism-proxied flow against the simulator binary.
pub fn check_simulator(root: &Path, cargo: &str) -> Result<(), String> {
    run(
        "build the simulator binary",
        Command::new(cargo)
            .args(["build", "--locked", "-p", "videogen-sim", "--bin", "videogen-sim"])
            .current_dir(root),
    )?;
    let mut children = Children(Vec::new());
    let sim_url = start_simulator(root, &mut children)?;

    let work = root.join("target/tools/schemathesis-work");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    for api in ["oxen", "videodb", "openai", "replicate"] {
        let (header, url) = match api {
            "videodb" => (format!("x-access-token: {KEY}"), sim_url.clone()),
            "openai" | "replicate" => (format!("Authorization: Bearer {KEY}"), format!("{sim_url}/v1")),
            _ => (format!("Authorization: Bearer {KEY}"), sim_url.clone()),
        };
        run(
            &format!("schemathesis: specs/{api}/openapi.json against videogen-sim"),
            Command::new(root.join("target/tools/venv/bin/schemathesis"))
                .arg("run")
                .arg(root.join(format!("specs/{api}/openapi.json")))
                .args(["--url", &url, "--header", &header, "--max-examples", "25", "--generation-deterministic"])
                .args(["--exclude-checks", EXCLUDED_CHECKS, "--no-color", "--report-dir"])
                .arg(root.join("target/tools/schemathesis-reports"))
                // schemathesis keeps its state (`.schemathesis/`) in the working folder: under
                // target/, so a run leaves the work tree clean.
                .current_dir(&work),
        )?;
    }

    // A fresh simulator for the flow, whose list and history assertions expect no other jobs.
    drop(children);
    let mut children = Children(Vec::new());
    let sim_url = start_simulator(root, &mut children)?;
    let mut envs = vec![("VIDEOGEN_SIM_URL".to_string(), sim_url.clone())];
    for api in ["oxen", "videodb", "openai", "replicate"] {
        let port = free_port()?;
        let upstream = if matches!(api, "openai" | "replicate") { format!("{sim_url}/v1") } else { sim_url.clone() };
        let prism = Command::new(root.join("tools/prism/node_modules/.bin/prism"))
            .arg("proxy")
            .arg(root.join(format!("specs/{api}/openapi.json")))
            .arg(&upstream)
            .args(["--errors", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start prism: {e}"))?;
        children.0.push((format!("prism proxy {api}"), prism));
        wait_for_port(port, &format!("prism proxy for {api}"), &mut children)?;
        envs.push((format!("VIDEOGEN_PRISM_{}", api.to_uppercase()), format!("http://127.0.0.1:{port}")));
    }
    run(
        "prism proxy --errors in front of videogen-sim: the scripted flow",
        Command::new(cargo)
            .args(["test", "--locked", "-p", "videogen-sim", "--test", "flow"])
            .envs(envs)
            .current_dir(root),
    )?;
    drop(children);
    Ok(())
}
