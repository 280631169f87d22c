//! The request shapes the official SDKs send, accepted as the real services accept them (issue:
//! official SDKs vs simulator): routes with or without a trailing slash, `callback_url: null`,
//! the SDKs' stream body, multipart object fields as `field[key]`, and keep-alive connections
//! that stay usable after an early answer.

use serde_json::{Value, json};
use videogen_sim::{Sim, SimConfig};

fn config() -> SimConfig {
    SimConfig {
        queued_for: std::time::Duration::from_millis(10),
        processing_for: std::time::Duration::from_millis(20),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_sdk_shapes_are_accepted_and_still_validated() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sim = Sim::start(config()).await.unwrap();
    let base = sim.base_url();
    // One connection for everything: an early answer must not poison it.
    let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    let vdb = |r: reqwest::RequestBuilder| r.header("x-access-token", "k");

    // videodb-python Collection.generate_video: no trailing slash, callback_url null.
    let answer: Value = vdb(http.post(format!("{base}/collection/default/generate/video")))
        .json(&json!({"prompt": "A cat", "duration": 6, "callback_url": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["success"], true, "{answer}");
    // A wrong type is still refused with the provider's envelope.
    let refused = vdb(http.post(format!("{base}/collection/default/generate/video/")))
        .json(&json!({"prompt": "A cat", "duration": 6, "callback_url": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["success"], false, "{refused}");

    // Wait for the video, then list it as the SDK does (`GET /video?collection_id=`).
    let poll = answer["data"]["output_url"].as_str().unwrap().to_string();
    let video_id = loop {
        let r: Value = vdb(http.get(&poll)).send().await.unwrap().json().await.unwrap();
        if r["status"] == "done" {
            break r["data"]["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for path in ["/video?collection_id=default", "/video/?collection_id=default"] {
        let list: Value = vdb(http.get(format!("{base}{path}"))).send().await.unwrap().json().await.unwrap();
        assert!(list["data"]["videos"].as_array().is_some_and(|v| !v.is_empty()), "{path}: {list}");
    }
    // Video.generate_stream: {timeline, length}, with or without the slash; a bad timeline is a 400.
    for path in [format!("/video/{video_id}/stream"), format!("/video/{video_id}/stream/")] {
        let r = vdb(http.post(format!("{base}{path}")))
            .json(&json!({"timeline": [[0, 2]], "length": 6.0}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let bad = vdb(http.post(format!("{base}/video/{video_id}/stream")))
        .json(&json!({"timeline": [[2, 0, 1]], "length": 6.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // An answer before the handler would read the body (404 on an unknown route, with a body):
    // the next request on the same connection still works.
    let lost = http.post(format!("{base}/no/such/route")).body(vec![b'x'; 200_000]).send().await.unwrap();
    assert_eq!(lost.status(), 404);
    let ok = vdb(http.get(format!("{base}/collection"))).send().await.unwrap();
    assert_eq!(ok.status(), 200);

    // Multipart object fields as input_reference[image_url] (the SDKs' form-data convention).
    let form = reqwest::multipart::Form::new()
        .text("model", "sora-2")
        .text("prompt", "A dog")
        .text("input_reference[image_url]", "https://example.com/dog.png");
    let created =
        http.post(format!("{}/videos", sim.openai_base_url())).bearer_auth("k").multipart(form).send().await.unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    // Still validated: an object with both image_url and file_id is refused.
    let form = reqwest::multipart::Form::new()
        .text("model", "sora-2")
        .text("prompt", "A dog")
        .text("input_reference[image_url]", "https://example.com/dog.png")
        .text("input_reference[file_id]", "file-1");
    let refused =
        http.post(format!("{}/videos", sim.openai_base_url())).bearer_auth("k").multipart(form).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    sim.stop().await;
}
