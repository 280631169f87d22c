//! Decoding of the spec's examples, lenient decoding, and one operation on the wire.

use serde_json::{Value, json};
use videogen_transport::capture::{CannedResponse, CaptureServer};
use videogen_transport::examples::{Decoder, assert_examples_round_trip, round_trip};
use videogen_videodb::{Client, Error, SecretString, types};

fn spec() -> Value {
    serde_json::from_str(include_str!("../../../specs/videodb/openapi.json")).unwrap()
}

#[test]
fn every_spec_example_decodes_and_re_encodes() {
    let decoders: &[(&str, Decoder)] = &[
        ("AsyncResponse", round_trip::<types::AsyncResponse>),
        ("Collection", round_trip::<types::Collection>),
        ("Error", round_trip::<types::Error>),
        ("SuccessResponse", round_trip::<types::SuccessResponse>),
        ("Video", round_trip::<types::Video>),
        ("ListCollectionsResponse", round_trip::<types::ListCollectionsResponse>),
        ("CreateCollectionBody", round_trip::<types::CreateCollectionBody>),
        ("CreateCollectionResponse", round_trip::<types::CreateCollectionResponse>),
        ("GetCollectionResponse", round_trip::<types::GetCollectionResponse>),
        ("UpdateCollectionBody", round_trip::<types::UpdateCollectionBody>),
        ("UpdateCollectionResponse", round_trip::<types::UpdateCollectionResponse>),
        ("GenerateVideoBody", round_trip::<types::GenerateVideoBody>),
        ("ListVideosResponse", round_trip::<types::ListVideosResponse>),
        ("GetVideoResponse", round_trip::<types::GetVideoResponse>),
        ("UpdateVideoBody", round_trip::<types::UpdateVideoBody>),
        ("UpdateVideoResponse", round_trip::<types::UpdateVideoResponse>),
        ("CreateVideoStreamBody", round_trip::<types::CreateVideoStreamBody>),
        ("CreateVideoStreamResponse", round_trip::<types::CreateVideoStreamResponse>),
    ];
    assert_examples_round_trip(&spec(), decoders);
}

#[test]
fn path_parameter_examples_match_their_patterns() {
    // The spec's `video_id` example is m-12345 with pattern ^m-; an id without the prefix is refused
    // before anything is sent.
    assert!(types::GetVideoVideoId::try_from("m-12345").is_ok());
    assert!(types::GetVideoVideoId::try_from("12345").is_err());
}

#[test]
fn absent_null_and_unknown_fields_decode() {
    let v: types::Video = serde_json::from_value(json!({"id": "m-1", "stream_url": null, "new_field": {"x": 1}}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.id.as_deref(), Some("m-1"));
    let empty: types::Video = serde_json::from_value(json!({})).unwrap();
    assert!(empty.stream_url.is_none());

    // Async results: flat, wrapped in `response`, and with a status outside the spec's enum.
    let flat: types::AsyncResult = serde_json::from_value(json!({
        "success": true, "status": "done", "request_type": "sync",
        "data": {"id": "m-1", "stream_url": "https://stream.videodb.io/v/1", "collection_id": "default"}
    }))
    .unwrap();
    assert_eq!(flat.data["stream_url"], "https://stream.videodb.io/v/1");
    let wrapped: types::AsyncResult =
        serde_json::from_value(json!({"response": {"success": false, "message": "content policy", "data": {}}}))
            .unwrap();
    assert_eq!(wrapped.response.unwrap().message.as_deref(), Some("content policy"));
    let odd: types::AsyncResponse =
        serde_json::from_value(json!({"success": true, "status": "in progress", "data": null})).unwrap();
    assert_eq!(odd.status.as_deref(), Some("in progress"));
}

#[tokio::test]
async fn generate_video_on_the_wire() {
    let server = CaptureServer::start(CannedResponse::json(
        200,
        r#"{"success":true,"status":"processing","request_type":"sync",
            "data":{"id":"job-1","output_url":"https://api.videodb.io/async-response/job-1"}}"#,
    ))
    .await;
    let client = Client::from_api_key(server.base_url(), SecretString::from("sk-videodb-test")).unwrap();
    let body = types::GenerateVideoBody {
        prompt: "A drone flying over a futuristic city".into(),
        duration: Some(6),
        callback_url: None,
    };
    let started = client.generate_video("default", &body).await.unwrap().into_inner();
    assert_eq!(started.data.unwrap().output_url.as_deref(), Some("https://api.videodb.io/async-response/job-1"));

    let request = server.requests().await.remove(0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/collection/default/generate/video/");
    assert_eq!(request.header("x-access-token"), Some("sk-videodb-test"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("api-version"), None, "progenitor's api-version header must be removed");
    assert_eq!(
        serde_json::from_slice::<Value>(&request.body).unwrap(),
        json!({"prompt": "A drone flying over a futuristic city", "duration": 6})
    );
}

#[tokio::test]
async fn error_body_decodes_into_the_spec_error() {
    let server =
        CaptureServer::start(CannedResponse::json(401, r#"{"success":false,"message":"Invalid API key"}"#)).await;
    let client = Client::from_api_key(server.base_url(), SecretString::from("sk-bad")).unwrap();
    match client.list_collections().await {
        Err(Error::ErrorResponse(e)) => {
            assert_eq!(e.status().as_u16(), 401);
            assert_eq!(e.message.as_deref(), Some("Invalid API key"));
        }
        other => panic!("expected a typed 401, got {other:?}"),
    }
}
