//! `videogen batch` against simulators the tests start: an edited line is new work, a 429 on a
//! create is retried in the run, and each provider is polled at its own interval.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use videogen_sim::{FaultKind, FaultRule, Schedule, Sim, SimConfig};

fn quick_sim(faults: Vec<FaultRule>) -> SimConfig {
    SimConfig {
        queued_for: Duration::from_millis(100),
        processing_for: Duration::from_millis(300),
        faults,
        ..Default::default()
    }
}

/// The files the summary says line `line` wrote.
fn files_of(summary: &Value, line: u64) -> Vec<String> {
    summary["written"]
        .as_array()
        .unwrap_or_else(|| panic!("no written list: {summary}"))
        .iter()
        .filter(|w| w["line"].as_u64() == Some(line))
        .map(|w| w["file"].as_str().unwrap().to_string())
        .collect()
}

/// Runs the batch with `--json`; returns the exit code and the summary.
fn run_batch(mut cmd: assert_cmd::Command, file: &Path, out_dir: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let output = cmd
        .args(["--json", "batch"])
        .arg(file)
        .arg("--out-dir")
        .arg(out_dir)
        .args(["--poll-interval", "0.1"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (output.status.code(), summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_line_is_regenerated_exactly_once() {
    let sim = Sim::start(quick_sim(Vec::new())).await.unwrap();
    let dir = scratch("batch-edit");
    let file = dir.join("b.jsonl");
    let out = dir.join("videos");
    let lines = [
        r#"{"prompt": "a red balloon", "duration": 5}"#,
        r#"{"prompt": "a paper boat", "duration": 5}"#,
        r#"{"prompt": "a drone", "duration": 5}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let oxen = [videogen::Provider::Oxen];
    let (code, first) = run_batch(videogen_at(&sim, &oxen), &file, &out, &[]);
    assert_eq!((code, first["done"].as_u64()), (Some(0), Some(3)), "{first}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 3);

    // The same prompt with another duration is other work: only that line is generated again.
    let edited = lines[1].replace("\"duration\": 5", "\"duration\": 10");
    std::fs::write(&file, [lines[0], &edited, lines[2]].join("\n")).unwrap();
    let (code, second) = run_batch(videogen_at(&sim, &oxen), &file, &out, &[]);
    assert_eq!(code, Some(0), "{second}");
    assert_eq!((second["done"].as_u64(), second["done_before"].as_u64()), (Some(3), Some(2)), "{second}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 4, "exactly the edited line was generated");
    let first_file = files_of(&first, 2);
    let edited_file = files_of(&second, 2);
    assert_ne!(first_file, edited_file, "the edited line writes a file of its own");
    assert!(is_mp4(&out.join(&edited_file[0])) && is_mp4(&out.join(&first_file[0])), "the earlier video is kept");

    // Unchanged, even moved below a new line, nothing is generated but the new line.
    std::fs::write(&file, [r#"{"prompt": "a new line", "out": "new.mp4"}"#, lines[0], &edited, lines[2]].join("\n"))
        .unwrap();
    let (code, third) = run_batch(videogen_at(&sim, &oxen), &file, &out, &[]);
    assert_eq!((code, third["done_before"].as_u64()), (Some(0), Some(3)), "{third}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 5);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_refused_with_429_is_done_in_the_same_run_with_one_job() {
    // Six 429s: the library hands each to the batch at once, and the batch's rounds after the
    // Retry-After (pausing every create to the provider) get the line done.
    let rule = FaultRule::new(
        videogen_sim::Provider::Oxen,
        "enqueue_generation",
        FaultKind::RateLimited { retry_after_secs: 1 },
    )
    .schedule(Schedule::First(6));
    let sim = Sim::start(quick_sim(vec![rule])).await.unwrap();
    let dir = scratch("batch-429");
    let file = dir.join("b.jsonl");
    let out = dir.join("videos");
    std::fs::write(&file, r#"{"prompt": "a red balloon", "duration": 5}"#).unwrap();
    let (code, summary) = run_batch(videogen_at(&sim, &[videogen::Provider::Oxen]), &file, &out, &[]);
    assert_eq!((code, summary["done"].as_u64()), (Some(0), Some(1)), "{summary}");
    let counters = sim.counters();
    assert_eq!(counters.faults_injected, 6, "{counters:?}");
    assert_eq!(counters.jobs_created(videogen_sim::Provider::Oxen), 1, "one job: {counters:?}");
    let journal = std::fs::read_to_string(out.join("videogen-journal.jsonl")).unwrap();
    assert!(journal.contains("\"event\":\"rate_limited\""), "{journal}");
    assert!(!journal.contains("\"event\":\"refused\""), "{journal}");

    // A create that reached nobody (the connection was refused, after the library's retries)
    // is journaled refused; a rerun leaves it, --retry-failed sends it again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let file2 = dir.join("c.jsonl");
    std::fs::write(&file2, r#"{"prompt": "refused", "duration": 5}"#).unwrap();
    let out2 = dir.join("videos2");
    let nowhere = || {
        let mut cmd = videogen();
        cmd.env("OXEN_API_KEY", "sk-test").env("OXEN_BASE_URL", format!("http://{closed}"));
        cmd
    };
    let (code, first) = run_batch(nowhere(), &file2, &out2, &[]);
    assert_eq!(code, Some(1), "{first}");
    assert_eq!(first["refused"].as_array().map(Vec::len), Some(1), "{first}");
    let (code, again) = run_batch(videogen_at(&sim, &[videogen::Provider::Oxen]), &file2, &out2, &[]);
    assert_eq!(
        (code, again["refused"].as_array().map(Vec::len)),
        (Some(1), Some(1)),
        "not resubmitted unasked: {again}"
    );
    let (code, retried) = run_batch(videogen_at(&sim, &[videogen::Provider::Oxen]), &file2, &out2, &["--retry-failed"]);
    assert_eq!((code, retried["done"].as_u64()), (Some(0), Some(1)), "{retried}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 2);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_polls_each_provider_at_its_own_interval() {
    // VideoDB (jobs that take 6 s on this simulator) next to Oxen.ai (followed through its
    // completion events): VideoDB keeps its own 5-second interval.
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(500),
        processing_for: Duration::from_millis(5500),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("batch-mixed");
    let file = dir.join("b.jsonl");
    let out = dir.join("videos");
    std::fs::write(
        &file,
        [
            r#"{"prompt": "a drone over a city", "provider": "videodb", "duration": 6}"#,
            r#"{"prompt": "a red balloon", "provider": "oxen"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let started = Instant::now();
    let output = videogen_at(&sim, &[videogen::Provider::VideoDb, videogen::Provider::Oxen])
        .args(["--json", "batch"])
        .arg(&file)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("built-in simulator"), "{stderr}");
    let polls = sim.counters().requests("videodb.get_async_response");
    assert!(took >= Duration::from_secs(6), "the VideoDB job took its 6 s: {took:?}");
    // One interval for all (the Oxen.ai safety poll's or the simulator's) would have polled more.
    assert!((1..=4).contains(&polls), "VideoDB polled {polls} times in {took:?}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(is_mp4(&out.join(&files_of(&summary, 1)[0])) && is_mp4(&out.join(&files_of(&summary, 2)[0])));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_behind_a_lagging_list_is_never_paid_twice_by_plain_reruns() {
    // The issue's repro: the create's answer is lost (reset after the job was made), the
    // provider ignores idempotency keys (as today's do) and its list shows a job only after
    // 60 s. The first run ends unknown (exit 6) with one job; plain reruns look again and make
    // no second job; --resubmit-unknown is the only way to send it again.
    let rule = FaultRule::new(videogen_sim::Provider::Oxen, "enqueue_generation", FaultKind::ResetAfterProcessing)
        .schedule(Schedule::First(1));
    let sim = Sim::start(SimConfig {
        honour_idempotency_keys: false,
        list_lag: Duration::from_secs(60),
        ..quick_sim(vec![rule])
    })
    .await
    .unwrap();
    let dir = scratch("batch-lost");
    let file = dir.join("b.jsonl");
    let out = dir.join("videos");
    std::fs::write(&file, r#"{"prompt": "a red balloon", "duration": 5}"#).unwrap();
    let oxen = [videogen::Provider::Oxen];
    let window = ["--lookup-window", "1.5"];
    let (code, first) = run_batch(videogen_at(&sim, &oxen), &file, &out, &window);
    assert_eq!(code, Some(6), "{first}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 1);
    for run in 0..3 {
        let (code, again) = run_batch(videogen_at(&sim, &oxen), &file, &out, &window);
        assert_eq!(code, Some(6), "run {run}: {again}");
        let text = again.to_string();
        assert!(text.contains("did not show the job") && text.contains("--resubmit-unknown"), "{text}");
        assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 1, "run {run}: no second job");
        assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 1, "run {run}: nothing sent");
    }
    let (code, resubmitted) =
        run_batch(videogen_at(&sim, &oxen), &file, &out, &["--lookup-window", "0", "--resubmit-unknown"]);
    assert_eq!(code, Some(0), "{resubmitted}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 2, "asked for, it may pay twice");
    sim.stop().await;
}

/// Runs a batch of `lines` lines as a child process, sends `signal` once every line's job is
/// created, and returns (exit code, stdout, stderr, seconds from the signal to the exit).
fn batch_stopped_by(sim: &Sim, dir: &Path, lines: usize, signal: i32) -> (Option<i32>, String, String, f64) {
    use std::io::Read;
    let file = dir.join("b.jsonl");
    let text: Vec<String> =
        (1..=lines).map(|i| format!("{{\"prompt\": \"signal line {i}\", \"duration\": 5}}")).collect();
    std::fs::write(&file, text.join("\n")).unwrap();
    let before = sim.counters().jobs_created(videogen_sim::Provider::Oxen);
    let mut child = videogen_process_at(sim, &[videogen::Provider::Oxen], &dir.join("sim-state.json"))
        .args(["batch", "--events", "--poll-interval", "0.1"])
        .arg(&file)
        .arg("--out-dir")
        .arg(dir.join("videos"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.counters().jobs_created(videogen_sim::Provider::Oxen) < before + lines as u64 {
        assert!(Instant::now() < deadline, "the jobs were not created");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    // SAFETY: the pid is our own child's, still running (it waits for its jobs).
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let status = child.wait().unwrap();
    let took = signalled.elapsed().as_secs_f64();
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.code(), out, err, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_stops_a_batch_with_its_summary_and_the_command_that_resumes_it() {
    // Jobs that take 4 s: the signal comes while every line waits on its job.
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(100),
        processing_for: Duration::from_secs(4),
        ..Default::default()
    })
    .await
    .unwrap();
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = scratch("batch-signal");
        let (exit, stdout, stderr, took) = tokio::task::block_in_place(|| batch_stopped_by(&sim, &dir, 3, signal));
        assert_eq!(exit, Some(code), "{stderr}");
        assert!(took < 3.0, "stopped at once, not after the jobs: {took} s");
        let last: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
        assert_eq!(last["event"], "summary", "{stdout}");
        assert_eq!(last["exit_code"], code, "{last}");
        assert!(stderr.contains("resume with: videogen batch"), "{stderr}");
        // The rerun resumes the three jobs: nothing is created again.
        let created = sim.counters().jobs_created(videogen_sim::Provider::Oxen);
        let (rerun, summary) =
            run_batch(videogen_at(&sim, &[videogen::Provider::Oxen]), &dir.join("b.jsonl"), &dir.join("videos"), &[]);
        assert_eq!((rerun, summary["done"].as_u64()), (Some(0), Some(3)), "{summary}");
        assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), created, "resumed, not created again");
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_never_writes_over_a_file_it_did_not_write() {
    let sim = Sim::start(quick_sim(Vec::new())).await.unwrap();
    let dir = scratch("batch-files");
    let out = dir.join("videos");
    std::fs::create_dir_all(&out).unwrap();
    let oxen = [videogen::Provider::Oxen];
    let jobs = || sim.counters().jobs_created(videogen_sim::Provider::Oxen);

    // The user's file at the name a line asks for is kept; the video goes to the next free name.
    std::fs::write(out.join("mine.mp4"), b"precious").unwrap();
    let a = dir.join("a.jsonl");
    std::fs::write(
        &a,
        [r#"{"prompt": "a red balloon", "out": "mine.mp4"}"#, r#"{"prompt": "a paper boat"}"#].join("\n"),
    )
    .unwrap();
    let (code, first) = run_batch(videogen_at(&sim, &oxen), &a, &out, &[]);
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(std::fs::read(out.join("mine.mp4")).unwrap(), b"precious");
    assert_eq!(files_of(&first, 1), ["mine.2.mp4"], "{first}");
    let a_files: Vec<String> = [files_of(&first, 1), files_of(&first, 2)].concat();
    let a_bytes: Vec<Vec<u8>> = a_files.iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
    let journal = std::fs::read_to_string(out.join("videogen-journal.jsonl")).unwrap();
    assert_eq!(journal.matches("\"sha256\":\"").count(), 2, "each file's digest is journaled: {journal}");

    // Another batch file into the same folder: its lines 1 and 2 get names of their own.
    let b = dir.join("b.jsonl");
    std::fs::write(&b, [r#"{"prompt": "a drone"}"#, r#"{"prompt": "a kite"}"#].join("\n")).unwrap();
    let (code, other) = run_batch(videogen_at(&sim, &oxen), &b, &out, &[]);
    assert_eq!(code, Some(0), "{other}");
    for f in [files_of(&other, 1), files_of(&other, 2)].concat() {
        assert!(!a_files.contains(&f) && is_mp4(&out.join(&f)), "{f} is B's own: {other}");
    }
    for (f, bytes) in a_files.iter().zip(&a_bytes) {
        assert_eq!(&std::fs::read(out.join(f)).unwrap(), bytes, "{f} still holds A's video");
    }
    assert_eq!(jobs(), 4);

    // A rerun of A with a line inserted above: nothing refused, nothing generated but the new line.
    std::fs::write(
        &a,
        [
            r#"{"prompt": "a new first line"}"#,
            r#"{"prompt": "a red balloon", "out": "mine.mp4"}"#,
            r#"{"prompt": "a paper boat"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let (code, again) = run_batch(videogen_at(&sim, &oxen), &a, &out, &[]);
    assert_eq!((code, again["done_before"].as_u64()), (Some(0), Some(2)), "{again}");
    assert_eq!(jobs(), 5);
    assert_eq!(files_of(&again, 3), files_of(&first, 2), "a moved line keeps its file");

    // A file changed by hand after the batch wrote it is not "done before", and it is kept: the
    // line's video is downloaded again (from its job; nothing is generated) under a free name.
    let boat = files_of(&first, 2)[0].clone();
    std::fs::write(out.join(&boat), b"edited by hand").unwrap();
    let (code, fixed) = run_batch(videogen_at(&sim, &oxen), &a, &out, &[]);
    assert_eq!((code, fixed["done_before"].as_u64()), (Some(0), Some(2)), "{fixed}");
    assert_eq!(std::fs::read(out.join(&boat)).unwrap(), b"edited by hand");
    let moved = files_of(&fixed, 3);
    assert_ne!(moved[0], boat, "{fixed}");
    assert_eq!(std::fs::read(out.join(&moved[0])).unwrap(), a_bytes[1], "the line's own video, again");
    assert_eq!(jobs(), 5, "nothing paid for twice");
    sim.stop().await;
}
