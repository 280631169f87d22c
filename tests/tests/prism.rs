//! Every generated client operation against a Prism mock server of its spec
//! (`prism mock specs/<api>/openapi.json`, started by `cargo xtask ci`, addresses in
//! `VIDEOGEN_PRISM_MOCK_OXEN`, `…_VIDEODB`, `…_OPENAI`, `…_REPLICATE`): each must answer 2xx with no
//! `sl-violations` header (Prism validates the request against the spec), and Prism's
//! `Prefer: code=…` error answers must decode into the clients' typed errors.
//!
//! Not part of a plain `cargo test` (`test = false` in Cargo.toml): it needs the mock servers.
//! Run it with `cargo xtask ci`.

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use videogen_transport::ApiAuth;

const KEY: &str = "sk-prism";

fn mock(api: &str) -> String {
    let var = format!("VIDEOGEN_PRISM_MOCK_{}", api.to_uppercase());
    std::env::var(&var).unwrap_or_else(|_| panic!("{var} is not set: run this test through `cargo xtask ci`"))
}

/// A reqwest client that sends `Prefer: code=<code>` when given one.
fn http(prefer: Option<u16>) -> reqwest::Client {
    videogen_transport::install_crypto_provider();
    let mut headers = HeaderMap::new();
    if let Some(code) = prefer {
        headers.insert("prefer", HeaderValue::from_str(&format!("code={code}")).unwrap());
    }
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

fn oxen(prefer: Option<u16>) -> videogen_oxen::Client {
    let auth = ApiAuth::bearer(&mock("oxen"), KEY.to_string().into()).unwrap();
    videogen_oxen::Client::with_http_client(http(prefer), auth)
}
fn videodb(prefer: Option<u16>) -> videogen_videodb::Client {
    let auth = ApiAuth::header(&mock("videodb"), videogen_videodb::API_KEY_HEADER, KEY.to_string().into()).unwrap();
    videogen_videodb::Client::with_http_client(http(prefer), auth)
}
fn openai(prefer: Option<u16>) -> videogen_openai::Client {
    let auth = ApiAuth::bearer(&mock("openai"), KEY.to_string().into()).unwrap();
    videogen_openai::Client::with_http_client(http(prefer), auth)
}

fn replicate(prefer: Option<u16>) -> videogen_replicate::Client {
    let auth = ApiAuth::bearer(&mock("replicate"), KEY.to_string().into()).unwrap();
    videogen_replicate::Client::with_http_client(http(prefer), auth)
}

/// Checks a generated method's answer: 2xx, no Prism violations.
macro_rules! ok {
    ($label:expr, $call:expr) => {{
        match $call.await {
            Ok(answer) => {
                let status = answer.status().as_u16();
                assert!((200..300).contains(&status), "{}: {status}", $label);
                if let Some(v) = answer.headers().get("sl-violations") {
                    panic!("{}: Prism reports violations: {v:?}", $label);
                }
                println!("ok {} ({status})", $label);
            }
            Err(e) => panic!("{}: {e:?}", $label),
        }
    }};
}

#[tokio::test]
async fn every_operation_answers_2xx_from_the_mock() {
    use videogen_oxen::types as ox;
    let o = oxen(None);
    let generate: ox::VideoGenerateRequest =
        serde_json::from_value(json!({"model": "m", "prompt": "A red balloon", "duration": 5})).unwrap();
    ok!("oxen.generate_video", o.generate_video(&generate));
    let enqueue: ox::QueueCreateRequest =
        serde_json::from_value(json!({"model": "m", "prompt": "A red balloon"})).unwrap();
    ok!("oxen.enqueue_generation", o.enqueue_generation(&enqueue));
    ok!("oxen.list_queue", o.list_queue(None, Some(ox::ListQueueMediaType::Video), Some("m"), None, None, None));
    ok!("oxen.get_queue_generation", o.get_queue_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e"));
    ok!("oxen.cancel_queue_generation", o.cancel_queue_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e"));
    ok!(
        "oxen.list_generations",
        o.list_generations(None, None, None, None, Some(1.try_into().unwrap()), None, None, None)
    );
    ok!("oxen.get_generation", o.get_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e"));
    ok!("oxen.list_models", o.list_models(None, None, None));
    ok!("oxen.search_models", o.search_models("kling"));
    ok!("oxen.get_model", o.get_model("kling-video-o3-omni", None));

    use videogen_videodb::types as vd;
    let v = videodb(None);
    ok!("videodb.list_collections", v.list_collections());
    let create: vd::CreateCollectionBody = serde_json::from_value(json!({"name": "Ads"})).unwrap();
    ok!("videodb.create_collection", v.create_collection(&create));
    ok!("videodb.get_collection", v.get_collection("default"));
    let update: vd::UpdateCollectionBody = serde_json::from_value(json!({"name": "Ads 2"})).unwrap();
    ok!("videodb.update_collection", v.update_collection("default", &update));
    ok!("videodb.delete_collection", v.delete_collection("c-1"));
    let gen_body: vd::GenerateVideoBody = serde_json::from_value(json!({"prompt": "A drone", "duration": 6})).unwrap();
    ok!("videodb.generate_video", v.generate_video("default", &gen_body));
    ok!("videodb.get_async_response", v.get_async_response("job-1"));
    ok!("videodb.list_videos", v.list_videos(Some("default"), Some(10), Some(0)));
    ok!("videodb.get_video", v.get_video(&"m-1".try_into().unwrap(), None));
    let rename: vd::UpdateVideoBody = serde_json::from_value(json!({"name": "x.mp4"})).unwrap();
    ok!("videodb.update_video", v.update_video(&"m-1".try_into().unwrap(), &rename));
    ok!("videodb.delete_video", v.delete_video(&"m-1".try_into().unwrap()));
    let stream: vd::CreateVideoStreamBody = serde_json::from_value(json!({"format": "mp4"})).unwrap();
    ok!("videodb.create_video_stream", v.create_video_stream(&"m-1".try_into().unwrap(), &stream));

    use videogen_openai::types as oa;
    let a = openai(None);
    let create: oa::CreateVideoJsonBody =
        serde_json::from_value(json!({"model": "sora-2", "prompt": "A red balloon", "seconds": "4"})).unwrap();
    ok!("openai.createVideo", a.create_video(&create));
    let mut multipart = videogen_openai::CreateVideoMultipart::new("A red balloon".try_into().unwrap());
    multipart.seconds = Some(oa::VideoSeconds::X4);
    ok!("openai.createVideo (multipart)", a.create_video_multipart(multipart));
    ok!("openai.ListVideos", a.list_videos(None, Some(10), Some(oa::OrderEnum::Desc)));
    ok!("openai.GetVideo", a.get_video("video_123"));
    ok!("openai.DeleteVideo", a.delete_video("video_123"));
    ok!("openai.RetrieveVideoContent", a.retrieve_video_content("video_123", Some(oa::VideoContentVariant::Video)));
    let remix: oa::CreateVideoRemixBody = serde_json::from_value(json!({"prompt": "Make it blue"})).unwrap();
    ok!("openai.CreateVideoRemix", a.create_video_remix("video_123", &remix));
    ok!(
        "openai.CreateVideoRemix (multipart)",
        a.create_video_remix_multipart("video_123", "Make it blue".try_into().unwrap())
    );

    use videogen_replicate::types as rp;
    let r = replicate(None);
    let create: rp::SchemasPredictionRequest =
        serde_json::from_value(json!({"input": {"prompt": "A red balloon", "duration": 5}})).unwrap();
    ok!(
        "replicate.create_model_prediction",
        r.create_model_prediction("kwaivgi", "kling-v3-video", Some("10m"), None, &create)
    );
    let by_version: rp::SchemasVersionPredictionRequest =
        serde_json::from_value(json!({"version": "kwaivgi/kling-v3-video", "input": {"prompt": "A red balloon"}}))
            .unwrap();
    ok!("replicate.create_prediction", r.create_prediction(None, None, &by_version));
    ok!("replicate.list_predictions", r.list_predictions(None, None, None, None));
    ok!("replicate.get_prediction", r.get_prediction("gm3qorzdhgbfurvjtvhg6dckhu"));
    ok!("replicate.cancel_prediction", r.cancel_prediction("gm3qorzdhgbfurvjtvhg6dckhu"));
    ok!("replicate.get_model", r.get_model("kwaivgi", "kling-v3-video"));
    ok!("replicate.get_model_version", r.get_model_version("kwaivgi", "kling-v3-video", "4a8ba274"));
    ok!("replicate.get_default_webhook_secret", r.get_default_webhook_secret());
}

#[tokio::test]
async fn prism_error_answers_decode_into_typed_errors() {
    for code in [400u16, 401, 404, 429, 500, 503] {
        match oxen(Some(code)).get_queue_generation("9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e").await {
            Err(videogen_oxen::Error::ErrorResponse(e)) => assert_eq!(e.status().as_u16(), code),
            other => panic!("oxen Prefer code={code}: {other:?}"),
        }
        match openai(Some(code)).get_video("video_123").await {
            Err(videogen_openai::Error::ErrorResponse(e)) => {
                assert_eq!(e.status().as_u16(), code);
                let _typed: &videogen_openai::types::ErrorResponse = &e;
            }
            other => panic!("openai Prefer code={code}: {other:?}"),
        }
    }
    for code in [400u16, 401, 404, 422, 429, 500] {
        match replicate(Some(code)).get_prediction("gm3qorzdhgbfurvjtvhg6dckhu").await {
            Err(videogen_replicate::Error::ErrorResponse(e)) => assert_eq!(e.status().as_u16(), code),
            other => panic!("replicate Prefer code={code}: {other:?}"),
        }
    }
    // VideoDB declares 4XX (its Error body) and no 5XX.
    for code in [400u16, 401, 404, 429] {
        match videodb(Some(code)).get_collection("default").await {
            Err(videogen_videodb::Error::ErrorResponse(e)) => assert_eq!(e.status().as_u16(), code),
            other => panic!("videodb Prefer code={code}: {other:?}"),
        }
    }
}
