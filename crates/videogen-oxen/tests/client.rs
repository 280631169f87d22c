//! Decoding of the documented examples, lenient decoding, and operations on the wire.
//!
//! Oxen's published spec carries a single `example` (`status: success` inside
//! GenerationsShowResponse), not enough for a complete object, so the response examples of
//! docs.oxen.ai (seed 001/002, providers.md §1) are decoded here as well.

use serde_json::{Value, json};
use videogen_oxen::{Client, Error, SecretString, types};
use videogen_transport::capture::{CannedResponse, CaptureServer};
use videogen_transport::examples::{assert_examples_round_trip, round_trip};

fn spec() -> Value {
    serde_json::from_str(include_str!("../../../specs/oxen/openapi.json")).unwrap()
}

#[test]
fn every_spec_example_decodes() {
    // No complete example in the spec: the helper still fails if one appears without a decoder.
    assert_examples_round_trip(&spec(), &[]);
}

#[test]
fn documented_response_examples_decode_and_re_encode() {
    // docs.oxen.ai video_generation "Response (response_format: url)" and "(b64_json)".
    let url = json!({"model": "kling-video-v2-6-pro-text-to-video", "created": 1775090508,
                     "videos": [{"url": "https://hub.oxen.ai/api/repos/x/files/video.mp4?sig=1"}]});
    let b64 = json!({"model": "kling-video-v2-6-pro-text-to-video", "created": 1775090508,
                     "videos": [{"b64_json": "AAAAIGZ0eXBpc29t"}]});
    round_trip::<types::VideoGenerateResponse>(&url).unwrap();
    round_trip::<types::VideoGenerateResponse>(&b64).unwrap();
    let decoded: types::VideoGenerateResponse = serde_json::from_value(b64).unwrap();
    assert_eq!(decoded.videos[0].b64_json.as_deref(), Some("AAAAIGZ0eXBpc29t"));
    assert!(decoded.videos[0].url.is_none());

    // async_queue: enqueue answer, cancel answer, the 404 envelope and the plain message envelope.
    round_trip::<types::QueueCreateResponse>(
        &json!({"generations": [{"generation_id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e", "status": "queued"}]}),
    )
    .unwrap();
    round_trip::<types::QueueDeleteResponse>(
        &json!({"status": "success", "generation_id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e"}),
    )
    .unwrap();
    let not_found = json!({"error": {"type": "resource_not_found", "title": "Generation not found"},
                           "status": "error", "status_message": "resource_not_found"});
    round_trip::<types::OxenError>(&not_found).unwrap();
    assert!(matches!(serde_json::from_value(not_found).unwrap(), types::OxenError::ErrorEnvelope(_)));
    let message = json!({"error": {"message": "Model not found: nope"}});
    assert!(matches!(serde_json::from_value(message).unwrap(), types::OxenError::MessageError(_)));
}

#[test]
fn absent_null_and_unknown_fields_decode() {
    // A queue row: nullable fields null, optional ones absent, and the original request parameters
    // merged in at the top level (documented), kept in `extra`.
    let row: types::QueueGenerationResponse = serde_json::from_value(json!({
        "generation_id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e", "model_name": "kling-video-v2-6-pro-text-to-video",
        "media_type": "video", "status": "processing", "enqueued_at": 1775090508,
        "result_url": null, "error_message": null, "started_at": 1775090509,
        "prompt": "A sunset timelapse over the ocean", "duration": 5
    }))
    .unwrap();
    assert_eq!(row.status, "processing");
    assert!(row.result_url.is_none() && row.completed_at.is_none());
    assert_eq!(row.extra["prompt"], "A sunset timelapse over the ocean");

    // Older docs show "processing" in the enqueue answer.
    let older: types::QueueCreateResponse = serde_json::from_value(
        json!({"generations": [{"generation_id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e", "status": "processing"}]}),
    )
    .unwrap();
    assert_eq!(older.generations.len(), 1);

    let model: types::Model = serde_json::from_value(json!({
        "id": "kling-video-v2-6-pro-text-to-video", "object": "model", "created": 1, "owned_by": "oxen",
        "request_schema": null, "pricing": {"method": "per_video_output_second", "cost_per_second": 0.1},
        "something_new": true
    }))
    .unwrap();
    assert!(model.request_schema.is_none());
}

#[tokio::test]
async fn enqueue_on_the_wire() {
    let server = CaptureServer::start(CannedResponse::json(
        200,
        r#"{"generations":[{"generation_id":"9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e","status":"queued"}]}"#,
    ))
    .await;
    let client = Client::from_api_key(server.base_url(), SecretString::from("oxen-test-key")).unwrap();
    let mut body: types::QueueCreateRequest = serde_json::from_value(json!({
        "model": "kling-video-o3-pro-reference-to-video",
        "multi_prompt": [{"prompt": "Wide shot: a bird takes off", "duration": 5},
                         {"prompt": "Tracking shot: the bird soars", "duration": 5}],
        "aspect_ratio": "16:9",
    }))
    .unwrap();
    body.extra.insert("negative_prompt".into(), json!("blur"));
    let queued = client.enqueue_generation(&body).await.unwrap().into_inner();
    assert_eq!(queued.generations[0].generation_id.to_string(), "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e");

    let request = server.requests().await.remove(0);
    assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", "/api/ai/queue"));
    assert_eq!(request.header("authorization"), Some("Bearer oxen-test-key"));
    assert_eq!(request.header("api-version"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&request.body).unwrap(),
        json!({
            "model": "kling-video-o3-pro-reference-to-video",
            "multi_prompt": [{"prompt": "Wide shot: a bird takes off", "duration": 5},
                             {"prompt": "Tracking shot: the bird soars", "duration": 5}],
            "aspect_ratio": "16:9",
            "num_generations": 1,
            "negative_prompt": "blur"
        })
    );
}

#[tokio::test]
async fn not_found_is_a_typed_error() {
    let server = CaptureServer::start(CannedResponse::json(
        404,
        r#"{"error":{"type":"resource_not_found","title":"Not found"},"status":"error","status_message":"resource_not_found"}"#,
    ))
    .await;
    let client = Client::from_api_key(server.base_url(), SecretString::from("k")).unwrap();
    match client.get_queue_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e").await {
        Err(Error::ErrorResponse(e)) => {
            assert_eq!(e.status().as_u16(), 404);
            assert!(
                matches!(e.into_inner(), types::OxenError::ErrorEnvelope(env) if env.error.type_ == "resource_not_found")
            );
        }
        other => panic!("expected a typed 404, got {other:?}"),
    }
    let request = server.requests().await.remove(0);
    assert_eq!(request.target, "/api/ai/queue/9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e");
    assert_eq!(request.method, "GET");
}
