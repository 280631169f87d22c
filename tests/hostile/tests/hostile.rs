//! The hostile-server tier, library side: thousands of seeded cases, each a submit → wait →
//! download through the facade against a [`videogen_hostile::Server`] that mutates one kind of
//! answer. Every case must hold the invariants:
//!
//! 1. no panic;
//! 2. an outcome from the documented set, and every error after a create carries the job;
//! 3. at most one job created per submit (a create redirected or refused is sent at most once
//!    more, and only when refused with 429);
//! 4. the API key never reaches another origin (nor a hop that left the API origin and came back);
//! 5. no file under the final name unless it is the whole, valid result;
//! 6. each phase ends within its own bound plus 2 s.
//!
//! `HOSTILE_CASES=N` runs N cases (default 2,400); `HOSTILE_SEED=S` runs one seed and prints it.

use futures::StreamExt;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use videogen::{Client, Error, Provider, RetryPolicy, VideoRequest, WaitPolicy};
use videogen_hostile::{Api, BadBody, CONTENT, Case, Hop, KEY, Mutation, Record, Server, Target};

const REQUEST_TIMEOUT: Duration = Duration::from_millis(800);
const WAIT_DEADLINE: Duration = Duration::from_millis(1500);
const DOWNLOAD_LIMIT: Duration = Duration::from_millis(1500);
const SLACK: Duration = Duration::from_secs(2);

fn retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_millis(300),
        max_create_retries: None,
    }
}

/// The bound of the submit: every try's request timeout plus every clamped retry sleep.
fn submit_bound() -> Duration {
    let r = retry();
    REQUEST_TIMEOUT * (r.max_retries as u32 + 1) + r.max_retry_after * r.max_retries as u32
}

fn provider(api: Api) -> Provider {
    match api {
        Api::Oxen => Provider::Oxen,
        Api::VideoDb => Provider::VideoDb,
        Api::OpenAi => Provider::OpenAi,
        Api::AiHubMix => Provider::AiHubMix,
        Api::Replicate => Provider::Replicate,
    }
}

