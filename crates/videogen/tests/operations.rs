//! Variants (thumbnail, spritesheet), lists across pages, VideoDB collections and the generated
//! clients behind the facade — each on every provider that has it, against the simulator, and
//! `Unsupported` elsewhere.

mod common;

use common::*;
use videogen::{Client, Error, JobStatus, ListOptions, Operation, Provider, Variant, VideoRequest};

#[tokio::test]
async fn thumbnails_and_spritesheets_download_where_the_provider_has_them() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let dir = scratch("variants");
    for provider in Provider::ALL {
        let client = client(&sim, provider);
        let job = client.submit(&request(provider)).await.unwrap();
        let video = client.wait(&job, policy()).await.unwrap();
        for (variant, operation, bytes) in [
            (Variant::Thumbnail, Operation::Thumbnail, videogen_sim::FIXTURE_THUMBNAIL_WEBP),
            (Variant::Spritesheet, Operation::Spritesheet, videogen_sim::FIXTURE_SPRITESHEET_WEBP),
        ] {
            let path = dir.join(format!("{provider}-{}.webp", variant.as_str()));
            let result = video.download_variant_to(variant, &path).await;
            if Client::supports(provider, operation) {
                let file = result.unwrap_or_else(|e| panic!("{provider} {variant:?}: {e}"));
                assert_eq!(std::fs::read(&path).unwrap(), bytes, "{provider} {variant:?}");
                assert_eq!(file.bytes, bytes.len() as u64);
            } else {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::Unsupported { .. }), "{provider} {variant:?}: {err:?}");
                assert!(!path.exists());
            }
        }
        // The video itself is untouched by its variants' downloads.
        let path = dir.join(format!("{provider}.mp4"));
        video.download_variant_to(Variant::Video, &path).await.unwrap();
        assert_eq!(sha256_file(&path), sim.result_sha256(), "{provider}");
    }
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".part")), "no partial files left: {names:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn lists_read_every_page_up_to_the_limit() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    // OpenAI pages hold at most 100: 150 jobs take two pages.
    let openai = client(&sim, Provider::OpenAi);
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..150 {
        ids.insert(openai.submit(&request(Provider::OpenAi)).await.unwrap().id);
    }
    let all = openai.list(Provider::OpenAi).await.unwrap();
    assert_eq!(all.len(), 150);
    assert_eq!(all.iter().map(|s| s.job.id.clone()).collect::<std::collections::BTreeSet<_>>(), ids, "no duplicates");
    let some = openai.list_with(Provider::OpenAi, &ListOptions { limit: 120, collection: None }).await.unwrap();
    assert_eq!(some.len(), 120);
    assert!(matches!(
        openai.list_with(Provider::OpenAi, &ListOptions { limit: 0, collection: None }).await,
        Err(Error::InvalidRequest { .. })
    ));

    // Oxen's history pages hold at most 1,000: 1,005 jobs take two pages.
    let oxen = client(&sim, Provider::Oxen);
    let (one, four) = (request(Provider::Oxen), request(Provider::Oxen).num_generations(4));
    let jobs: Vec<_> = futures::future::join_all((0..201).map(|_| oxen.submit_many(&four)))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(jobs.len(), 804);
    let extra: Vec<_> = futures::future::join_all((0..201).map(|_| oxen.submit(&one))).await;
    assert!(extra.iter().all(Result::is_ok));
    let history = oxen.list(Provider::Oxen).await.unwrap();
    assert_eq!(history.len(), 1005);
    assert_eq!(history.iter().map(|s| &s.job.id).collect::<std::collections::BTreeSet<_>>().len(), 1005);
    assert_eq!(
        oxen.list_with(Provider::Oxen, &ListOptions { limit: 1001, collection: None }).await.unwrap().len(),
        1001
    );
}

