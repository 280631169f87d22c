//! The built `videogen` binary against hostile servers ([`videogen_hostile::Server`]): deadlines,
//! output paths, Ctrl-C during a download, a closed stdout, and a seeded run whose every case
//! must exit with a documented code, print no control characters, leak no key and leave no bad
//! file. `HOSTILE_CLI_CASES=N` changes the number of seeded cases (default 320).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use videogen_hostile::{Api, CONTENT, Case, KEY, Mutation, Server, Target, has_control_chars};

/// Every provider's key and base-URL variable (`OXEN_API_KEY`, `OXEN_BASE_URL`, …), cleared so the
/// machine's own settings never reach a test.
fn provider_env() -> impl Iterator<Item = &'static str> {
    videogen::Provider::ALL.into_iter().flat_map(|p| [p.api_key_env(), p.base_url_env()])
}

fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("videogen-hcli-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `videogen` pointed at `server` for `api`, with the hostile key.
fn videogen(api: Api, server: &Server) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_videogen"));
    for k in provider_env() {
        cmd.env_remove(k);
    }
    let provider: videogen::Provider = api.name().parse().unwrap();
    cmd.env(provider.api_key_env(), KEY).env(provider.base_url_env(), server.base_url());
    cmd.stdin(Stdio::null());
    cmd
}

fn case(api: Api, target: Target, mutation: Mutation, once: bool) -> Case {
    Case { seed: 7, api, target, mutation, once, result_on_api_origin: false }
}

