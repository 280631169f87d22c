//! Every paid output gets a handle (Oxen `num_generations`), the provider's reported cost and
//! the published-price estimate, live models with `request_schema` validation, and the stored
//! shapes of statuses and events — against the simulator.

mod common;

use common::*;
use futures::StreamExt;
use videogen::{Client, Error, JobStatus, Operation, Provider, VideoInfo, VideoRequest, WaitEvent};

fn oxen_jobs(sim: &videogen_sim::Sim) -> u64 {
    sim.counters().jobs_created(videogen_sim::Provider::Oxen)
}

#[tokio::test]
async fn num_generations_two_gives_two_handles_that_both_download() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let dir = scratch("many");
    let two = request(Provider::Oxen).num_generations(2);
    // `submit` returns one handle, so it refuses a request for two paid outputs before sending.
    let refused = client.submit(&two).await.unwrap_err();
    assert!(matches!(refused, Error::InvalidRequest { status: None, .. }), "{refused:?}");
    assert!(refused.to_string().contains("submit_many"), "{refused}");
    assert_eq!(oxen_jobs(&sim), 0);
    let jobs = client.submit_many(&two).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(oxen_jobs(&sim), 2, "two paid generations, two handles");
    assert_ne!(jobs[0].id, jobs[1].id);
    assert_eq!(jobs[0].idempotency_key, jobs[1].idempotency_key, "one create, one key");
    for (i, job) in jobs.iter().enumerate() {
        let video = client.wait(job, policy()).await.unwrap();
        let path = dir.join(format!("{i}.mp4"));
        video.download_to(&path).await.unwrap();
        assert_eq!(sha256_file(&path), sim.result_sha256());
    }
    // Out of range, or on a provider that makes one video per request: refused before sending.
    for bad in [request(Provider::Oxen).num_generations(5), request(Provider::Oxen).num_generations(0)] {
        assert!(matches!(client.submit_many(&bad).await, Err(Error::InvalidRequest { status: None, .. })));
    }
    let openai = videogen::Client::builder()
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, sim.openai_base_url())
        .build()
        .unwrap();
    let err = openai.submit_many(&request(Provider::OpenAi).num_generations(2)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{err:?}");
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::OpenAi), 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn cost_is_estimated_before_and_reported_after() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    // The simulator publishes 0.07 USD per second (0.14 with audio; 0.084/0.112 by resolution for O3 Pro).
    let five = request(Provider::Oxen);
    let estimate = client.estimate_cost(&five).await.unwrap().unwrap();
    assert_eq!((estimate.amount.to_string().as_str(), estimate.currency.as_str()), ("0.35", "USD"));
    let two = client.estimate_cost(&five.clone().num_generations(2)).await.unwrap().unwrap();
    assert_eq!(two.amount.to_string(), "0.7");
    let audio = client.estimate_cost(&five.clone().audio(true)).await.unwrap().unwrap();
    assert_eq!(audio.amount.to_string(), "0.7");
    let o3 = VideoRequest::new(Provider::Oxen, "kling-video-o3-pro-reference-to-video").prompt("p").duration(10);
    let hd = client.estimate_cost(&o3.clone().extra("resolution", serde_json::json!("1080p"))).await.unwrap().unwrap();
    assert_eq!(hd.amount.to_string(), "1.12");
    // Unknown is None, never a guess: no duration, or a resolution without a price.
    let open = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").prompt("p");
    assert_eq!(client.estimate_cost(&open).await.unwrap(), None);
    assert_eq!(client.estimate_cost(&o3.extra("resolution", serde_json::json!("4k"))).await.unwrap(), None);
    assert_eq!(oxen_jobs(&sim), 0, "estimates cost nothing");
    // Other providers publish no prices.
    assert!(!Client::supports(Provider::OpenAi, Operation::EstimateCost));
    let openai = Client::builder()
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, sim.openai_base_url())
        .build()
        .unwrap();
    assert!(matches!(openai.estimate_cost(&request(Provider::OpenAi)).await, Err(Error::Unsupported { .. })));

    // The reported cost of the finished job, from the generation history.
    let job = client.submit(&five).await.unwrap();
    let video = client.wait(&job, policy()).await.unwrap();
    let cost = video.cost.clone().expect("Oxen reports a cost");
    assert_eq!((cost.amount.to_string().as_str(), cost.currency.as_str()), ("0.35", "USD"));
    let JobStatus::Succeeded(info) = client.status(&job).await.unwrap() else { panic!("succeeded") };
    assert_eq!(info.cost, Some(cost.clone()));
    let listed = client.list(Provider::Oxen).await.unwrap();
    assert_eq!(listed.iter().find(|s| s.job.id == job.id).and_then(|s| s.cost.clone()), Some(cost));
}

