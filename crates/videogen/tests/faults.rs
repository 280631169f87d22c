//! For each fault the simulator injects, every job ends in a typed outcome, the simulator's create
//! counter equals the number of submits, and no partial file is left under the final name.

mod common;

use common::*;
use std::time::Duration;
use videogen::{Client, Error, Provider, RetryPolicy};
use videogen_sim::{FaultKind, FaultRule, Schedule, Sim, SimConfig};

type SimProvider = videogen_sim::Provider;

fn sim_provider(p: Provider) -> SimProvider {
    match p {
        Provider::Oxen => SimProvider::Oxen,
        Provider::VideoDb => SimProvider::VideoDb,
        Provider::OpenAi => SimProvider::OpenAi,
        Provider::AiHubMix => SimProvider::AiHubMix,
        Provider::Replicate => SimProvider::Replicate,
    }
}

/// The operationIds of create and status per provider, and the download operation.
fn ops(p: Provider) -> (&'static str, &'static str, &'static str) {
    match p {
        Provider::Oxen => ("enqueue_generation", "get_queue_generation", "download"),
        Provider::VideoDb => ("generate_video", "get_async_response", "download"),
        Provider::OpenAi | Provider::AiHubMix => ("createVideo", "GetVideo", "RetrieveVideoContent"),
        Provider::Replicate => ("create_model_prediction", "get_prediction", "download"),
    }
}

/// What one job ended as.
#[derive(Debug)]
enum Outcome {
    Downloaded,
    Failed(Error),
}

/// Submits one job, waits, downloads; returns the outcome and checks the house rules.
async fn run_one(provider: Provider, faults: Vec<FaultRule>, config: SimConfig) -> (Outcome, Sim) {
    let sim = Sim::start(SimConfig { faults: faults.clone(), ..config }).await.unwrap();
    let client = client(&sim, provider);
    let dir = scratch("faults");
    let path = dir.join("out.mp4");
    let outcome = async {
        let job = client.submit(&request(provider)).await?;
        let video = client.wait(&job, policy()).await?;
        video.download_to(&path).await?;
        Ok::<_, Error>(())
    }
    .await;
    let counters = sim.counters();
    assert!(counters.jobs_created(sim_provider(provider)) <= 1, "{provider}: at most one job per submit");
    let refused_429 = faults
        .iter()
        .any(|f| matches!(f.kind, FaultKind::RateLimited { .. }) && f.operation.as_deref() == Some(ops(provider).0));
    if !refused_429 {
        assert_eq!(counters.create_requests(sim_provider(provider)), 1, "{provider}: exactly one create per submit");
    }
    let files = files_in(&dir);
    let outcome = match outcome {
        Ok(()) => {
            assert_eq!(files, ["out.mp4"], "{provider}");
            assert_eq!(sha256_file(&path), sim.result_sha256(), "{provider}: the downloaded file is whole");
            Outcome::Downloaded
        }
        Err(e) => {
            assert!(files.is_empty(), "{provider}: nothing left behind after {e}: {files:?}");
            Outcome::Failed(e)
        }
    };
    (outcome, sim)
}

const PROVIDERS: [Provider; 4] = [Provider::Oxen, Provider::VideoDb, Provider::OpenAi, Provider::Replicate];

#[tokio::test]
async fn faults_on_reads_are_retried_to_success() {
    for provider in PROVIDERS {
        let p = sim_provider(provider);
        let (_, status, download) = ops(provider);
        for kind in [
            FaultKind::RateLimited { retry_after_secs: 1 },
            FaultKind::ServerError { status: 503 },
            FaultKind::ResetBeforeResponse,
            FaultKind::MalformedJson,
            FaultKind::TruncatedBody,
        ] {
            let rule = FaultRule::new(p, status, kind.clone()).schedule(Schedule::First(1));
            let (outcome, sim) = run_one(provider, vec![rule], fast_config()).await;
            assert!(matches!(outcome, Outcome::Downloaded), "{provider} {kind:?} on status: {outcome:?}");
            sim.stop().await;
        }
        for kind in [FaultKind::TruncatedBody, FaultKind::StallBody, FaultKind::ServerError { status: 502 }] {
            let rule = FaultRule::new(p, download, kind.clone()).schedule(Schedule::First(1));
            let (outcome, sim) = run_one(provider, vec![rule], fast_config()).await;
            assert!(matches!(outcome, Outcome::Downloaded), "{provider} {kind:?} on download: {outcome:?}");
            sim.stop().await;
        }
    }
}

