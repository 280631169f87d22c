//! Workers killed at random: `videogen batch` processes run one 200-line batch against a
//! simulator that injects create faults (429s, a reset after the job was created, stalled
//! answers), random workers are killed with SIGKILL and restarted until the batch is done, and
//! then every line must be done exactly once, with one job per line and one complete file per
//! line. Four workers on a PostgreSQL ledger (a throwaway cluster the test starts), and one
//! worker on the embedded journal.

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use videogen_sim::{FaultKind, FaultRule, Schedule, Sim, SimConfig};

const LINES: usize = 200;

/// How long the whole batch may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(240);

fn hostile_sim() -> SimConfig {
    let create = |kind: FaultKind, p: f64| {
        FaultRule::new(videogen_sim::Provider::Oxen, "enqueue_generation", kind).schedule(Schedule::Probability(p))
    };
    SimConfig {
        queued_for: Duration::from_millis(100),
        processing_for: Duration::from_millis(300),
        faults: vec![
            create(FaultKind::RateLimited { retry_after_secs: 1 }, 0.06),
            create(FaultKind::ResetAfterProcessing, 0.05),
            create(FaultKind::StallBody, 0.03),
        ],
        seed: 7,
        // As today's providers: a resent create is a second paid job. Only the ledger's rules
        // (intent first, lost creates looked up, never resent blindly) keep one job per line.
        honour_idempotency_keys: false,
        ..Default::default()
    }
}

fn batch_file(dir: &Path) -> PathBuf {
    let file = dir.join("prompts.jsonl");
    let lines: Vec<String> = (1..=LINES)
        .map(|i| format!("{{\"prompt\": \"Shot {i} of {LINES}: a paper boat on a river\", \"duration\": 5}}"))
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    file
}