fn scratch(seed: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("videogen-hostile-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs one case; `Err` is the broken invariant.
async fn run_case(case: Case) -> Result<(String, Record), String> {
    let server = Server::start(case.clone()).await;
    let p = provider(case.api);
    let client = Client::builder()
        .allow_retired_models(true) // the hostile server answers in Sora's shapes, which gateways still speak
        .api_key(p, KEY)
        .base_url(p, server.base_url())
        .request_timeout(REQUEST_TIMEOUT)
        .retry(retry())
        .stall_timeout(Duration::from_millis(400))
        .download_header_timeout(Duration::from_millis(400))
        .download_timeout(DOWNLOAD_LIMIT)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let dir = scratch(case.seed);
    let out = dir.join("out.mp4");
    let request = VideoRequest::new(p, case.api.model()).prompt("A hostile red balloon");
    let mut policy = WaitPolicy::every(Duration::from_millis(30), WAIT_DEADLINE);
    policy.min_interval = Duration::from_millis(30);

    // The flow, in a task of its own so a panic shows as a JoinError.
    let target = out.clone();
    let flow = tokio::spawn(async move {
        let mut times = Vec::new();
        let t = Instant::now();
        let job = client.submit(&request).await;
        times.push(("submit", t.elapsed(), submit_bound()));
        let job = match job {
            Ok(job) => job,
            Err(e) => return (Err((false, e)), times),
        };
        let t = Instant::now();
        let video = client.wait(&job, policy).await;
        times.push(("wait", t.elapsed(), WAIT_DEADLINE));
        let video = match video {
            Ok(v) => v,
            Err(e) => return (Err((true, e)), times),
        };
        let t = Instant::now();
        let file = video.download_to(&target).await;
        times.push(("download", t.elapsed(), DOWNLOAD_LIMIT));
        (file.map(|f| f.bytes).map_err(|e| (true, e)), times)
    });
    let result = flow.await;
    server.stop();
    let record = server.record();
    let (outcome, times) = match result {
        Ok(r) => r,
        Err(e) if e.is_panic() => return Err("the flow panicked".into()),
        Err(e) => return Err(format!("the flow task failed: {e}")),
    };
    // 6. time bounds, per phase.
    for (phase, took, bound) in &times {
        if *took > *bound + SLACK {
            return Err(format!("{phase} took {took:?}, over its bound {bound:?} + 2 s"));
        }
    }
    // 2. documented outcomes; errors after a create carry the job.
    let summary = match &outcome {
        Ok(bytes) => format!("ok {bytes} bytes"),
        Err((after_create, e)) => {
            if *after_create && e.job().is_none() {
                return Err(format!("an error after the create has no job: {e:?}"));
            }
            if !*after_create && e.job().is_some() {
                return Err(format!("a submit error carries a job: {e:?}"));
            }
            let name = variant(e);
            if name == "other" {
                return Err(format!("an undocumented outcome: {e:?}"));
            }
            name.to_string()
        }
    };
    // 3. at most one job per submit; a redirected create is never sent again.
    if record.jobs_created > 1 {
        return Err(format!("{} jobs created for one submit", record.jobs_created));
    }
    if case.target == Target::Create
        && matches!(case.mutation, Mutation::Redirect { .. })
        && record.create_requests != 1
    {
        return Err(format!("a redirected create was sent {} times", record.create_requests));
    }
    if let Ok(_) | Err((true, _)) = &outcome
        && record.jobs_created != 1
    {
        return Err(format!("the submit returned a job but the server created {}", record.jobs_created));
    }
    // 4. no key off the API origin.
    if !record.leaks.is_empty() {
        return Err(format!("the key reached: {:?}", record.leaks));
    }
    // 5. the final name holds the whole result or nothing; nothing else but a hidden partial.
    match std::fs::read(&out) {
        Ok(bytes) if bytes == *CONTENT => {}
        Ok(bytes) => return Err(format!("out.mp4 holds {} bytes that are not the result", bytes.len())),
        Err(_) if outcome.is_ok() => return Err("the download succeeded but out.mp4 is missing".into()),
        Err(_) => {}
    }
    for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "out.mp4" && !(name.starts_with(".videogen-") && name.ends_with(".part")) {
            return Err(format!("an unexpected file was left: {name}"));
        }
    }
    if case.mutation == Mutation::None && outcome.is_err() {
        return Err(format!("an unmutated case failed: {summary}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((summary, record))
}

/// The documented outcome an error is, by name.
fn variant(e: &Error) -> &'static str {
    match e {
        Error::InvalidRequest { .. } => "InvalidRequest",
        Error::Auth { .. } => "Auth",
        Error::RateLimited { .. } => "RateLimited",
        Error::ContentPolicy { .. } => "ContentPolicy",
        Error::NotFound { .. } => "NotFound",
        Error::Redirect { .. } => "Redirect",
        Error::JobFailed { .. } => "JobFailed",
        Error::Cancelled { .. } => "Cancelled",
        Error::Timeout { .. } => "Timeout",
        Error::OutcomeUnknown { .. } => "OutcomeUnknown",
        Error::Transport { .. } => "Transport",
        Error::Decode { .. } => "Decode",
        Error::Api { .. } => "Api",
        Error::Expired { .. } => "Expired",
        Error::Download { .. } => "Download",
        Error::InvalidVideo { .. } => "InvalidVideo",
        Error::Io { .. } => "Io",
        _ => "other",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_never_break_the_promises() {
    let seeds: Vec<u64> = match std::env::var("HOSTILE_SEED") {
        Ok(s) => vec![s.trim().parse().expect("HOSTILE_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("HOSTILE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2400);
            (0..n).collect()
        }
    };
    let started = Instant::now();
    let results: Vec<(Case, Result<String, String>)> = futures::stream::iter(seeds)
        .map(|seed| async move {
            let case = Case::from_seed(seed);
            (case.clone(), run_case(case).await.map(|(summary, _)| summary))
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_outcome: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (case, result) in &results {
        *per_category.entry(case.mutation.category()).or_default() += 1;
        match result {
            Ok(outcome) => {
                let key = outcome.split(' ').next().unwrap_or("").to_string();
                *per_outcome.entry(key).or_default() += 1;
            }
            Err(why) => failures.push(format!(
                "seed {}: {:?} {:?} {:?} (once: {}): {why}\n  replay: HOSTILE_SEED={} cargo test -p videogen-hostile --test hostile",
                case.seed, case.api, case.target, case.mutation, case.once, case.seed
            )),
        }
    }
    println!("hostile tier: {} cases in {:.1} s", results.len(), started.elapsed().as_secs_f64());
    println!("  by category: {per_category:?}");
    println!("  by outcome: {per_outcome:?}");
    assert!(
        failures.is_empty(),
        "{} of {} cases broke an invariant:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

/// A case built by hand (not from a seed).
fn case(api: Api, target: Target, mutation: Mutation, once: bool, result_on_api_origin: bool) -> Case {
    // Seeds far above the seeded range keep each hand-built case's scratch folder its own.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 40);
    let seed = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Case { seed, api, target, mutation, once, result_on_api_origin }
}

async fn expect(c: Case, outcome: &str) -> Record {
    let what = format!("{:?} {:?} {:?}", c.api, c.target, c.mutation);
    let (summary, record) = run_case(c).await.unwrap_or_else(|why| panic!("{what}: {why}"));
    assert!(summary.starts_with(outcome), "{what}: {summary}, expected {outcome}");
    assert!(record.leaks.is_empty(), "{what}: {:?}", record.leaks);
    record
}

/// A status read redirected A → B → B is not followed off the API origin (the key never reaches
/// B); a result download redirected A → B → B follows, with the key on A only; one that goes
/// A → B → A carries no key on the way back.
#[tokio::test]
async fn two_hop_redirects_deliver_no_key_to_another_origin() {
    for api in Api::ALL {
        expect(case(api, Target::Status, Mutation::Redirect { code: 302, hop: Hop::TwoHop }, true, false), "Redirect")
            .await;
        for hop in [Hop::TwoHop, Hop::ThereAndBack] {
            // Results on the API origin: the first request may carry the key (VideoDB's
            // x-access-token, OpenAI's Authorization), no hop after it may.
            let record =
                expect(case(api, Target::Download, Mutation::Redirect { code: 302, hop }, true, true), "ok").await;
            assert!(record.downloads >= 1, "{api:?}");
        }
    }
}

/// A create answered 307 or 308 is not re-posted: one create request, no job, a typed error.
#[tokio::test]
async fn a_create_answered_307_is_sent_once() {
    for api in Api::ALL {
        for code in [307, 308] {
            for hop in [Hop::SameOrigin, Hop::Loop] {
                let record =
                    expect(case(api, Target::Create, Mutation::Redirect { code, hop }, false, false), "Redirect").await;
                assert_eq!((record.create_requests, record.jobs_created), (1, 0), "{api:?} {code} {hop:?}");
            }
        }
    }
}

/// `Retry-After: 86400` on a download is clamped (here to the policy's 300 ms ceiling): the
/// download finishes instead of sleeping a day.
#[tokio::test]
async fn a_retry_after_of_a_day_on_a_download_is_clamped() {
    for api in Api::ALL {
        let started = Instant::now();
        let retry_after = Mutation::RetryAfter { code: 429, value: "86400".into() };
        let record = expect(case(api, Target::Download, retry_after, true, false), "ok").await;
        assert!(record.downloads >= 2, "{api:?}: the refused download and its retry");
        assert!(started.elapsed() < Duration::from_secs(5), "{api:?}: {:?}", started.elapsed());
    }
}

/// A create answered 4xx is a refusal whatever its body (an HTML page from a proxy, an empty
/// body): never `OutcomeUnknown`, no job, not re-sent (429 aside, which is re-sent).
#[tokio::test]
async fn a_4xx_create_with_an_html_body_is_a_refusal() {
    for api in Api::ALL {
        for (code, outcome) in [
            (400, "InvalidRequest"),
            (401, "Auth"),
            (403, "Auth"),
            (404, "NotFound"),
            (409, "Api"),
            (422, "InvalidRequest"),
        ] {
            for body in [BadBody::Html, BadBody::Empty, BadBody::InvalidUtf8] {
                let record =
                    expect(case(api, Target::Create, Mutation::Status { code, body }, false, false), outcome).await;
                assert_eq!((record.create_requests, record.jobs_created), (1, 0), "{api:?} {code} {body:?}");
            }
        }
        let record =
            expect(case(api, Target::Create, Mutation::Status { code: 429, body: BadBody::Html }, true, false), "ok")
                .await;
        assert_eq!((record.create_requests, record.jobs_created), (2, 1), "{api:?}: a 429 then a 200 is one job");
    }
}

/// A status word no client knows is waited on, the same way for every provider (then the job
/// finishes normally).
#[tokio::test]
async fn unknown_status_words_are_waited_on_for_every_provider() {
    for api in Api::ALL {
        expect(case(api, Target::Status, Mutation::Body(BadBody::UnknownStatus), true, false), "ok").await;
        // Always unknown: the wait goes on until its deadline.
        expect(case(api, Target::Status, Mutation::Body(BadBody::UnknownStatus), false, false), "Timeout").await;
    }
}

/// A burst of 503s while waiting is waited out (until the deadline), not the end of the wait.
#[tokio::test]
async fn a_503_burst_while_waiting_is_waited_out() {
    for api in Api::ALL {
        let once = Mutation::Status { code: 503, body: BadBody::Html };
        expect(case(api, Target::Status, once.clone(), true, false), "ok").await;
        let record = expect(case(api, Target::Status, once, false, false), "Timeout").await;
        assert!(record.status_polls >= 3, "{api:?}: kept polling ({} polls)", record.status_polls);
    }
}