#[tokio::test]
async fn faults_on_creates_are_never_retried() {
    for provider in PROVIDERS {
        let p = sim_provider(provider);
        let (create, _, _) = ops(provider);
        type Expect = fn(&Error) -> bool;
        let cases: Vec<(FaultKind, Expect)> = vec![
            (FaultKind::ServerError { status: 500 }, |e| matches!(e, Error::OutcomeUnknown { status: Some(500), .. })),
            (FaultKind::ResetBeforeResponse, |e| matches!(e, Error::OutcomeUnknown { .. })),
            (FaultKind::ResetAfterProcessing, |e| matches!(e, Error::OutcomeUnknown { .. })),
            (FaultKind::MalformedJson, |e| matches!(e, Error::OutcomeUnknown { .. })),
            (FaultKind::StallBody, |e| matches!(e, Error::OutcomeUnknown { .. })),
        ];
        for (kind, expected) in cases {
            // A stalled answer ends at the client's request timeout (1.5 s in these tests).
            let rule = FaultRule::new(p, create, kind.clone());
            let (outcome, sim) = run_one(provider, vec![rule], fast_config()).await;
            match outcome {
                Outcome::Failed(e) => {
                    assert!(expected(&e), "{provider} {kind:?} on create: {e:?}");
                    assert!(!e.is_retryable() || matches!(e, Error::RateLimited { .. }), "{e:?}");
                }
                other => panic!("{provider} {kind:?} on create: {other:?}"),
            }
            sim.stop().await;
        }
    }
}

#[tokio::test]
async fn failed_jobs_content_policy_expiry_and_gone_are_typed() {
    for provider in PROVIDERS {
        let p = sim_provider(provider);
        let (create, status, _) = ops(provider);

        let (outcome, sim) =
            run_one(provider, vec![FaultRule::new(p, create, FaultKind::JobFails)], fast_config()).await;
        match outcome {
            Outcome::Failed(Error::JobFailed { job, error }) => {
                assert_eq!(job.provider, provider);
                assert!(!error.content_policy, "{error:?}");
            }
            other => panic!("{provider} job fails: {other:?}"),
        }
        sim.stop().await;

        let (outcome, sim) =
            run_one(provider, vec![FaultRule::new(p, create, FaultKind::ContentPolicy)], fast_config()).await;
        match outcome {
            Outcome::Failed(e) => assert!(e.is_content_policy() && e.job().is_some(), "{provider}: {e:?}"),
            other => panic!("{provider} content policy: {other:?}"),
        }
        sim.stop().await;

        let (outcome, sim) =
            run_one(provider, vec![FaultRule::new(p, status, FaultKind::GoneWhenFinished)], fast_config()).await;
        match outcome {
            // Oxen's generation history still has a job its queue dropped.
            Outcome::Downloaded if provider == Provider::Oxen => {
                assert!(sim.counters().requests("oxen.get_generation") >= 1, "looked up in the history");
            }
            Outcome::Failed(Error::NotFound { job: Some(job), .. }) if provider != Provider::Oxen => {
                assert_eq!(job.provider, provider)
            }
            other => panic!("{provider} gone when finished: {other:?}"),
        }
        sim.stop().await;
    }
}

#[tokio::test]
async fn expired_results_are_typed() {
    for provider in PROVIDERS {
        let sim = Sim::start(SimConfig { result_ttl: Duration::from_millis(1), ..fast_config() }).await.unwrap();
        let client = client(&sim, provider);
        let dir = scratch("expired");
        let job = client.submit(&request(provider)).await.unwrap();
        let video = match client.wait(&job, policy()).await {
            Ok(video) => video,
            // Replicate removes a prediction's output with its data (`data_removed`): past the
            // retention the status itself says so, and the wait ends Expired with the job.
            Err(Error::Expired { job: expired }) if provider == Provider::Replicate => {
                assert_eq!(*expired, job);
                assert!(matches!(client.status(&job).await, Err(Error::Expired { .. })));
                sim.stop().await;
                continue;
            }
            Err(e) => panic!("{provider}: {e:?}"),
        };
        tokio::time::sleep(Duration::from_millis(1100)).await;
        if provider == Provider::OpenAi {
            // OpenAI reports `expires_at`: the status shows the result as expired.
            match client.status(&job).await.unwrap() {
                videogen::JobStatus::Succeeded(v) => assert!(v.is_expired()),
                other => panic!("{other:?}"),
            }
        }
        let err = video.download_to(dir.join("late.mp4")).await.unwrap_err();
        assert!(matches!(err, Error::Expired { .. }), "{provider}: {err:?}");
        assert!(files_in(&dir).is_empty());
        assert_eq!(sim.counters().create_requests(sim_provider(provider)), 1);
        sim.stop().await;
    }
}