/// Starts one worker; its output goes to a log file of its own.
fn worker(sim: &Sim, file: &Path, out: &Path, ledger: Option<&str>, logs: &Path, n: usize) -> Child {
    let mut cmd = videogen_process_at(sim, &[videogen::Provider::Oxen], &logs.join("sim-state.json"));
    cmd.args(["--json", "batch"]).arg(file).arg("--out-dir").arg(out);
    cmd.args(["--concurrency", "8", "--poll-interval", "0.1", "--request-timeout", "2", "--lease", "2"]);
    // A worker killed between recording a create's intent and sending it leaves a line whose
    // create may or may not have happened: after the look-up window (the simulator's list shows
    // a job at once) the restarted workers may send it again, as the user allows here. The
    // simulator's count of one job per line proves that nothing found was sent again.
    cmd.args(["--resubmit-unknown", "--lookup-window", "1"]);
    if let Some(url) = ledger {
        cmd.args(["--ledger", url]);
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(logs.join(format!("worker-{n}.log"))).unwrap();
    cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap()
}

/// Runs `workers` workers until `finished` says the batch is done, killing a random one with
/// SIGKILL every 0.1–0.6 s (at most `kills` times) and restarting it; a worker that exits
/// while the batch is not done is restarted too. Returns the kills made.
fn run_with_kills(
    workers: usize,
    kills: usize,
    mut start: impl FnMut(usize) -> Child,
    finished: impl Fn() -> bool,
) -> usize {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut children: Vec<Child> = (0..workers).map(&mut start).collect();
    let started = Instant::now();
    let mut killed = 0;
    let mut next_kill = Instant::now() + Duration::from_millis(rng.random_range(100..600));
    loop {
        assert!(started.elapsed() < DEADLINE, "the batch was not done within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
        if killed < kills && Instant::now() >= next_kill {
            let i = rng.random_range(0..workers);
            children[i].kill().unwrap(); // SIGKILL
            children[i].wait().unwrap();
            killed += 1;
            children[i] = start(i);
            next_kill = Instant::now() + Duration::from_millis(rng.random_range(100..600));
        }
        let mut all_exited = true;
        for (i, child) in children.iter_mut().enumerate() {
            if child.try_wait().unwrap().is_none() {
                all_exited = false;
            } else if !finished() {
                *child = start(i);
                all_exited = false;
            }
        }
        if all_exited && finished() {
            return killed;
        }
    }
}

/// Every line's file is there once (`NNNN-<fingerprint>.mp4`), complete, and nothing else is
/// left in the folder.
fn assert_files(out: &Path, extra: &[&str]) {
    let mut names: Vec<String> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut rest: Vec<String> = names.clone();
    let mut lines = Vec::new();
    for i in 1..=LINES {
        let prefix = format!("{i:04}-");
        let mine: Vec<&String> = names.iter().filter(|n| n.starts_with(&prefix) && n.ends_with(".mp4")).collect();
        assert_eq!(mine.len(), 1, "one file for line {i}: {names:?}");
        rest.retain(|n| n != mine[0]);
        lines.push(out.join(mine[0]));
    }
    let mut extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    extra.sort();
    assert_eq!(rest, extra, "one file per line, no partial download left");
    let first = std::fs::read(&lines[0]).unwrap();
    for path in &lines {
        assert!(is_mp4(path), "{} is a complete MP4", path.display());
        assert_eq!(std::fs::metadata(path).unwrap().len(), first.len() as u64, "{} is whole", path.display());
    }
}

/// The simulator's counts: one job per line; every create received either made a line's job
/// or was refused with 429 (nothing created).
fn assert_paid_once(sim: &Sim) -> videogen_sim::Counters {
    let c = sim.counters();
    let oxen = videogen_sim::Provider::Oxen;
    assert_eq!(c.jobs_created(oxen), LINES as u64, "one job per line: {c:?}");
    let rate_limited = c.faults_by_kind.get("rate_limited").copied().unwrap_or(0);
    assert_eq!(c.create_requests(oxen), LINES as u64 + rate_limited, "creates received = lines + 429s: {c:?}");
    for kind in ["rate_limited", "reset_after_processing", "stall_body"] {
        assert!(c.faults_by_kind.get(kind).copied().unwrap_or(0) > 0, "the run met {kind}: {c:?}");
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_on_postgres_killed_at_random_do_every_line_once() {
    let cluster = videogen_testpg::Cluster::start().unwrap();
    let sim = Sim::start(hostile_sim()).await.unwrap();
    let dir = scratch("ledger-pg");
    let file = batch_file(&dir);
    let out = dir.join("videos");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let (db, connection) = tokio_postgres::connect(&cluster.url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let rt = tokio::runtime::Handle::current();
    let done_lines = || -> i64 {
        let q = db.query_opt("SELECT count(*) FROM videogen_lines WHERE state = 'done'", &[]);
        match tokio::task::block_in_place(|| rt.block_on(q)) {
            Ok(Some(row)) => row.get(0),
            _ => 0,
        }
    };
    let kills = tokio::task::block_in_place(|| {
        run_with_kills(
            4,
            12,
            |n| worker(&sim, &file, &out, Some(&cluster.url), &logs, n),
            || done_lines() == LINES as i64,
        )
    });
    assert!(kills >= 4, "the batch met kills: {kills}");

    let rows = db.query("SELECT line_no, state, jobs, done FROM videogen_lines ORDER BY line_no", &[]).await.unwrap();
    assert_eq!(rows.len(), LINES);
    let mut jobs = std::collections::HashSet::new();
    for row in &rows {
        let line: i32 = row.get(0);
        let state: String = row.get(1);
        let line_jobs: serde_json::Value = row.get(2);
        let done: serde_json::Value = row.get(3);
        assert_eq!(state, "done", "line {line}");
        assert_eq!(line_jobs.as_array().map(Vec::len), Some(1), "line {line}: one job");
        assert!(jobs.insert(line_jobs[0]["id"].as_str().unwrap().to_string()), "line {line}'s job is its own");
        let outputs = done.as_object().unwrap();
        assert_eq!(outputs.len(), 1, "line {line} done once: {done}");
        let file = outputs["0"]["file"].as_str().unwrap_or_default();
        assert!(file.starts_with(&format!("{line:04}-")) && file.ends_with(".mp4"), "{done}");
        assert_eq!(
            outputs["0"]["sha256"].as_str().map(str::len),
            Some(64),
            "the ledger keeps the file's digest: {done}"
        );
        assert!(outputs["0"]["worker"].as_str().is_some_and(|w| !w.is_empty()), "the ledger says who wrote it");
    }
    let owned: i64 = db.query_one("SELECT count(*) FROM videogen_jobs", &[]).await.unwrap().get(0);
    assert_eq!(owned, LINES as i64);
    // The results from the ledger (a worker that ran to its end wrote them too; the last one
    // may have been killed): every line done with its one file, read back from the MP4.
    let report = tokio::task::block_in_place(|| {
        videogen().args(["batch", "report", "--ledger", &cluster.url, "--out-dir"]).arg(&out).output().unwrap()
    });
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let manifest = results_of(&out);
    assert_eq!(manifest.len(), LINES);
    let odd: Vec<&serde_json::Value> = manifest
        .iter()
        .filter(|r| r["status"] != "done" || r["files"][0]["width"].as_u64().is_none() || r["prompt"].is_null())
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
    assert_files(&out, &["index.html", "results.jsonl"]);
    let counters = assert_paid_once(&sim);
    let workers: i64 = db.query_one("SELECT count(*) FROM videogen_workers", &[]).await.unwrap().get(0);
    let by_worker: Vec<i32> = db
        .query("SELECT lines_done FROM videogen_workers ORDER BY started_at", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(by_worker.iter().sum::<i32>(), LINES as i32, "each line counted once, by the worker that wrote it");
    eprintln!(
        "kills: {kills}; workers started: {workers}, lines done by each: {by_worker:?}; creates received {}, jobs {}, faults {:?}",
        counters.create_requests(videogen_sim::Provider::Oxen),
        counters.jobs_created(videogen_sim::Provider::Oxen),
        counters.faults_by_kind
    );

    // The status command reads the same ledger.
    let status =
        videogen().args(["--json", "batch", "status", "--ledger", &cluster.url, "--lease", "2"]).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["totals"]["done"], LINES);
    assert_eq!(status["files"].as_array().map(Vec::len), Some(LINES));
    assert_eq!(status["workers"].as_array().map(Vec::len), Some(workers as usize));
    // The workers that ran to the end said so; the killed ones never did.
    let stopped = status["workers"].as_array().unwrap().iter().filter(|w| w["state"] == "stopped").count();
    assert!(stopped >= 4 && workers as usize - stopped <= kills, "{stopped} stopped: {status}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_on_the_embedded_journal_killed_at_random_does_every_line_once() {
    let sim = Sim::start(hostile_sim()).await.unwrap();
    let dir = scratch("ledger-embedded");
    let file = batch_file(&dir);
    let out = dir.join("videos");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let journal = out.join("videogen-journal.jsonl");
    let done_lines = || {
        std::fs::read_to_string(&journal)
            .map(|t| t.lines().filter(|l| l.contains("\"event\":\"done\"")).count())
            .unwrap_or(0)
    };
    let kills = tokio::task::block_in_place(|| {
        run_with_kills(1, 8, |n| worker(&sim, &file, &out, None, &logs, n), || done_lines() >= LINES)
    });
    assert!(kills >= 4, "the batch met kills: {kills}");
    // A run stopped between recording a file and putting it in place records it again on the
    // rerun: under the same name, so each line has one file.
    let recorded: std::collections::HashSet<(String, String)> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "done")
        .map(|v| (v["key"].as_str().unwrap().to_string(), v["file"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(recorded.len(), LINES, "each line's file recorded under one name");
    assert_files(&out, &["index.html", "results.jsonl", "videogen-journal.jsonl"]);
    // The last run may have been killed before its final manifest: `batch report` rewrites it
    // from the journal, and it lists every line as done, each with its file.
    let report = videogen().args(["batch", "report", "--out-dir"]).arg(&out).output().unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let rows = results_of(&out);
    assert_eq!(rows.len(), LINES);
    let odd: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["status"] != "done" || r["files"].as_array().map(Vec::len) != Some(1)).collect();
    assert!(odd.is_empty(), "{odd:?}");
    let counters = assert_paid_once(&sim);
    eprintln!(
        "kills: {kills}; creates received {}, jobs {}, faults {:?}",
        counters.create_requests(videogen_sim::Provider::Oxen),
        counters.jobs_created(videogen_sim::Provider::Oxen),
        counters.faults_by_kind
    );
    sim.stop().await;
}

/// Runs `workers` workers of a `lines`-line batch on `url` to their end (each must exit 0).
fn run_workers(sim: &Sim, dir: &Path, url: &str, workers: usize, lines: usize, extra: &[&str]) {
    let file = dir.join("prompts.jsonl");
    let text: Vec<String> =
        (1..=lines).map(|i| format!("{{\"prompt\": \"Paced line {i}\", \"duration\": 5}}")).collect();
    std::fs::write(&file, text.join("\n")).unwrap();
    let children: Vec<Child> = (0..workers)
        .map(|n| {
            let mut cmd = videogen_process_at(sim, &[videogen::Provider::Oxen], &dir.join("sim-state.json"));
            cmd.args(["--json", "batch"]).arg(&file).arg("--out-dir").arg(dir.join(format!("videos-{n}")));
            cmd.args(["--ledger", url, "--poll-interval", "0.1", "--lease", "5"]).args(extra);
            cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_worker_pauses_every_worker() {
    let cluster = videogen_testpg::Cluster::start().unwrap();
    let rule = FaultRule::new(
        videogen_sim::Provider::Oxen,
        "enqueue_generation",
        FaultKind::RateLimited { retry_after_secs: 3 },
    )
    .schedule(Schedule::Nth(vec![5]));
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(100),
        faults: vec![rule],
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("ledger-429");
    tokio::task::block_in_place(|| run_workers(&sim, &dir, &cluster.url, 2, 30, &["--concurrency", "2"]));
    let c = sim.counters();
    assert_eq!(c.jobs_created(videogen_sim::Provider::Oxen), 30, "{:?}", c.create_log);
    let refused = c.create_log.iter().find(|e| e.rate_limited).expect("the 429 was sent").at_ms;
    // Creates already on their way when the 429 came (one per lane) may land just after it;
    // then nobody sends one until the Retry-After has passed.
    let soon = c.create_log.iter().filter(|e| e.at_ms > refused && e.at_ms <= refused + 500).count();
    let paused = c.create_log.iter().filter(|e| e.at_ms > refused + 500 && e.at_ms < refused + 2700).count();
    assert!(soon <= 3, "{soon} creates right after the 429: {:?}", c.create_log);
    assert_eq!(paused, 0, "every worker waited out the Retry-After: {:?}", c.create_log);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_on_creates_in_flight_holds_across_workers() {
    let cluster = videogen_testpg::Cluster::start().unwrap();
    // The first create's answer stalls until the request timeout (2 s): with a cap of 1, no
    // worker sends another create meanwhile.
    let rule = FaultRule::new(videogen_sim::Provider::Oxen, "enqueue_generation", FaultKind::StallBody)
        .schedule(Schedule::First(1));
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(100),
        faults: vec![rule],
        honour_idempotency_keys: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("ledger-cap");
    let extra = ["--concurrency", "3", "--max-creates-in-flight", "1", "--request-timeout", "2"];
    tokio::task::block_in_place(|| run_workers(&sim, &dir, &cluster.url, 2, 12, &extra));
    let c = sim.counters();
    let oxen = videogen_sim::Provider::Oxen;
    assert_eq!((c.jobs_created(oxen), c.create_requests(oxen)), (12, 12), "the stalled create was adopted");
    let first = c.create_log[0].at_ms;
    let during = c.create_log.iter().filter(|e| e.at_ms > first && e.at_ms < first + 1800).count();
    assert_eq!(during, 0, "nothing else was sent while the stalled create was in flight: {:?}", c.create_log);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_batch_keeps_unchanged_lines_across_edits_and_a_derived_id_names_the_file() {
    let cluster = videogen_testpg::Cluster::start().unwrap();
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(100),
        honour_idempotency_keys: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("ledger-edit");
    let file = dir.join("b.jsonl");
    let oxen = videogen_sim::Provider::Oxen;
    let run = |extra: &[&str]| {
        let mut cmd = videogen_at(&sim, &[videogen::Provider::Oxen]);
        cmd.args(["--json", "batch"]).arg(&file).arg("--out-dir").arg(dir.join("videos"));
        cmd.args(["--ledger", &cluster.url, "--poll-interval", "0.1"]).args(extra);
        let out = tokio::task::block_in_place(|| cmd.output().unwrap());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    std::fs::write(&file, "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n").unwrap();
    let first = run(&["--batch-id", "daily"]);
    assert_eq!(first["done"], 3, "{first}");
    // The same named batch after an edit: only the edited line is generated.
    std::fs::write(&file, "{\"prompt\": \"a\"}\n{\"prompt\": \"b, edited\"}\n{\"prompt\": \"c\"}\n").unwrap();
    let second = run(&["--batch-id", "daily"]);
    assert_eq!(second["done"], 1, "{second}");
    assert_eq!(sim.counters().jobs_created(oxen), 4);
    // Run again unchanged: nothing to do.
    let third = run(&["--batch-id", "daily"]);
    assert_eq!(third["done"], 0, "{third}");
    assert_eq!(sim.counters().jobs_created(oxen), 4);
    // Without --batch-id the id comes from the file: the same file twice is one batch.
    let derived = run(&[]);
    assert_eq!(derived["done"], 3, "{derived}");
    let again = run(&[]);
    assert_eq!(again["done"], 0, "{again}");
    assert_eq!(sim.counters().jobs_created(oxen), 7);
    let ids = run_status(&cluster.url);
    assert!(ids.contains("daily") && ids.contains("2 batches"), "{ids}");
    sim.stop().await;
}

/// `videogen batch status` on a ledger of several batches: it names them.
fn run_status(url: &str) -> String {
    let out = videogen().args(["batch", "status", "--ledger", url]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The database through an outage: three workers share a PostgreSQL ledger, and PostgreSQL is
/// crashed (`pg_ctl stop -m immediate`) for 12 s mid-batch, well within the 30-second lease.
/// No worker exits: each keeps its jobs in flight, reconnects with backoff, and carries on; every
/// line is done exactly once (jobs created = lines = files).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_ride_out_a_12_second_database_crash() {
    const LINES: usize = 90;
    let cluster = videogen_testpg::Cluster::start().unwrap();
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(200),
        processing_for: Duration::from_secs(3),
        honour_idempotency_keys: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("ledger-outage");
    let file = dir.join("prompts.jsonl");
    let lines: Vec<String> =
        (1..=LINES).map(|i| format!("{{\"prompt\": \"Outage shot {i}: a lighthouse\"}}")).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = dir.join("videos");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut workers: Vec<Child> = (0..3)
        .map(|n| {
            let mut cmd = videogen_process_at(&sim, &[videogen::Provider::Oxen], &logs.join("sim-state.json"));
            cmd.args(["--json", "batch"]).arg(&file).arg("--out-dir").arg(&out);
            cmd.args(["--concurrency", "8", "--poll-interval", "0.2", "--ledger", &cluster.url]);
            let log = std::fs::File::create(logs.join(format!("worker-{n}.log"))).unwrap();
            cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap()
        })
        .collect();
    let url = cluster.url.clone();
    let done_lines = move || -> i64 {
        let url = url.clone();
        let rt = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| {
            rt.block_on(async {
                let Ok((db, connection)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await else { return 0 };
                tokio::spawn(connection);
                match db.query_one("SELECT count(*) FROM videogen_lines WHERE state = 'done'", &[]).await {
                    Ok(row) => row.get(0),
                    Err(_) => 0,
                }
            })
        })
    };
    let started = Instant::now();
    while done_lines() < 5 {
        assert!(started.elapsed() < Duration::from_secs(60), "the batch did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = done_lines();
    cluster.crash().unwrap();
    std::thread::sleep(Duration::from_secs(12));
    for w in &mut workers {
        assert!(w.try_wait().unwrap().is_none(), "a worker exited during the outage");
    }
    cluster.restart().unwrap();
    for (n, w) in workers.iter_mut().enumerate() {
        let status = loop {
            if let Some(status) = w.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < DEADLINE, "the batch was not done within {DEADLINE:?}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let log = std::fs::read_to_string(logs.join(format!("worker-{n}.log"))).unwrap_or_default();
        assert!(status.success(), "worker {n} ended with {status}: {log}");
    }
    assert!(before < LINES as i64, "the crash came mid-batch ({before} lines done before it)");
    assert_eq!(done_lines(), LINES as i64, "every line done");
    let oxen = videogen_sim::Provider::Oxen;
    assert_eq!(sim.counters().jobs_created(oxen), LINES as u64, "one job per line: {:?}", sim.counters());
    let files = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".mp4"))
        .count();
    assert_eq!(files, LINES, "one file per line");
    eprintln!("lines done before the crash: {before}; jobs {}", sim.counters().jobs_created(oxen));
    sim.stop().await;
}

/// Past its lease, a worker cut off from the ledger stops its lines and the command ends with
/// exit 1 and a message saying why (no background task exits the process); a rerun finishes the
/// batch without a second job for any line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_cut_off_past_its_lease_stops_and_a_rerun_finishes() {
    const LINES: usize = 6;
    let cluster = videogen_testpg::Cluster::start().unwrap();
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(200),
        processing_for: Duration::from_secs(2),
        honour_idempotency_keys: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("ledger-lease-lost");
    let file = dir.join("prompts.jsonl");
    let lines: Vec<String> = (1..=LINES).map(|i| format!("{{\"prompt\": \"Cut-off shot {i}\"}}")).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = dir.join("videos");
    let run = || {
        let mut cmd = videogen_process_at(&sim, &[videogen::Provider::Oxen], &dir.join("sim-state.json"));
        cmd.args(["batch"]).arg(&file).arg("--out-dir").arg(&out);
        cmd.args(["--concurrency", "2", "--poll-interval", "0.2", "--lease", "3", "--ledger", &cluster.url]);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
    };
    let child = run();
    let oxen = videogen_sim::Provider::Oxen;
    let started = Instant::now();
    while sim.counters().jobs_created(oxen) < 1 {
        assert!(started.elapsed() < Duration::from_secs(30), "no job was created");
        std::thread::sleep(Duration::from_millis(50));
    }
    cluster.crash().unwrap();
    let output = tokio::task::block_in_place(|| child.wait_with_output()).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("lease"), "says why: {stderr}");
    cluster.restart().unwrap();
    let output = tokio::task::block_in_place(|| run().wait_with_output()).unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(sim.counters().jobs_created(oxen), LINES as u64, "one job per line: {:?}", sim.counters());
    sim.stop().await;
}
