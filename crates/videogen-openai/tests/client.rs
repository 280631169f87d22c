//! Decoding of the spec's examples, lenient decoding, and operations on the wire (JSON create,
//! multipart create, streamed content download, typed errors).

use futures::TryStreamExt;
use serde_json::{Value, json};
use videogen_openai::{Client, CreateVideoMultipart, Error, InputReferenceFile, SecretString, types};
use videogen_transport::capture::{CannedResponse, CaptureServer};
use videogen_transport::examples::{Decoder, assert_examples_round_trip, round_trip};

fn spec() -> Value {
    serde_json::from_str(include_str!("../../../specs/openai/openapi.json")).unwrap()
}

const VIDEO_JSON: &str = r#"{"id":"video_123","object":"video","model":"sora-2","status":"queued","progress":0,
  "created_at":1775090508,"completed_at":null,"expires_at":null,"prompt":"A red balloon","size":"1280x720",
  "seconds":"4","remixed_from_video_id":null,"error":null}"#;

#[test]
fn every_spec_example_decodes_and_re_encodes() {
    let decoders: &[(&str, Decoder)] = &[("ImageRefParam2", round_trip::<types::ImageRefParam2>)];
    assert_examples_round_trip(&spec(), decoders);
}

#[test]
fn documented_video_job_decodes_and_re_encodes() {
    // AIHubMix's reference (seed 004) shows the full OpenAI VideoResource; every field is present.
    let full: Value = serde_json::from_str(VIDEO_JSON).unwrap();
    // Nulls are dropped on re-encode (skip_serializing_if), so compare against the non-null fields.
    let decoded: types::VideoResource = serde_json::from_value(full.clone()).unwrap();
    let mut expected = full.as_object().unwrap().clone();
    expected.retain(|_, v| !v.is_null());
    assert_eq!(serde_json::to_value(&decoded).unwrap(), Value::Object(expected));
}

#[test]
fn absent_null_and_unknown_fields_decode() {
    // AIHubMix non-Sora families: opaque base64-JSON id, extra duration/width/height, fields left out,
    // and values outside OpenAI's enums (providers.md §4 "Responses").
    let veo: types::VideoResource = serde_json::from_value(json!({
        "id": "eyJtb2RlbCI6InZlby0zLjEifQ==", "status": "in_progress", "model": "veo-3.1-generate-preview",
        "size": "1920x1080", "duration": 8, "width": 1920, "height": 1080, "error": null
    }))
    .unwrap();
    assert_eq!(veo.size.as_deref(), Some("1920x1080"));
    assert!(veo.error.is_none() && veo.progress.is_none());
    let failed: types::VideoResource = serde_json::from_value(json!({
        "id": "video_1", "object": "video", "status": "failed", "progress": 100,
        "error": {"code": "moderation_blocked", "message": "Your request was blocked by our moderation system."}
    }))
    .unwrap();
    assert_eq!(failed.error.unwrap().code, "moderation_blocked");
    let list: types::VideoListResource = serde_json::from_value(json!({
        "object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false
    }))
    .unwrap();
    assert!(list.first_id.is_none());
}

#[tokio::test]
async fn json_create_with_family_parameters_on_the_wire() {
    let server = CaptureServer::start(CannedResponse::json(200, VIDEO_JSON)).await;
    let client = Client::from_api_key(&format!("{}/v1", server.base_url()), SecretString::from("sk-openai")).unwrap();
    // AIHubMix veo shape: numeric seconds, a veo size, and a vendor key passed through as-is.
    let mut body = types::CreateVideoJsonBody {
        model: Some(types::VideoModel("veo-3.1-generate-preview".into())),
        prompt: "A red balloon floating upward".try_into().unwrap(),
        seconds: Some(types::CreateVideoJsonBodySeconds::Integer(8.try_into().unwrap())),
        size: Some("1920x1080".into()),
        input_reference: None,
        extra: Default::default(),
    };
    body.extra.insert("negative_prompt".into(), json!("blurry"));
    let video = client.create_video(&body).await.unwrap().into_inner();
    assert_eq!(video.id, "video_123");

    let request = server.requests().await.remove(0);
    assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", "/v1/videos"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-openai"));
    assert_eq!(request.header("api-version"), None);
    assert_eq!(
        serde_json::from_slice::<Value>(&request.body).unwrap(),
        json!({"model": "veo-3.1-generate-preview", "prompt": "A red balloon floating upward", "seconds": 8,
               "size": "1920x1080", "negative_prompt": "blurry"})
    );
    // The prompt length rule (1..32000) is enforced before anything is sent.
    assert!(types::CreateVideoJsonBodyPrompt::try_from("").is_err());
}

#[tokio::test]
async fn multipart_create_on_the_wire() {
    let server = CaptureServer::start(CannedResponse::json(200, VIDEO_JSON)).await;
    let client = Client::from_api_key(&format!("{}/v1", server.base_url()), SecretString::from("sk-openai")).unwrap();
    let mut body = CreateVideoMultipart::new("A red balloon".try_into().unwrap());
    body.model = Some(types::VideoModel("sora-2".into()));
    body.seconds = Some(types::VideoSeconds::X8);
    body.size = Some(types::VideoSize::X1280x720);
    body.input_reference = Some(InputReferenceFile {
        bytes: bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\nfake"),
        file_name: "first_frame.png".into(),
        content_type: "image/png".into(),
    });
    client.create_video_multipart(body).await.unwrap();

    let request = server.requests().await.remove(0);
    assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", "/v1/videos"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-openai"));
    let content_type = request.header("content-type").unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="), "{content_type}");
    let body = String::from_utf8_lossy(&request.body);
    for needle in [
        "name=\"prompt\"\r\n\r\nA red balloon\r\n",
        "name=\"model\"\r\n\r\nsora-2\r\n",
        "name=\"seconds\"\r\n\r\n8\r\n",
        "name=\"size\"\r\n\r\n1280x720\r\n",
        "name=\"input_reference\"; filename=\"first_frame.png\"\r\nContent-Type: image/png\r\n\r\n\u{fffd}PNG",
    ] {
        assert!(body.contains(needle), "multipart body lacks {needle:?}:\n{body}");
    }
}

#[tokio::test]
async fn content_download_is_streamed_bytes() {
    let mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    let server = CaptureServer::start(videogen_transport::capture::CannedResponse {
        status: 200,
        headers: vec![("content-type".into(), "video/mp4".into())],
        body: mp4.clone(),
    })
    .await;
    let client = Client::from_api_key(&format!("{}/v1", server.base_url()), SecretString::from("k")).unwrap();
    let stream =
        client.retrieve_video_content("video_123", Some(types::VideoContentVariant::Video)).await.unwrap().into_inner();
    let chunks: Vec<bytes::Bytes> = stream.into_inner().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), mp4);
    let request = server.requests().await.remove(0);
    assert_eq!(request.target, "/v1/videos/video_123/content?variant=video");
}

#[tokio::test]
async fn error_response_is_typed() {
    let server = CaptureServer::start(CannedResponse::json(
        429,
        r#"{"error":{"type":"rate_limit_exceeded","message":"Slow down","param":null,"code":null}}"#,
    ))
    .await;
    let client = Client::from_api_key(&format!("{}/v1", server.base_url()), SecretString::from("k")).unwrap();
    match client.get_video("video_123").await {
        Err(Error::ErrorResponse(e)) => {
            assert_eq!(e.status().as_u16(), 429);
            assert_eq!(e.error.message, "Slow down");
        }
        other => panic!("expected a typed 429, got {other:?}"),
    }
}