#[tokio::test]
async fn videodb_collections_and_their_videos() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::VideoDb);
    assert!(Client::supports(Provider::VideoDb, Operation::Collections));
    let before = client.collections(Provider::VideoDb).await.unwrap();
    assert!(before.iter().any(|c| c.is_default), "{before:?}");
    let made = client.create_collection(Provider::VideoDb, "Launch clips", Some("for the launch")).await.unwrap();
    assert_eq!(made.name.as_deref(), Some("Launch clips"));
    assert!(client.collections(Provider::VideoDb).await.unwrap().iter().any(|c| c.id == made.id && !c.is_default));

    // A request's collection: the video lands there, and only there.
    let request =
        VideoRequest::new(Provider::VideoDb, "videodb").prompt("A drone over a city").duration(6).collection(&made.id);
    let job = client.submit(&request).await.unwrap();
    client.wait(&job, policy()).await.unwrap();
    let listed = client
        .list_with(Provider::VideoDb, &ListOptions { limit: 10, collection: Some(made.id.clone()) })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].prompt.as_deref(), Some("A drone over a city"));
    assert!(client.list(Provider::VideoDb).await.unwrap().iter().all(|s| s.job.id != listed[0].job.id));
    // A listed video is a handle of its own: its status is the finished video, it downloads and deletes.
    let JobStatus::Succeeded(info) = client.status(&listed[0].job).await.unwrap() else { panic!("succeeded") };
    assert_eq!(info.video_id.as_deref(), Some(listed[0].job.id.as_str()));
    let dir = scratch("collections");
    client.video(&info).unwrap().download_to(dir.join("v.mp4")).await.unwrap();
    assert_eq!(sha256_file(&dir.join("v.mp4")), sim.result_sha256());
    client.delete(&listed[0].job).await.unwrap();
    assert!(
        client
            .list_with(Provider::VideoDb, &ListOptions { limit: 10, collection: Some(made.id.clone()) })
            .await
            .unwrap()
            .is_empty()
    );
    client.delete_collection(Provider::VideoDb, &made.id).await.unwrap();
    assert!(!client.collections(Provider::VideoDb).await.unwrap().iter().any(|c| c.id == made.id));
    assert!(matches!(client.create_collection(Provider::VideoDb, " ", None).await, Err(Error::InvalidRequest { .. })));

    // Elsewhere: Unsupported before anything is sent.
    for provider in [Provider::Oxen, Provider::OpenAi, Provider::AiHubMix] {
        let other = common::client(&sim, provider);
        assert!(matches!(
            other.collections(provider).await,
            Err(Error::Unsupported { operation: videogen::Operation::Collections, .. })
        ));
        assert!(matches!(other.create_collection(provider, "x", None).await, Err(Error::Unsupported { .. })));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_generated_clients_behind_the_facade_are_configured() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = Client::builder()
        .allow_retired_models(true)
        .api_key(Provider::Oxen, KEY)
        .base_url(Provider::Oxen, sim.base_url())
        .api_key(Provider::AiHubMix, KEY)
        .base_url(Provider::AiHubMix, sim.aihubmix_base_url())
        .build()
        .unwrap();
    // An operation the facade does not wrap, through the configured generated client.
    let oxen = client.oxen().expect("configured");
    let queue = oxen.list_queue(None, None, None, None, None, None).await.unwrap().into_inner();
    assert_eq!(queue.count, 0);
    let job = client.submit(&request(Provider::AiHubMix)).await.unwrap();
    let gateway = client.openai_compatible(Provider::AiHubMix).expect("configured");
    let listed = gateway.list_videos(None, Some(10), None).await.unwrap().into_inner();
    assert_eq!(listed.data.first().map(|v| v.id.as_str()), Some(job.id.as_str()));
    assert!(client.videodb().is_none() && client.openai_compatible(Provider::OpenAi).is_none());
    assert!(client.openai_compatible(Provider::Oxen).is_none());
    // Its errors come back raw (the facade's clients keep the whole answer).
    let missing = oxen.get_queue_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e").await.unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    let _: Option<videogen::generated::oxen::types::QueueListResponse> = None;
}
