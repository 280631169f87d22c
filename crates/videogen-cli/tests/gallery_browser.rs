//! The batch's gallery page in a real browser: Debian's headless Chromium driven through
//! ChromeDriver's W3C WebDriver endpoint (plain JSON over HTTP, spoken here with reqwest). A
//! mixed batch on the simulator (done, failed, refused by content policy, a prompt carrying a
//! `<script>`) writes `index.html`; the rendered DOM must show every card, the videos' metadata
//! loaded (duration > 0), filters that change the visible cards, and the script as text. A
//! screenshot is kept at `target/gallery-screenshot.png`.
//!
//! `cargo xtask ci` installs Debian's `chromium` and `chromium-driver` where missing; where
//! they are absent (a machine that cannot install them) the test says so and checks nothing
//! else.

use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use videogen_sim::{FaultKind, FaultRule, Provider as SimProvider, Schedule};

mod common;
use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A WebDriver session on a ChromeDriver child process (both ended on drop).
struct Browser {
    driver: std::process::Child,
    http: reqwest::Client,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        videogen_transport::install_crypto_provider();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        // The flags this machine's Chromium needs headless as root, without its background
        // connections (refused by the closed network).
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}});
        let answer: Value =
            http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session =
            answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_string();
        Self { driver, http, base, session, _profile: profile }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let request = self.http.request(method, url);
        let request = if body.is_null() { request } else { request.json(&body) };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "url", json!({"url": url})).await;
    }

    async fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "execute/sync", json!({"script": script, "args": []})).await
    }

    async fn run_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "execute/async", json!({"script": script, "args": []})).await
    }

    async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "screenshot", Value::Null).await;
        let png = png.as_str().unwrap_or_else(|| panic!("no screenshot: {png}"));
        let bytes = base64::engine::general_purpose::STANDARD.decode(png).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gallery_page_works_in_a_real_browser() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        eprintln!(
            "SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is not installed (cargo xtask ci installs Debian's chromium and chromium-driver)"
        );
        return;
    }
    // Lines 2 and 5 fail at the provider; line 3 is refused by its content policy.
    let create = |kind: FaultKind, nth: Vec<u32>| {
        FaultRule::new(SimProvider::Oxen, "enqueue_generation", kind).schedule(Schedule::Nth(nth))
    };
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: Duration::from_millis(20),
        processing_for: Duration::from_millis(100),
        faults: vec![create(FaultKind::JobFails, vec![2, 5]), create(FaultKind::ContentPolicy, vec![3])],
        // Each video as asked: its length and aspect ratio, a colour of its own.
        result_videos: videogen_sim::ResultVideos::AsRequested,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("gallery");
    // Line 4 is portrait and 10 s; the others 5 s at 16:9.
    let mut lines: Vec<String> = (1..=8)
        .map(|i| match i {
            4 => format!(r#"{{"prompt": "Balloon {i} over a lake", "duration": 10, "aspect_ratio": "9:16"}}"#),
            _ => format!(r#"{{"prompt": "Balloon {i} over a lake", "duration": 5}}"#),
        })
        .collect();
    lines.push(r#"{"prompt": "A kite <script>window.__injected = 1</script> & \"friends\"", "duration": 5}"#.into());
    // Line 10 on VideoDB, which gives a thumbnail: the card's poster.
    lines.push(r#"{"prompt": "A drone over a harbour", "provider": "videodb", "duration": 6}"#.into());
    std::fs::write(dir.join("mixed.jsonl"), lines.join("\n")).unwrap();
    let out = dir.join("videos");
    let batch = tokio::task::block_in_place(|| {
        videogen_at(&sim, &[videogen::Provider::Oxen, videogen::Provider::VideoDb])
            .args(["batch", "mixed.jsonl", "--concurrency", "1", "--out-dir"])
            .arg(&out)
            .current_dir(&dir)
            .output()
            .unwrap()
    });
    assert_eq!(batch.status.code(), Some(4), "two jobs failed: {}", String::from_utf8_lossy(&batch.stderr));
    let rows = results_of(&out);
    assert_eq!(rows.len(), 10);
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "failed").count(), 3, "{statuses:?}");
    assert_eq!(rows.iter().filter(|r| r["content_policy"] == true).count(), 1, "{rows:?}");
    // The simulator's videos are as asked, as read back from each MP4.
    let file = |line: usize| rows[line - 1]["files"][0].clone();
    assert_eq!((file(1)["width"].as_u64(), file(1)["height"].as_u64()), (Some(160), Some(90)), "{rows:?}");
    assert_eq!(file(1)["duration_seconds"].as_f64(), Some(5.0));
    assert_eq!((file(4)["width"].as_u64(), file(4)["height"].as_u64()), (Some(90), Some(160)));
    assert_eq!(file(4)["duration_seconds"].as_f64(), Some(10.0));
    assert_ne!(file(1)["sha256"], file(6)["sha256"], "each job's video is its own");

    let browser = Browser::start().await;
    browser.go(&format!("file://{}", out.join("index.html").display())).await;
    let cards = browser.run("return document.querySelectorAll('article.card').length").await;
    assert_eq!(cards, 10, "a card per line");
    // Every video's metadata loads from file:// (the page needs no network).
    let durations = browser
        .run_async(
            "const done = arguments[arguments.length - 1];
             const videos = Array.from(document.querySelectorAll('video'));
             Promise.all(videos.map(v => v.readyState >= 1 ? null : new Promise(r => {
                 v.addEventListener('loadedmetadata', r); v.addEventListener('error', r); })))
               .then(() => done(videos.map(v => v.duration || 0)));",
        )
        .await;
    let durations: Vec<f64> = durations.as_array().unwrap().iter().map(|d| d.as_f64().unwrap_or(0.0)).collect();
    assert_eq!(durations.len(), 7, "seven videos: {durations:?}");
    assert!(durations.iter().all(|d| *d > 0.0), "every video's duration loaded: {durations:?}");
    // The browser reads the lengths asked for: 5 s, and 10 s for line 4 (the second video).
    assert!((durations[1] - 10.0).abs() < 0.05 && (durations[0] - 5.0).abs() < 0.05, "{durations:?}");
    assert!((durations[6] - 6.0).abs() < 0.05, "VideoDB's 6 s: {durations:?}");
    // VideoDB's card has the provider's thumbnail as its poster, and it loads from file://.
    let poster = browser
        .run_async(
            "const done = arguments[arguments.length - 1];
             const src = document.querySelector('#line-10 video').poster;
             const img = new Image(); img.onload = () => done([src, img.naturalWidth]); img.onerror = () => done([src, 0]);
             img.src = src;",
        )
        .await;
    assert!(poster[0].as_str().unwrap().ends_with("-poster.webp") && poster[1].as_u64() > Some(0), "{poster}");
    assert_eq!(browser.run("return document.querySelector('#line-1 video').poster").await, "", "Oxen.ai gives none");
    // The filters change what is shown.
    let shown = |status: &str| {
        format!(
            "const s = document.getElementById('status-filter'); s.value = '{status}';
             s.dispatchEvent(new Event('change'));
             return Array.from(document.querySelectorAll('article.card')).filter(c => !c.hidden).length;"
        )
    };
    assert_eq!(browser.run(&shown("failed")).await, 3);
    assert_eq!(browser.run(&shown("done")).await, 7);
    assert_eq!(browser.run(&shown("")).await, 10);
    // Sorting: by time finished, newest first (one line at a time: line 10 ended last); by cost,
    // the dearest first.
    let first_after = |key: &str| {
        format!(
            "const s = document.getElementById('sort'); s.value = '{key}'; s.dispatchEvent(new Event('change'));
             return document.querySelector('article.card:not([hidden])').id;"
        )
    };
    assert_eq!(browser.run(&first_after("finished")).await, "line-10");
    assert_eq!(browser.run(&first_after("line")).await, "line-1");
    let by_cost = browser
        .run(
            "const s = document.getElementById('sort'); s.value = 'cost'; s.dispatchEvent(new Event('change'));
             return Array.from(document.querySelectorAll('article.card')).map(c => parseFloat(c.dataset.cost));",
        )
        .await;
    let by_cost: Vec<f64> = by_cost.as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
    assert!(by_cost.windows(2).all(|w| w[0] >= w[1]) && by_cost[9] == 0.0, "dearest first: {by_cost:?}");
    // The injected script is text on the page, never run.
    assert_eq!(browser.run("return typeof window.__injected").await, "undefined");
    let text = browser.run("return document.getElementById('line-9').innerText").await;
    assert!(text.as_str().unwrap().contains("<script>window.__injected = 1</script> & \"friends\""), "{text}");
    browser.run(&first_after("line")).await;
    let artifact = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/gallery-screenshot.png");
    browser.screenshot(&artifact).await;
    assert!(std::fs::metadata(&artifact).unwrap().len() > 1000, "a screenshot is kept");
    eprintln!("screenshot: {}", artifact.display());
    sim.stop().await;
}
