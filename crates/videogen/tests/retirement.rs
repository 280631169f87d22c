//! Retired models, end to end against the simulator as the services answer today: refused
//! before sending by the catalogue's dates, and typed from the provider's own answer when a
//! program lets them through.

mod common;

use chrono::NaiveDate;
use common::{KEY, base_url, fast_retry};
use videogen::{Client, Error, Provider, VideoRequest};
use videogen_sim::{Provider as SimProvider, Sim, SimConfig};

const SIM_PROVIDERS: [SimProvider; 4] =
    [SimProvider::Oxen, SimProvider::VideoDb, SimProvider::AiHubMix, SimProvider::OpenAi];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn client(sim: &Sim, provider: Provider, today: NaiveDate, allow: bool) -> Client {
    Client::builder()
        .api_key(provider, KEY)
        .base_url(provider, base_url(sim, provider))
        .retry(fast_retry())
        .today(today)
        .allow_retired_models(allow)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_retired_model_is_refused_before_anything_is_sent() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    for (provider, model, since, replacement) in [
        (Provider::AiHubMix, "sora-2", "2026-09-24", None),
        (Provider::AiHubMix, "veo-3.1-generate-preview", "2026-10-22", Some("gemini-omni-1.1-flash")),
        (Provider::OpenAi, "sora-2-pro", "2026-09-24", None),
        (Provider::Oxen, "kling-video-o3-pro-reference-to-video", "2026-07-27", None),
    ] {
        let request = VideoRequest::new(provider, model).prompt("A red balloon");
        let err = client(&sim, provider, day("2026-12-06"), false).submit(&request).await.unwrap_err();
        match &err {
            Error::ModelRetired { since: Some(d), replacement: r, .. } => {
                assert_eq!(d.to_string(), since, "{err}");
                assert_eq!(r.as_deref(), replacement, "{err}");
            }
            other => panic!("{model}: {other:?}"),
        }
        assert!(err.to_string().contains(since), "{err}");
    }
    let counters = sim.counters();
    for p in SIM_PROVIDERS {
        assert_eq!(counters.create_requests(p), 0, "nothing was sent to {p:?}");
    }
}

#[tokio::test]
async fn the_day_before_its_shutdown_a_deprecated_model_still_works() {
    // The date is injectable: on 2026-09-23 Sora was deprecated, not retired. The simulator (as
    // before the shutdown) makes the job.
    let sim = Sim::start(SimConfig { serve_retired_models: true, ..SimConfig::default() }).await.unwrap();
    let request = VideoRequest::new(Provider::AiHubMix, "sora-2").prompt("A red balloon").duration(4);
    let job = client(&sim, Provider::AiHubMix, day("2026-09-23"), false).submit(&request).await.unwrap();
    assert!(!job.id.is_empty());
}

#[tokio::test]
async fn let_through_the_provider_answers_and_the_error_is_typed() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    // AIHubMix answers Sora with its documented 503 "Incorrect model ID…"; the catalogue adds the date.
    let sora = VideoRequest::new(Provider::AiHubMix, "sora-2").prompt("A red balloon").duration(4);
    let err = client(&sim, Provider::AiHubMix, day("2026-12-06"), true).submit(&sora).await.unwrap_err();
    match &err {
        Error::ModelRetired { since, reason, .. } => {
            assert_eq!(since.map(|d| d.to_string()).as_deref(), Some("2026-09-24"));
            assert!(reason.contains("503") && reason.contains("Incorrect model ID"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Veo previews: Google's 404 "… is no longer available", passed on.
    let veo = VideoRequest::new(Provider::AiHubMix, "veo-3.1-fast-generate-preview").prompt("x").duration(8);
    let err = client(&sim, Provider::AiHubMix, day("2026-12-06"), true).submit(&veo).await.unwrap_err();
    assert!(matches!(&err, Error::ModelRetired { reason, .. } if reason.contains("no longer available")), "{err:?}");
    // A model neither the catalogue nor the provider knows: Oxen.ai's "Model not found".
    let unknown = VideoRequest::new(Provider::Oxen, "no-such-model").prompt("x");
    let err = client(&sim, Provider::Oxen, day("2026-12-06"), false).submit(&unknown).await.unwrap_err();
    assert!(matches!(&err, Error::ModelNotFound { status: 404, .. }), "{err:?}");
    // An Oxen.ai model no longer listed, let through: the service's 404, typed as retired.
    let o3 = VideoRequest::new(Provider::Oxen, "kling-video-o3-pro-reference-to-video").prompt("x").duration(5);
    let err = client(&sim, Provider::Oxen, day("2026-12-06"), true).submit(&o3).await.unwrap_err();
    assert!(matches!(&err, Error::ModelRetired { since: Some(_), .. }), "{err:?}");
    let counters = sim.counters();
    assert_eq!(counters.create_requests(SimProvider::AiHubMix), 2, "both were sent, once each");
    for p in SIM_PROVIDERS {
        assert_eq!(counters.jobs_created(p), 0, "nothing was created at {p:?}");
    }
}

#[tokio::test]
async fn a_client_is_never_pointed_at_openais_shut_down_api() {
    let err = Client::builder().api_key(Provider::OpenAi, "sk-x").build().unwrap_err();
    assert!(
        matches!(&err, Error::Config { message } if message.contains("2026-09-24") && message.contains("OPENAI_BASE_URL")),
        "{err:?}"
    );
    let err = Client::builder()
        .api_key(Provider::OpenAi, "sk-x")
        .base_url(Provider::OpenAi, "https://API.openai.com/v1")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
}