/// A create refused with 429 created nothing: it is sent again (same idempotency key, after the
/// clamped Retry-After) and the submit ends with exactly one job.
#[tokio::test]
async fn a_create_refused_with_429_is_sent_again_and_makes_one_job() {
    for provider in PROVIDERS {
        let p = sim_provider(provider);
        let (create, _, _) = ops(provider);
        let rule =
            FaultRule::new(p, create, FaultKind::RateLimited { retry_after_secs: 0 }).schedule(Schedule::First(1));
        let (outcome, sim) = run_one(provider, vec![rule], fast_config()).await;
        assert!(matches!(outcome, Outcome::Downloaded), "{provider}: {outcome:?}");
        let counters = sim.counters();
        assert_eq!(counters.create_requests(p), 2, "{provider}: the refused create and its retry");
        assert_eq!(counters.jobs_created(p), 1, "{provider}: one job");
        let keys: Vec<u64> = counters.creates_by_idempotency_key.values().copied().collect();
        assert_eq!(keys, [2], "{provider}: both tries carried the same idempotency key");
        sim.stop().await;

        // Refused every time: RateLimited after the policy's retries, still no job.
        let rule = FaultRule::new(p, create, FaultKind::RateLimited { retry_after_secs: 0 });
        let (outcome, sim) = run_one(provider, vec![rule], fast_config()).await;
        match outcome {
            Outcome::Failed(e @ Error::RateLimited { .. }) => assert!(e.job().is_none(), "{e:?}"),
            other => panic!("{provider}: {other:?}"),
        }
        assert_eq!(sim.counters().create_requests(p), 5, "{provider}: the first try and 4 retries");
        assert_eq!(sim.counters().jobs_created(p), 0);
        sim.stop().await;
    }
}

/// `max_create_retries: Some(0)` hands a create's 429 to the caller at once (one create sent),
/// while a create whose connection was refused is still retried up to `max_retries`.
#[tokio::test]
async fn a_caller_pacing_creates_gets_the_first_429() {
    let p = sim_provider(Provider::OpenAi);
    let rule = FaultRule::new(p, "createVideo", FaultKind::RateLimited { retry_after_secs: 7 });
    let sim = Sim::start(SimConfig { faults: vec![rule], ..fast_config() }).await.unwrap();
    let paced = Client::builder()
        .allow_retired_models(true)
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, base_url(&sim, Provider::OpenAi))
        .retry(RetryPolicy { max_create_retries: Some(0), ..fast_retry() })
        .build()
        .unwrap();
    let err = paced.submit(&request(Provider::OpenAi)).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(sim.counters().create_requests(p), 1, "not retried by the library");
    sim.stop().await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nowhere = Client::builder()
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, format!("http://{closed}/v1"))
        .retry(RetryPolicy { max_create_retries: Some(0), ..fast_retry() })
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = nowhere.submit(&request(Provider::OpenAi)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(30), "a refused connection is still retried");
}

/// A caller's [`videogen::RateLimitPause`] gets each 429 with the schedule's delay (the clamped
/// `Retry-After`) and decides: `true` sends the create again (same key), `false` hands the 429
/// back. The library never sleeps a paced 429 itself.
#[tokio::test]
async fn a_rate_limit_pause_decides_each_429() {
    struct Pause {
        seen: std::sync::Mutex<Vec<Duration>>,
        allow: usize,
    }
    impl videogen::RateLimitPause for Pause {
        fn rate_limited<'a>(
            &'a self,
            provider: Provider,
            error: &'a Error,
            delay: Duration,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
            assert_eq!(provider, Provider::OpenAi);
            assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
            let mut seen = self.seen.lock().unwrap();
            seen.push(delay);
            let go = seen.len() <= self.allow;
            Box::pin(async move { go })
        }
    }
    let p = sim_provider(Provider::OpenAi);
    // Two 429s asking for 7 s each, then the create goes through.
    let rule =
        FaultRule::new(p, "createVideo", FaultKind::RateLimited { retry_after_secs: 7 }).schedule(Schedule::First(2));
    let sim = Sim::start(SimConfig { faults: vec![rule], ..fast_config() }).await.unwrap();
    let client = Client::builder()
        .allow_retired_models(true)
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, base_url(&sim, Provider::OpenAi))
        .retry(RetryPolicy { max_create_retries: Some(12), ..fast_retry() })
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let pause = Pause { seen: std::sync::Mutex::new(Vec::new()), allow: usize::MAX };
    let jobs = client.submit_many_paced(&request(Provider::OpenAi), &pause).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5), "the pause, not the library, waits: {:?}", started.elapsed());
    assert_eq!(*pause.seen.lock().unwrap(), [Duration::from_secs(7), Duration::from_secs(7)]);
    assert_eq!(sim.counters().create_requests(p), 3);
    assert_eq!(sim.counters().jobs_created(p), 1);
    sim.stop().await;

    // A pause that says no: the first 429 comes back, nothing else is sent.
    let rule = FaultRule::new(p, "createVideo", FaultKind::RateLimited { retry_after_secs: 7 });
    let sim = Sim::start(SimConfig { faults: vec![rule], ..fast_config() }).await.unwrap();
    let client = Client::builder()
        .allow_retired_models(true)
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, base_url(&sim, Provider::OpenAi))
        .retry(fast_retry())
        .build()
        .unwrap();
    let pause = Pause { seen: std::sync::Mutex::new(Vec::new()), allow: 0 };
    let err = client.submit_many_paced(&request(Provider::OpenAi), &pause).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(sim.counters().create_requests(p), 1);
    assert_eq!(pause.seen.lock().unwrap().len(), 1);
    sim.stop().await;
}

