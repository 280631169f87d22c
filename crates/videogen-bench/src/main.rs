//! `videogen-bench`: the client side of `cargo xtask bench`. Each subcommand runs in its own
//! process against a `videogen-sim` started by the xtask, and prints one JSON object: CPU time
//! and peak RSS are this process's own (from `/proc/self`), so the simulator's work is not counted.

use clap::{Parser, Subcommand};
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use videogen::{Client, JobStatus, Provider, RetryPolicy, VideoRequest, WaitPolicy};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// CPU time per job on a current-thread runtime: the facade, a raw reqwest + serde loop
    /// (tokio::fs writes), and the limit baseline (reqwest, std::fs writes), in rotating order.
    Overhead {
        /// The simulator's OpenAI base URL (`http://127.0.0.1:PORT/v1`).
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 100)]
        jobs: usize,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long)]
        dir: PathBuf,
    },
    /// N concurrent jobs through one Client: submit and wait.
    Concurrency {
        #[arg(long)]
        base: String,
        #[arg(long)]
        jobs: usize,
        /// Poll interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        poll_ms: u64,
    },
    /// One `download_to` of a finished Oxen job's result.
    Download {
        /// The simulator's base URL.
        #[arg(long)]
        base: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// One Oxen synchronous generate with `b64_json`, decoded to a file.
    B64 {
        #[arg(long)]
        base: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// This process's CPU time (user + system), from `getrusage` (microseconds).
fn cpu_time() -> Duration {
    // SAFETY: an all-zero rusage is a valid value; getrusage fills it for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// This process's peak resident set size in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
        .unwrap_or(0)
}

fn client(provider: Provider, base: &str) -> Client {
    Client::builder()
        .api_key(provider, "sk-bench")
        .base_url(provider, base)
        .retry(RetryPolicy::default())
        .build()
        .expect("client")
}

async fn facade_job(client: &Client, dir: &std::path::Path, i: usize) {
    let request = VideoRequest::new(Provider::OpenAi, "gateway-video-model").prompt(format!("bench {i}")).duration(4);
    let job = client.submit(&request).await.expect("submit");
    let mut last = None;
    for _ in 0..10 {
        last = Some(client.status(&job).await.expect("status"));
    }
    let Some(JobStatus::Succeeded(video)) = last else {
        panic!("the simulator job did not finish: use --processing-ms 0")
    };
    client.video(&video).expect("bind").download_to(dir.join(format!("f{i}.mp4"))).await.expect("download");
}

#[derive(serde::Deserialize)]
struct RawVideo {
    id: String,
    status: String,
}

/// The create and the ten status reads, by hand (reqwest + serde); returns the video's id.
async fn raw_create_and_poll(http: &reqwest::Client, base: &str, i: usize) -> String {
    let created: RawVideo = http
        .post(format!("{base}/videos"))
        .bearer_auth("sk-bench")
        .json(&json!({"model": "sora-2", "prompt": format!("bench {i}"), "seconds": "4"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("decode");
    let mut status = String::new();
    for _ in 0..10 {
        let v: RawVideo = http
            .get(format!("{base}/videos/{}", created.id))
            .bearer_auth("sk-bench")
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("decode");
        status = v.status;
    }
    assert_eq!(status, "completed");
    created.id
}

/// The same HTTP calls as `facade_job`, by hand: create, ten status reads, a streamed download to
/// a temporary file, fsync and rename (what `download_to` does for safety).
async fn raw_job(http: &reqwest::Client, base: &str, dir: &std::path::Path, i: usize) {
    use tokio::io::AsyncWriteExt;
    let id = raw_create_and_poll(http, base, i).await;
    let response =
        http.get(format!("{base}/videos/{id}/content")).bearer_auth("sk-bench").send().await.expect("content");
    let tmp = dir.join(format!(".r{i}.part"));
    let mut file = tokio::fs::File::create(&tmp).await.expect("create file");
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        file.write_all(&chunk.expect("chunk")).await.expect("write");
    }
    file.sync_all().await.expect("sync");
    tokio::fs::rename(&tmp, dir.join(format!("r{i}.mp4"))).await.expect("rename");
}

/// The limit baseline: the same calls with nothing between the program and reqwest — no
/// facade, no idempotency key, no checks — and the file written with `std::fs` on the runtime's
/// own thread (a current-thread runtime: no hand-off to a blocking pool), fsync, rename.
async fn limit_job(http: &reqwest::Client, base: &str, dir: &std::path::Path, i: usize) {
    use std::io::Write;
    let id = raw_create_and_poll(http, base, i).await;
    let mut response =
        http.get(format!("{base}/videos/{id}/content")).bearer_auth("sk-bench").send().await.expect("content");
    let tmp = dir.join(format!(".l{i}.part"));
    let mut file = std::fs::File::create(&tmp).expect("create file");
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        file.write_all(&chunk).expect("write");
    }
    file.sync_all().expect("sync");
    std::fs::rename(&tmp, dir.join(format!("l{i}.mp4"))).expect("rename");
}

async fn overhead(base: String, jobs: usize, rounds: usize, dir: PathBuf) -> Value {
    std::fs::create_dir_all(&dir).expect("dir");
    let facade = client(Provider::OpenAi, &base);
    videogen_transport::install_crypto_provider();
    let raw = reqwest::Client::new();
    let limit = reqwest::Client::new();
    // Warm the connection pools.
    facade_job(&facade, &dir, usize::MAX).await;
    raw_job(&raw, &base, &dir, usize::MAX).await;
    limit_job(&limit, &base, &dir, usize::MAX).await;
    let order = ["facade", "raw", "limit"];
    let mut cpu: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut wall: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for round in 0..rounds {
        // Each round starts with the next client, so no client always goes first.
        for k in 0..order.len() {
            let which = order[(round + k) % order.len()];
            let (cpu0, wall0) = (cpu_time(), Instant::now());
            for i in 0..jobs {
                match which {
                    "facade" => facade_job(&facade, &dir, i).await,
                    "raw" => raw_job(&raw, &base, &dir, i).await,
                    _ => limit_job(&limit, &base, &dir, i).await,
                }
            }
            cpu.entry(which).or_default().push((cpu_time() - cpu0).as_secs_f64() * 1000.0 / jobs as f64);
            wall.entry(which).or_default().push(wall0.elapsed().as_secs_f64() * 1000.0 / jobs as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f, r, l) =
        (median(&mut cpu["facade"].clone()), median(&mut cpu["raw"].clone()), median(&mut cpu["limit"].clone()));
    let _ = std::fs::remove_dir_all(&dir);
    json!({"jobs_per_round": jobs, "rounds": rounds, "cpu_ms_per_job": cpu, "wall_ms_per_job": wall,
           "facade_median_cpu_ms": f, "raw_median_cpu_ms": r, "limit_median_cpu_ms": l,
           "ratio": f / r, "limit_ratio": f / l})
}

async fn concurrency(base: String, jobs: usize, poll_ms: u64) -> Value {
    let client = client(Provider::OpenAi, &base);
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    let policy = WaitPolicy::every(Duration::from_millis(poll_ms), Duration::from_secs(600));
    let one_job = |i: usize| {
        let client = client.clone();
        async move {
            let request = VideoRequest::new(Provider::OpenAi, "gateway-video-model")
                .prompt(format!("concurrent {i}"))
                .duration(4);
            let job = client.submit(&request).await.map_err(|e| e.to_string())?;
            client.wait(&job, policy).await.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    // What each job's task holds while it waits: the job's future (its largest await point),
    // and the wait's event stream, which the wait keeps on the heap (boxed, so the job's future
    // alone would not show it growing).
    let future_bytes = std::mem::size_of_val(&one_job(0));
    let probe = videogen::Job::from_short_form("openai:probe").expect("a short form");
    let stream_bytes = std::mem::size_of_val(&client.events(&probe, policy));
    let results: Vec<Result<(), String>> = futures::stream::iter(0..jobs)
        .map(|i| tokio::spawn(one_job(i)))
        .buffer_unordered(jobs)
        .map(|r| r.unwrap_or_else(|e| Err(e.to_string())))
        .collect()
        .await;
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    json!({"jobs": jobs, "wall_s": wall0.elapsed().as_secs_f64(), "cpu_s": (cpu_time() - cpu0).as_secs_f64(),
           "peak_rss_kib": peak_rss_kib(), "errors": errors.len(), "first_error": errors.first(),
           "future_bytes": future_bytes, "stream_bytes": stream_bytes})
}

async fn download(base: String, out: PathBuf) -> Value {
    let client = client(Provider::Oxen, &base);
    let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").prompt("download bench");
    let job = client.submit(&request).await.expect("submit");
    let video =
        client.wait(&job, WaitPolicy::every(Duration::from_millis(20), Duration::from_secs(60))).await.expect("wait");
    let url = video.url().unwrap_or_default().to_string();
    let start = Instant::now();
    let file = video.download_to(&out).await.expect("download");
    let secs = start.elapsed().as_secs_f64();
    json!({"bytes": file.bytes, "secs": secs, "mib_per_s": file.bytes as f64 / 1048576.0 / secs, "peak_rss_kib": peak_rss_kib(), "url": url})
}

async fn b64(base: String, out: PathBuf) -> Value {
    let client = client(Provider::Oxen, &base);
    let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
        .prompt("b64 bench")
        .extra("response_format", json!("b64_json"));
    let start = Instant::now();
    let video = client.generate_now(&request).await.expect("generate");
    let file = video.download_to(&out).await.expect("decode");
    json!({"bytes": file.bytes, "encoded_bytes": file.bytes.div_ceil(3) * 4, "secs": start.elapsed().as_secs_f64(), "peak_rss_kib": peak_rss_kib()})
}

fn main() {
    let command = Cli::parse().command;
    // The per-job measurement runs every client on one current-thread runtime, as the limit
    // baseline needs and as the peers' sync clients run; the others on the default runtime.
    let runtime = match command {
        Command::Overhead { .. } => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
    }
    .expect("runtime");
    let result = runtime.block_on(async {
        match command {
            Command::Overhead { base, jobs, rounds, dir } => overhead(base, jobs, rounds, dir).await,
            Command::Concurrency { base, jobs, poll_ms } => concurrency(base, jobs, poll_ms).await,
            Command::Download { base, out } => download(base, out).await,
            Command::B64 { base, out } => b64(base, out).await,
        }
    });
    println!("{result}");
}