/// A tokio runtime for the servers (the binary runs in its own process).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn generate_with_a_timeout_against_held_status_requests_exits_5_in_time() {
    let rt = runtime();
    let threads: Vec<_> = Api::ALL
        .into_iter()
        .map(|api| {
            let server = rt.block_on(Server::start(case(api, Target::Status, Mutation::Hold, false)));
            let dir = scratch("held");
            std::thread::spawn(move || {
                let started = Instant::now();
                let output = videogen(api, &server)
                    .args(["generate", "A held balloon", "-p", api.name(), "-m", api.model(), "--allow-retired"])
                    .args(["--timeout", "3", "--poll-interval", "0.3"])
                    .arg("--out")
                    .arg(dir.join("x.mp4"))
                    .output()
                    .unwrap();
                let took = started.elapsed();
                let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                assert_eq!(output.status.code(), Some(5), "{api:?}: {stderr}");
                assert!(took < Duration::from_secs(4), "{api:?}: took {took:?}");
                assert!(stderr.contains("\njob: {"), "{api:?}: the handle is printed: {stderr}");
                assert_eq!(server.record().jobs_created, 1);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn download_of_a_variant_with_a_timeout_against_held_content_exits_5_in_time() {
    let rt = runtime();
    let server = rt.block_on(Server::start(case(Api::OpenAi, Target::Download, Mutation::Hold, false)));
    let dir = scratch("held-variant");
    let submitted = videogen(Api::OpenAi, &server)
        .args(["submit", "A held thumbnail", "-p", "openai", "-m", "sora-2", "--allow-retired"])
        .output()
        .unwrap();
    assert!(submitted.status.success(), "{}", String::from_utf8_lossy(&submitted.stderr));
    let handle = String::from_utf8(submitted.stdout).unwrap();
    let waited =
        videogen(Api::OpenAi, &server).args(["wait", handle.trim(), "--poll-interval", "0.3"]).output().unwrap();
    assert!(waited.status.success(), "{}", String::from_utf8_lossy(&waited.stderr));
    for variant in ["thumbnail", "video"] {
        let started = Instant::now();
        let output = videogen(Api::OpenAi, &server)
            .args(["download", handle.trim(), "--variant", variant, "--timeout", "2", "--out"])
            .arg(dir.join(format!("{variant}.out")))
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{variant}: {stderr}");
        assert!(took < Duration::from_secs(4), "{variant}: took {took:?}");
        assert!(stderr.contains("downloading"), "{variant}: {stderr}");
        assert!(!dir.join(format!("{variant}.out")).exists(), "{variant}: no file from a download that never came");
    }
    assert_eq!(server.record().jobs_created, 1);
}

#[test]
fn bad_output_paths_exit_2_before_anything_is_paid_for() {
    let rt = runtime();
    let dir = scratch("paths");
    let fifo = dir.join("fifo.mp4");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    std::fs::create_dir(dir.join("folder.mp4")).unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.join("device-link.mp4")).unwrap();
    let long = dir.join(format!("{}.mp4", "x".repeat(300)));
    for (out, why) in [
        (dir.join("nodir").join("x.mp4"), "does not exist"),
        (dir.join("folder.mp4"), "is a folder"),
        (fifo.clone(), "not a regular file"),
        (dir.join("device-link.mp4"), "symlink to a device"),
        (long, "longer than 255 bytes"),
        (PathBuf::from("/dev/full"), "not a regular file"),
    ] {
        let server = rt.block_on(Server::start(case(Api::Oxen, Target::Create, Mutation::None, false)));
        let output = videogen(Api::Oxen, &server).args(["generate", "A balloon", "--out"]).arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", out.display());
        assert!(stderr.contains(why), "{}: {stderr}", out.display());
        assert_eq!(server.record().create_requests, 0, "{}: nothing was sent", out.display());
    }
    // The FIFO is still a FIFO: nothing replaced it.
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn ctrl_c_during_a_download_keeps_the_partial_and_download_resumes_it() {
    let rt = runtime();
    // The first result download trickles one byte every 20 ms; the next is served whole.
    let server = rt.block_on(Server::start(case(Api::Oxen, Target::Download, Mutation::SlowBody, true)));
    let dir = scratch("ctrlc");
    let out = dir.join("v.mp4");
    let child = videogen(Api::Oxen, &server)
        .args(["generate", "A slow balloon", "--json", "--poll-interval", "0.3", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let partial = wait_for_partial(&dir, Duration::from_secs(15)).expect("a partial file appears");
    std::thread::sleep(Duration::from_millis(300));
    let interrupted_at = Instant::now();
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    assert!(interrupted_at.elapsed() < Duration::from_secs(1), "stopped within a second");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("resume with: videogen download"), "{stderr}");
    assert!(!out.exists(), "no file under the final name");
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(kept > 0, "the partial file keeps what arrived");
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (printed["kind"].as_str(), printed["exit_code"].as_u64()),
        (Some("interrupted"), Some(130)),
        "{printed}"
    );
    let handle = printed["job"].to_string();

    let output =
        videogen(Api::Oxen, &server).args(["download", &handle, "--json", "--out"]).arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let done: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let resumed_from = done["outputs"][0]["resumed_from"].as_u64().unwrap();
    assert!(resumed_from > 0 && resumed_from >= kept, "resumed from byte {resumed_from} (kept {kept})");
    assert_eq!(std::fs::read(&out).unwrap(), *CONTENT, "the resumed file is whole");
    assert!(server.record().resumed_ranges >= 1, "the second download asked for a Range");
    assert!(!partial.exists(), "the partial became the file");
}

fn wait_for_partial(dir: &Path, within: Duration) -> Option<PathBuf> {
    let started = Instant::now();
    while started.elapsed() < within {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".videogen-") && name.ends_with(".part") && entry.metadata().is_ok_and(|m| m.len() > 30)
            {
                return Some(entry.path());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_videogen"))
        .arg("models")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is gone: like `videogen models | head -1`.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!first.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// Seeded cases through `videogen generate`, text and `--json` alternately.
#[test]
fn seeded_hostile_cases_through_the_command() {
    let n: u64 = std::env::var("HOSTILE_CLI_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(320);
    let rt = runtime();
    let seeds: Vec<u64> = (0..n).map(|i| 50_000 + i * 7).collect();
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&seed) = seeds.get(i) else { break };
                    let case = Case::from_seed(seed);
                    let server = rt.block_on(Server::start(case.clone()));
                    if let Err(why) = cli_case(&case, &server, seed % 2 == 0) {
                        failures.lock().unwrap().push(format!(
                            "seed {seed}: {:?} {:?} {:?}: {why}\n  replay: HOSTILE_CLI_CASES=… (seed {seed} is case {i})",
                            case.api, case.target, case.mutation
                        ));
                    }
                    server.stop();
                }
            });
        }
    });
    println!("hostile CLI tier: {} cases in {:.1} s", seeds.len(), started.elapsed().as_secs_f64());
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// `--timeout` bounds the wait and the download; the create's requests and `Retry-After` sleeps
/// are cut to it too, and a create is tried at most 5 times (4 retries, on 429 or connect
/// failures only).
const TIMEOUT_SECS: u64 = 2;

fn cli_case(case: &Case, server: &Server, json: bool) -> Result<(), String> {
    let dir = scratch(&format!("seed{}", case.seed));
    let out = dir.join("out.mp4");
    let mut cmd = videogen(case.api, server);
    // The hostile server answers in Sora's shapes (which gateways still speak): its model is let through.
    cmd.args(["generate", "A hostile balloon", "-p", case.api.name(), "-m", case.api.model(), "--allow-retired"])
        .args(["--poll-interval", "0.3"])
        .args(["--timeout", &TIMEOUT_SECS.to_string(), "--out"])
        .arg(&out);
    if json {
        cmd.arg("--json");
    }
    let started = Instant::now();
    let output = cmd.output().map_err(|e| e.to_string())?;
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    // The documented codes a generate can end with (8: the provider refused the create).
    if !matches!(code, Some(0..=6 | 8)) {
        return Err(format!("exit {code:?}: {stderr}"));
    }
    if stderr.contains("panicked") {
        return Err(format!("a panic: {stderr}"));
    }
    if has_control_chars(&stdout) || has_control_chars(&stderr) {
        return Err(format!("control characters printed: {stdout:?} {stderr:?}"));
    }
    if json && code != Some(0) && serde_json::from_str::<serde_json::Value>(&stdout).is_err() {
        return Err(format!("--json printed no JSON: {stdout:?}"));
    }
    let bound = Duration::from_secs(5 * TIMEOUT_SECS + 4 * TIMEOUT_SECS + TIMEOUT_SECS + 2);
    if took > bound {
        return Err(format!("took {took:?}, over {bound:?}"));
    }
    let record = server.record();
    if !record.leaks.is_empty() {
        return Err(format!("the key reached {:?}", record.leaks));
    }
    if record.jobs_created > 1 {
        return Err(format!("{} jobs for one command", record.jobs_created));
    }
    let submitted = if json { stdout.contains("\"job\"") } else { stderr.contains("submitted ") };
    if code != Some(0) && code != Some(6) && record.jobs_created == 1 && submitted {
        let shows_job = if json { stdout.contains("\"job\": {") } else { stderr.contains("\njob: {") };
        if !shows_job {
            return Err(format!("an error after the create without the job handle: {stdout} {stderr}"));
        }
    }
    match std::fs::read(&out) {
        Ok(bytes) if bytes == *CONTENT => {}
        Ok(bytes) => return Err(format!("out.mp4 holds {} bytes that are not the result", bytes.len())),
        Err(_) if code == Some(0) => return Err("exit 0 without the file".into()),
        Err(_) => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One-shot commands are bounded: `status` against a server that holds its
/// requests ends with exit 5 within its --timeout (default 60 s), instead of hanging.
#[test]
fn status_against_held_requests_exits_5_within_its_timeout() {
    let rt = runtime();
    for api in Api::ALL {
        let server = rt.block_on(Server::start(case(api, Target::Status, Mutation::Hold, false)));
        let submitted = videogen(api, &server)
            .args(["submit", "A held status", "-p", api.name(), "-m", api.model(), "--allow-retired"])
            .output()
            .unwrap();
        assert!(submitted.status.success(), "{api:?}: {}", String::from_utf8_lossy(&submitted.stderr));
        let handle = String::from_utf8(submitted.stdout).unwrap();
        let started = Instant::now();
        let output = videogen(api, &server).args(["status", handle.trim(), "--timeout", "2"]).output().unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{api:?}: {stderr}");
        assert!(took < Duration::from_secs(3), "{api:?}: took {took:?}");
        assert!(stderr.contains("did not finish within 2 s"), "{api:?}: {stderr}");
    }
}