/// The simulator honours the idempotency key: a create repeated with the same key (as a
/// provider adopting the header would) answers the same job and creates none.
#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_same_job() {
    videogen_transport::install_crypto_provider();
    let sim = Sim::start(fast_config()).await.unwrap();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let answer: serde_json::Value = http
            .post(format!("{}/videos", sim.openai_base_url()))
            .bearer_auth("k")
            .header("Idempotency-Key", "key-1")
            .json(&serde_json::json!({"model": "sora-2", "prompt": "p"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(answer["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::OpenAi), 1);
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::OpenAi), 2);
    sim.stop().await;
}

#[tokio::test]
async fn transport_errors_keep_their_source_without_the_url() {
    // A port nothing listens on: the connect fails (nothing sent), and the reqwest error under it
    // is kept as the source, its URL removed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = videogen::Client::builder()
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, format!("http://127.0.0.1:{port}/v1"))
        .retry(fast_retry())
        .push_events(false)
        .build()
        .unwrap();
    let job = videogen::Job::from_short_form("openai:video_123").unwrap();
    let err = client.status(&job).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let mut chain = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    assert!(!chain.is_empty(), "the transport error underneath is kept");
    assert!(chain.iter().all(|s| !s.contains("/v1/videos")), "no URL in the chain: {chain:?}");
}

/// A result host that refuses the URL is a failed download, never the client's configuration:
/// 401 is [`Error::Download`] naming the status, 403 on a signed result URL is
/// [`Error::Expired`]; nothing is written either way.
#[tokio::test]
async fn a_result_url_refused_with_401_or_403_is_a_failed_download() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let status = if request.starts_with("GET /401") { "401 Unauthorized" } else { "403 Forbidden" };
                let body = "<Error><Code>AccessDenied</Code></Error>";
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let dir = scratch("refused-result");
    let job = videogen::Job::from_short_form("oxen:gen-1").unwrap();
    for (path, expired) in [("401", false), ("403", true)] {
        let info: videogen::VideoInfo = serde_json::from_value(serde_json::json!({
            "job": job,
            "location": {"kind": "result_url", "url": format!("http://{addr}/{path}/v.mp4?signature=s")},
        }))
        .unwrap();
        let err = client.video(&info).unwrap().download_to(dir.join("v.mp4")).await.unwrap_err();
        match (&err, expired) {
            (Error::Expired { .. }, true) => {}
            (Error::Download { message, .. }, false) => assert!(message.contains("HTTP 401"), "{message}"),
            _ => panic!("{path}: {err:?}"),
        }
        assert!(!matches!(err, Error::Auth { .. } | Error::Config { .. }), "{err:?}");
        assert!(files_in(&dir).is_empty(), "{path}: nothing written");
    }
    server.abort();
    sim.stop().await;
}

/// [`videogen::Video::no_overwrite`]: a download never replaces an existing file (checked
/// before the transfer, and again when the file is put in place); a free path works as usual.
#[tokio::test]
async fn a_no_overwrite_download_keeps_an_existing_file() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let dir = scratch("no-overwrite");
    let job = client.submit(&request(Provider::Oxen)).await.unwrap();
    let video = client.wait(&job, policy()).await.unwrap();
    let taken = dir.join("taken.mp4");
    std::fs::write(&taken, b"precious").unwrap();
    let err = video.clone().no_overwrite().download_to(&taken).await.unwrap_err();
    assert!(matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists), "{err:?}");
    assert_eq!(std::fs::read(&taken).unwrap(), b"precious");
    let free = video.clone().no_overwrite().download_to(dir.join("free.mp4")).await.unwrap();
    assert_eq!(&std::fs::read(&free.path).unwrap()[4..8], b"ftyp");
    // Without it, the same call replaces the file, as documented.
    video.download_to(&taken).await.unwrap();
    assert_eq!(&std::fs::read(&taken).unwrap()[4..8], b"ftyp");
    sim.stop().await;
}