#[tokio::test]
async fn live_models_carry_pricing_and_schema_and_the_schema_is_enforced_before_sending() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let models = client.models(Provider::Oxen, None).await.unwrap();
    let o3 = models.iter().find(|m| m.id == "kling-video-o3-pro-reference-to-video").expect("listed");
    assert!(o3.listed && o3.rules.is_some(), "merged with the rule table");
    assert_eq!(o3.inputs, ["text", "image"]);
    assert!(o3.request_schema.is_some());
    let pricing = o3.pricing.as_ref().unwrap();
    assert_eq!(pricing.per_second.unwrap().to_string(), "0.07");
    assert_eq!(pricing.per_second_by_resolution.get("1080p").map(String::as_str), Some("0.112"));
    // Every rule row for Oxen is in the answer (listed by the provider, or kept with `listed: false`).
    for rules in videogen::models::catalog().iter().filter(|m| m.providers.contains(&Provider::Oxen) && !m.prefix) {
        assert!(models.iter().any(|m| m.id == rules.id && m.rules == Some(rules)), "{}", rules.id);
    }
    let found = client.models(Provider::Oxen, Some("kling-video-o3-om")).await.unwrap();
    assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["kling-video-o3-omni"]);

    // A rule only the published schema knows (cfg_scale ≤ 1): refused, naming the field, nothing
    // created. A fresh client reads the schema itself (the first one has it from the list).
    let client = common::client(&sim, Provider::Oxen);
    let bad = VideoRequest::new(Provider::Oxen, "kling-video-o3-pro-reference-to-video")
        .prompt("A red balloon")
        .duration(5)
        .extra("cfg_scale", serde_json::json!(5));
    let err = client.submit(&bad).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{err:?}");
    assert!(err.to_string().contains("cfg_scale") && err.to_string().contains("request_schema"), "{err}");
    assert_eq!(oxen_jobs(&sim), 0);
    let good = bad.extra("cfg_scale", serde_json::json!(0.5));
    client.submit(&good).await.unwrap();
    assert_eq!(oxen_jobs(&sim), 1);
    assert_eq!(sim.counters().requests("oxen.get_model"), 1, "the schema is read once per client and model");
    client.submit(&good).await.unwrap();
    assert_eq!(sim.counters().requests("oxen.get_model"), 1);

    // Providers without a model list answer from the rule table.
    let openai = Client::builder()
        .api_key(Provider::OpenAi, KEY)
        .base_url(Provider::OpenAi, sim.openai_base_url())
        .build()
        .unwrap();
    let table = openai.models(Provider::OpenAi, None).await.unwrap();
    assert!(!table.is_empty() && table.iter().all(|m| !m.listed && m.rules.is_some()));
}

#[tokio::test]
async fn statuses_events_and_videos_are_stored_as_they_are() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::OpenAi);
    let job = client.submit(&request(Provider::OpenAi)).await.unwrap();
    let events: Vec<WaitEvent> = client.events(&job, policy()).map(|e| e.unwrap()).collect().await;
    let stored = serde_json::to_string(&events).unwrap();
    let back: Vec<WaitEvent> = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, events);
    let Some(WaitEvent::Finished(info)) = back.last() else { panic!("finished last: {stored}") };
    assert!(stored.contains(r#""event":"finished""#) && stored.contains(r#""elapsed_seconds""#), "{stored}");
    // A stored video downloads later through any client for its provider.
    let info: VideoInfo = serde_json::from_str(&serde_json::to_string(info.as_ref()).unwrap()).unwrap();
    let dir = scratch("stored");
    let later = common::client(&sim, Provider::OpenAi);
    later.video(&info).unwrap().download_to(dir.join("v.mp4")).await.unwrap();
    assert_eq!(sha256_file(&dir.join("v.mp4")), sim.result_sha256());
    let status = client.status(&job).await.unwrap();
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["state"], "succeeded");
    assert_eq!(json["location"]["kind"], "content_endpoint");
    assert_eq!(serde_json::from_value::<JobStatus>(json).unwrap(), status);
    let _ = std::fs::remove_dir_all(dir);
}
