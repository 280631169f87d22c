//! AIHubMix's model families, each with its own body (providers.md §4, AIHubMix
//! `aihubmix-media-adapters` `src/adapters/video.ts`): the exact request the facade sends for
//! each (insta snapshots, key redacted), and each family end to end against the simulator.

mod common;

use common::*;
use serde_json::Value;
use videogen::{Client, ImageInput, Provider, VideoRequest};
use videogen_transport::capture::{CannedResponse, CaptureServer};

fn families() -> Vec<(&'static str, VideoRequest)> {
    let r = |model: &str| VideoRequest::new(Provider::AiHubMix, model).prompt("A cat on a windowsill");
    let image = || ImageInput::Url("https://example.com/first.png".into());
    vec![
        ("sora", r("sora-2").duration(8).aspect_ratio("16:9").image(image())),
        ("veo", r("veo-3.1-generate-preview").duration(6).aspect_ratio("9:16")),
        ("wan_t2v", r("wan2.5-t2v").duration(5)),
        ("wan_i2v", r("wan2.5-i2v").duration(5).image(image())),
        ("jimeng", r("jimeng-3.0-pro").duration(5).aspect_ratio("16:9")),
        (
            "seedance",
            r("doubao-seedance-1-0-pro-250528")
                .duration(5)
                .aspect_ratio("16:9")
                .image(image())
                .extra("resolution", serde_json::json!("720p")),
        ),
        ("dashscope", r("wan2.7-i2v").duration(5).image(image()).extra("resolution", serde_json::json!("720P"))),
    ]
}

#[tokio::test]
async fn each_aihubmix_family_sends_its_own_body() {
    for (name, request) in families() {
        let answer = r#"{"id": "eyJtb2RlbCI6ICJ4In0=", "object": "video", "status": "queued"}"#;
        let server = CaptureServer::start(CannedResponse::json(200, answer)).await;
        let client = Client::builder()
            .allow_retired_models(true) // Sora's and Veo's bodies, as AIHubMix took them
            .api_key(Provider::AiHubMix, "sk-test")
            .base_url(Provider::AiHubMix, server.base_url())
            .build()
            .unwrap();
        let job = client.submit(&request).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(job.id, "eyJtb2RlbCI6ICJ4In0=", "{name}: the opaque id is kept as sent");
        let request = server.requests().await.into_iter().next().expect("one request");
        let mut record = videogen_contract_tests::record(&request);
        // The idempotency key is a fresh UUID per submit: checked, then replaced for the snapshot.
        let key = record["headers"]["idempotency-key"].as_str().unwrap_or_default().to_string();
        assert_eq!(Some(key.as_str()), job.idempotency_key.as_deref(), "{name}");
        record["headers"]["idempotency-key"] = Value::String("[uuid]".into());
        insta::assert_json_snapshot!(format!("aihubmix_{name}"), record);
    }
}

#[tokio::test]
async fn every_aihubmix_family_makes_a_video_on_the_simulator() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::AiHubMix);
    let dir = scratch("families");
    for (name, request) in families() {
        let job = client.submit(&request).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let sora_or_veo = name == "sora" || name == "veo";
        assert_eq!(job.id.starts_with("video_"), sora_or_veo, "{name}: {}", job.id);
        if !sora_or_veo {
            // The other vendors' ids are base64 JSON naming the model (providers.md §4).
            assert!(job.id.starts_with("eyJ"), "{name}: {}", job.id);
        }
        let video = client.wait(&job, policy()).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = dir.join(format!("{name}.mp4"));
        video.download_to(&path).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sha256_file(&path), sim.result_sha256(), "{name}");
    }
    let counters = sim.counters();
    assert_eq!(counters.jobs_created(videogen_sim::Provider::AiHubMix), families().len() as u64);
    assert_eq!(counters.jobs_created(videogen_sim::Provider::OpenAi), 0);
    sim.stop().await;
}

#[tokio::test]
async fn openai_and_aihubmix_keep_their_own_jobs() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let openai = client(&sim, Provider::OpenAi);
    let aihubmix = client(&sim, Provider::AiHubMix);
    let a = openai.submit(&VideoRequest::new(Provider::OpenAi, "sora-2").prompt("on OpenAI")).await.unwrap();
    let b = aihubmix.submit(&VideoRequest::new(Provider::AiHubMix, "sora-2").prompt("on AIHubMix")).await.unwrap();
    let on_openai: Vec<String> = openai.list(Provider::OpenAi).await.unwrap().into_iter().map(|s| s.job.id).collect();
    let on_aihubmix: Vec<String> =
        aihubmix.list(Provider::AiHubMix).await.unwrap().into_iter().map(|s| s.job.id).collect();
    assert_eq!(on_openai, vec![a.id]);
    assert_eq!(on_aihubmix, vec![b.id.clone()]);
    // One provider's job is not found on the other.
    assert!(matches!(
        openai.status(&videogen::Job { provider: Provider::OpenAi, ..b }).await,
        Err(videogen::Error::NotFound { .. })
    ));
    sim.stop().await;
}

#[tokio::test]
async fn passthrough_families_take_image_urls_only() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::AiHubMix);
    let dir = scratch("local-image");
    let png = dir.join("a.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n").unwrap();
    for model in ["doubao-seedance-1-0-pro-250528", "wan2.7-i2v", "wan2.5-i2v"] {
        let request = VideoRequest::new(Provider::AiHubMix, model).prompt("p").image(ImageInput::File(png.clone()));
        let err = client.submit(&request).await.unwrap_err();
        assert!(matches!(err, videogen::Error::InvalidRequest { status: None, .. }), "{model}: {err:?}");
        assert!(err.to_string().contains("as URLs"), "{model}: {err}");
    }
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::AiHubMix), 0);
    sim.stop().await;
}
