//! AIHubMix on its own (providers.md §4): its own base path, jobs and fault target; each vendor
//! family's body validated; other vendors answered with an opaque base64-JSON id and the extra
//! fields the guide shows.

use base64::Engine;
use serde_json::{Value, json};
use videogen_sim::{FaultKind, FaultRule, Provider, Sim, SimConfig};

#[tokio::test]
async fn aihubmix_has_its_own_jobs_faults_and_family_rules() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sim = Sim::start(SimConfig {
        queued_for: std::time::Duration::from_millis(5),
        processing_for: std::time::Duration::from_millis(10),
        faults: vec![
            FaultRule::new(Provider::AiHubMix, "createVideo", FaultKind::ServerError { status: 503 })
                .schedule(videogen_sim::Schedule::First(1)),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let create = |base: String, body: Value| {
        let http = http.clone();
        async move { http.post(format!("{base}/videos")).bearer_auth("k").json(&body).send().await.unwrap() }
    };
    let aih = sim.aihubmix_base_url();
    // The fault targets AIHubMix only: OpenAI's first create goes through.
    assert_eq!(create(sim.openai_base_url(), json!({"model": "sora-2", "prompt": "p"})).await.status(), 200);
    assert_eq!(create(aih.clone(), json!({"model": "wan2.6-t2v", "prompt": "p"})).await.status(), 503);

    let seedance = json!({"model": "doubao-seedance-1-0-pro-250528", "prompt": "p", "duration": 5,
        "content": [{"type": "text", "text": "p"}, {"type": "image_url", "image_url": {"url": "https://i"}, "role": "first_frame"}],
        "resolution": "720p"});
    let answer: Value = create(aih.clone(), seedance.clone()).await.json().await.unwrap();
    let id = answer["id"].as_str().unwrap();
    let decoded: Value =
        serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(id).unwrap()).unwrap();
    assert_eq!(decoded["model"], "doubao-seedance-1-0-pro-250528", "{decoded}");
    assert_eq!(
        (answer["duration"].clone(), answer["width"].clone(), answer["height"].clone()),
        (json!(5), json!(1280), json!(720))
    );

    for (bad, why) in [
        (json!({"model": "doubao-seedance-1-0-pro-250528", "prompt": "p", "resolution": "4k"}), "resolution"),
        (json!({"model": "doubao-seedance-1-0-pro-250528", "content": [{"type": "video"}]}), "content"),
        (json!({"model": "doubao-seedance-1-0-pro-250528", "prompt": "p", "duration": "five"}), "duration"),
        (json!({"model": "wan2.7-i2v", "prompt": "p"}), "input"),
        (
            json!({"model": "happyhorse-1.0-t2v", "input": {"prompt": "p"}, "parameters": {"resolution": "720p"}}),
            "resolution",
        ),
        (
            json!({"model": "happyhorse-1.0-i2v", "input": {"prompt": "p", "media": [{"type": "middle", "url": "u"}]}}),
            "media",
        ),
        (json!({"model": "wan2.5-i2v", "prompt": "p", "input_reference": 5}), "input_reference"),
    ] {
        let r = create(aih.clone(), bad.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(why), "{bad}: {body}");
    }
    let ok = json!({"model": "happyhorse-1.0-t2v", "input": {"prompt": "p"}, "parameters": {"resolution": "1080P", "duration": 5}});
    assert_eq!(create(aih.clone(), ok).await.status(), 200);

    // Lists are per provider.
    let list = |base: String| {
        let http = http.clone();
        async move {
            let v: Value =
                http.get(format!("{base}/videos")).bearer_auth("k").send().await.unwrap().json().await.unwrap();
            v["data"].as_array().unwrap().len()
        }
    };
    assert_eq!(list(sim.openai_base_url()).await, 1);
    assert_eq!(list(aih.clone()).await, 2);
    let c = sim.counters();
    assert_eq!((c.jobs_created(Provider::OpenAi), c.jobs_created(Provider::AiHubMix)), (1, 2));
    sim.stop().await;
}
