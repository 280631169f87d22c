//! Every operation of every spec, sent by the generated client to a capture listener:
//! - the canned answer (the response fixture) validates against the operation's response schema
//!   before the client decodes it, and the client decodes it;
//! - the captured request body validates against the operation's `requestBody` schema, unknown
//!   properties rejected;
//! - the request is an insta JSON snapshot named `<api>__<operation>` (`tests/snapshots/`);
//! - the coverage gate: every operation of each `specs/*/openapi.json` has a snapshot here, and no
//!   snapshot file is left that no operation produced.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::future::Future;
use videogen_contract_tests::{record, spec, validate_request};
use videogen_spec::Direction;
use videogen_transport::capture::{CannedResponse, CaptureServer};

const KEY: &str = "sk-contract-test-key";
const UUID: &str = "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e";

/// Snapshots that are not one operation each: the hand-written multipart variants.
const EXTRA_SNAPSHOTS: &[&str] = &["openai__createVideo__multipart", "openai__CreateVideoRemix__multipart"];

#[derive(Default)]
struct Suite {
    names: BTreeSet<String>,
}

impl Suite {
    /// Runs `call` against a listener answering `canned` and checks the request it sends.
    async fn op<F, Fut, T, E>(
        &mut self,
        api: &str,
        operation: &str,
        variant: Option<&str>,
        canned: CannedResponse,
        call: F,
    ) where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Debug,
    {
        let spec = spec(api);
        let is_json = canned.headers.iter().any(|(k, v)| k == "content-type" && v == "application/json");
        if is_json {
            let schema = spec
                .response_schema(operation, canned.status, "application/json", Direction::Response)
                .unwrap_or_else(|| panic!("{api}.{operation}: no response schema for {}", canned.status));
            let body: Value = serde_json::from_slice(&canned.body).unwrap();
            if let Err(errors) = videogen_spec::validate(&schema, &body) {
                panic!("{api}.{operation}: the response fixture breaks the spec: {errors:?}");
            }
        }
        let server = CaptureServer::start(canned).await;
        if let Err(e) = call(server.base_url().to_string()).await {
            panic!("{api}.{operation}: the client failed: {e:?}");
        }
        let request = server.requests().await.into_iter().next().expect("one request");
        if let Err(errors) = validate_request(&spec, operation, &request) {
            panic!(
                "{api}.{operation}: the request body breaks the spec: {errors:?}\n{}",
                String::from_utf8_lossy(&request.body)
            );
        }
        let name = match variant {
            Some(v) => format!("{api}__{operation}__{v}"),
            None => format!("{api}__{operation}"),
        };
        insta::assert_json_snapshot!(name.clone(), record(&request));
        self.names.insert(name);
    }
}

/// A request body written as the JSON the provider documents: it must validate against the
/// spec's request schema (unknown properties rejected) before it becomes the generated type, so a
/// renamed field in the spec fails here and changes the snapshot.
fn body<T: serde::de::DeserializeOwned>(api: &str, operation: &str, documented: Value) -> T {
    let schema = spec(api).request_schema(operation, "application/json", Direction::Request { strict: true }).unwrap();
    if let Err(errors) = videogen_spec::validate(&schema, &documented) {
        panic!("{api}.{operation}: the documented body breaks the spec: {errors:?}");
    }
    serde_json::from_value(documented).unwrap_or_else(|e| panic!("{api}.{operation}: {e}"))
}

fn json(status: u16, body: Value) -> CannedResponse {
    CannedResponse::json(status, &body.to_string())
}

fn oxen(base: &str) -> videogen_oxen::Client {
    videogen_oxen::Client::from_api_key(base, KEY.to_string().into()).unwrap()
}
fn videodb(base: &str) -> videogen_videodb::Client {
    videogen_videodb::Client::from_api_key(base, KEY.to_string().into()).unwrap()
}
fn openai(base: &str) -> videogen_openai::Client {
    videogen_openai::Client::from_api_key(&format!("{base}/v1"), KEY.to_string().into()).unwrap()
}

fn replicate(base: &str) -> videogen_replicate::Client {
    videogen_replicate::Client::from_api_key(&format!("{base}/v1"), KEY.to_string().into()).unwrap()
}

/// A prediction as `GET /v1/predictions/{id}` answers it (replicate.com/docs HTTP API examples).
fn prediction(status: &str) -> Value {
    json!({"id": "gm3qorzdhgbfurvjtvhg6dckhu", "model": "kwaivgi/kling-v3-video", "version": "hidden",
           "input": {"prompt": "A red balloon", "duration": 5}, "output": null, "logs": "", "error": null,
           "status": status, "source": "api", "data_removed": false, "created_at": "2026-12-06T10:00:00.000Z",
           "urls": {"get": "https://api.replicate.com/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu",
                    "cancel": "https://api.replicate.com/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu/cancel",
                    "web": "https://replicate.com/p/gm3qorzdhgbfurvjtvhg6dckhu"}})
}

fn queue_row() -> Value {
    json!({"generation_id": UUID, "model_name": "kling-video-v2-6-pro-text-to-video", "media_type": "video",
           "status": "succeeded", "enqueued_at": 1775090508, "started_at": 1775090510, "completed_at": 1775090600,
           "result_url": "https://hub.oxen.ai/api/repos/u/r/files/v.mp4?sig=1", "error_message": null,
           "target_namespace": null, "target_repo": null, "target_directory": null, "prompt": "A red balloon"})
}

fn model() -> Value {
    json!({"id": "kling-video-v2-6-pro-text-to-video", "object": "model", "created": 1767225600, "owned_by": "oxen",
           "endpoint": "/videos/generate", "capabilities": {"input": ["text"], "output": ["video"]}})
}

fn video_resource() -> Value {
    json!({"id": "video_123", "object": "video", "model": "sora-2", "status": "queued", "progress": 0,
           "created_at": 1775090508, "completed_at": null, "expires_at": null, "prompt": "A red balloon",
           "size": "1280x720", "seconds": "8", "remixed_from_video_id": null, "error": null})
}

fn collection() -> Value {
    json!({"id": "default", "name": "Default", "description": "", "is_public": false, "owner": "u-1",
           "created_at": "2026-04-02T00:41:48Z"})
}

fn video() -> Value {
    json!({"id": "m-123", "name": "city.mp4", "collection_id": "default", "length": 6.0, "size": 18177.0,
           "stream_url": "https://stream.videodb.io/v/123.m3u8", "created_at": "2026-04-02T00:41:48Z"})
}

#[tokio::test]
async fn every_operation_has_a_wire_snapshot() {
    let mut s = Suite::default();
    oxen_operations(&mut s).await;
    videodb_operations(&mut s).await;
    openai_operations(&mut s).await;
    replicate_operations(&mut s).await;

    // The coverage gate.
    let mut missing = Vec::new();
    let mut table = String::new();
    for api in ["oxen", "videodb", "openai", "replicate"] {
        let ops = spec(api).operations();
        table.push_str(&format!("{api} ({} operations):\n", ops.len()));
        for op in ops {
            let name = format!("{api}__{}", op.id);
            let covered = s.names.contains(&name);
            table.push_str(&format!(
                "  {} {} {} -> {}\n",
                if covered { "ok" } else { "MISSING" },
                op.method.to_uppercase(),
                op.path,
                name
            ));
            if !covered {
                missing.push(name);
            }
        }
    }
    println!("{table}");
    assert!(missing.is_empty(), "operations without a wire snapshot test: {missing:?}");
    for extra in EXTRA_SNAPSHOTS {
        assert!(s.names.contains(*extra), "{extra} was not produced");
    }

    // No snapshot file is left that no test produced (insta's `--unreferenced=reject`).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.strip_prefix("wire__").and_then(|f| f.strip_suffix(".snap"));
        assert!(
            name.is_some_and(|n| s.names.contains(n)),
            "tests/snapshots/{file} is not produced by any test: delete it or add the test"
        );
    }
}

async fn oxen_operations(s: &mut Suite) {
    use videogen_oxen::types;
    s.op(
        "oxen",
        "generate_video",
        None,
        json(
            200,
            json!({"created": 1775090508, "model": "kling-video-v2-6-pro-text-to-video",
        "videos": [{"url": "https://hub.oxen.ai/v.mp4"}]}),
        ),
        |b| async move {
            let body: types::VideoGenerateRequest = body(
                "oxen",
                "generate_video",
                json!({
            "model": "kling-video-v2-6-pro-text-to-video", "prompt": "A red balloon floating upward through blue sky",
            "duration": 5, "aspect_ratio": "16:9", "response_format": "url"}),
            );
            oxen(&b).generate_video(&body).await
        },
    )
    .await;
    s.op(
        "oxen",
        "enqueue_generation",
        None,
        json(200, json!({"generations": [{"generation_id": UUID, "status": "queued"}]})),
        |b| async move {
            let body: types::QueueCreateRequest = body(
                "oxen",
                "enqueue_generation",
                json!({
            "model": "kling-video-o3-pro-reference-to-video",
            "multi_prompt": [{"prompt": "Wide shot: a bird takes off from a branch", "duration": 5},
                             {"prompt": "Tracking shot: the bird soars through clouds", "duration": 5}],
            "aspect_ratio": "16:9", "input_image": ["https://example.com/bird.png"], "generate_audio": true}),
            );
            oxen(&b).enqueue_generation(&body).await
        },
    )
    .await;
    s.op("oxen", "list_queue", None, json(200, json!({"count": 1, "generations": [queue_row()]})), |b| async move {
        oxen(&b)
            .list_queue(
                None,
                Some(types::ListQueueMediaType::Video),
                Some("kling-video-v2-6-pro-text-to-video"),
                None,
                None,
                Some(types::ListQueueStatus::Succeeded),
            )
            .await
    })
    .await;
    s.op("oxen", "get_queue_generation", None, json(200, queue_row()), |b| async move {
        oxen(&b).get_queue_generation(UUID).await
    })
    .await;
    s.op(
        "oxen",
        "cancel_queue_generation",
        None,
        json(200, json!({"status": "success", "generation_id": UUID})),
        |b| async move { oxen(&b).cancel_queue_generation(UUID).await },
    )
    .await;
    let mut history_row = queue_row();
    history_row["cost"] = json!("0.35");
    history_row["username"] = json!("ada");
    let history = json!({"count": 1, "generations": [history_row.clone()], "page_number": 2, "page_size": 10,
        "total_cost": "0.35", "total_entries": 11, "total_pages": 2});
    s.op("oxen", "list_generations", None, json(200, history), |b| async move {
        oxen(&b)
            .list_generations(
                None,
                None,
                None,
                Some("ada"),
                Some(2.try_into().unwrap()),
                Some(10.try_into().unwrap()),
                None,
                None,
            )
            .await
    })
    .await;
    s.op(
        "oxen",
        "get_generation",
        None,
        json(200, json!({"generation": history_row, "status": "success", "status_message": "resource_found"})),
        |b| async move { oxen(&b).get_generation(UUID).await },
    )
    .await;
    s.op("oxen", "list_models", None, json(200, json!({"object": "list", "data": [model()]})), |b| async move {
        oxen(&b).list_models(None, Some("Kling"), None).await
    })
    .await;
    s.op("oxen", "search_models", None, json(200, json!({"object": "list", "data": [model()]})), |b| async move {
        oxen(&b).search_models("kling").await
    })
    .await;
    s.op("oxen", "get_model", None, json(200, model()), |b| async move {
        oxen(&b).get_model("kling-video-v2-6-pro-text-to-video", Some(types::GetModelDeploymentStatus::Live)).await
    })
    .await;
}

async fn videodb_operations(s: &mut Suite) {
    use videogen_videodb::types;
    s.op(
        "videodb",
        "list_collections",
        None,
        json(200, json!({"success": true, "data": {"collections": [collection()], "default_collection": "default"}})),
        |b| async move { videodb(&b).list_collections().await },
    )
    .await;
    s.op(
        "videodb",
        "create_collection",
        None,
        json(200, json!({"success": true, "data": collection()})),
        |b| async move {
            let body: types::CreateCollectionBody = body(
                "videodb",
                "create_collection",
                json!({"name": "Ads", "description": "Spring campaign", "is_public": false}),
            );
            videodb(&b).create_collection(&body).await
        },
    )
    .await;
    s.op(
        "videodb",
        "get_collection",
        None,
        json(200, json!({"success": true, "data": collection()})),
        |b| async move { videodb(&b).get_collection("default").await },
    )
    .await;
    s.op(
        "videodb",
        "update_collection",
        None,
        json(200, json!({"success": true, "data": collection()})),
        |b| async move {
            let body: types::UpdateCollectionBody = body("videodb", "update_collection", json!({"name": "Ads 2"}));
            videodb(&b).update_collection("c-1", &body).await
        },
    )
    .await;
    s.op(
        "videodb",
        "delete_collection",
        None,
        json(200, json!({"success": true, "message": "Collection deleted"})),
        |b| async move { videodb(&b).delete_collection("c-1").await },
    )
    .await;
    s.op(
        "videodb",
        "generate_video",
        None,
        json(
            200,
            json!({"success": true, "status": "processing", "request_type": "sync",
        "data": {"id": "job-1", "output_url": "https://api.videodb.io/async-response/job-1"}}),
        ),
        |b| async move {
            let body: types::GenerateVideoBody = body(
                "videodb",
                "generate_video",
                // videodb-python `Collection.generate_video` sends callback_url, null when unset.
                json!({"prompt": "A drone flying over a futuristic city", "duration": 6, "callback_url": null}),
            );
            videodb(&b).generate_video("default", &body).await
        },
    )
    .await;
    s.op(
        "videodb",
        "get_async_response",
        None,
        json(200, json!({"success": true, "status": "done", "data": video()})),
        |b| async move { videodb(&b).get_async_response("job-1").await },
    )
    .await;
    s.op(
        "videodb",
        "list_videos",
        None,
        json(200, json!({"success": true, "data": {"videos": [video()]}})),
        |b| async move { videodb(&b).list_videos(Some("default"), Some(50), Some(0)).await },
    )
    .await;
    s.op("videodb", "get_video", None, json(200, json!({"success": true, "data": video()})), |b| async move {
        videodb(&b).get_video(&"m-123".try_into().unwrap(), Some("default")).await
    })
    .await;
    s.op("videodb", "update_video", None, json(200, json!({"success": true, "data": video()})), |b| async move {
        let body: types::UpdateVideoBody = body("videodb", "update_video", json!({"name": "city.mp4"}));
        videodb(&b).update_video(&"m-123".try_into().unwrap(), &body).await
    })
    .await;
    s.op(
        "videodb",
        "delete_video",
        None,
        json(200, json!({"success": true, "message": "Video deleted"})),
        |b| async move { videodb(&b).delete_video(&"m-123".try_into().unwrap()).await },
    )
    .await;
    s.op(
        "videodb",
        "create_video_stream",
        None,
        json(200, json!({"success": true, "data": {"stream_url": "https://stream.videodb.io/v/123"}})),
        |b| async move {
            let body: types::CreateVideoStreamBody =
                // What videodb-python `Video.generate_stream(timeline=[(0, 2)])` sends.
                body("videodb", "create_video_stream", json!({"timeline": [[0, 2]], "length": 6.0}));
            videodb(&b).create_video_stream(&"m-123".try_into().unwrap(), &body).await
        },
    )
    .await;
}

async fn openai_operations(s: &mut Suite) {
    use videogen_openai::types;
    s.op("openai", "createVideo", None, json(200, video_resource()), |b| async move {
        let body: types::CreateVideoJsonBody = body(
            "openai",
            "createVideo",
            json!({
            "model": "sora-2", "prompt": "A red balloon floating upward through blue sky", "seconds": "8",
            "size": "1280x720", "input_reference": {"image_url": "https://example.com/first.png"}}),
        );
        openai(&b).create_video(&body).await
    })
    .await;
    s.op("openai", "createVideo", Some("multipart"), json(200, video_resource()), |b| async move {
        let mut body = videogen_openai::CreateVideoMultipart::new("A red balloon".try_into().unwrap());
        body.model = Some(types::VideoModel("sora-2".into()));
        body.seconds = Some(types::VideoSeconds::X4);
        body.size = Some(types::VideoSize::X720x1280);
        body.input_reference = Some(videogen_openai::InputReferenceFile {
            bytes: bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\nfixture"),
            file_name: "first_frame.png".into(),
            content_type: "image/png".into(),
        });
        openai(&b).create_video_multipart(body).await
    })
    .await;
    s.op(
        "openai",
        "ListVideos",
        None,
        json(
            200,
            json!({"object": "list", "data": [video_resource()], "first_id": "video_123",
        "last_id": "video_123", "has_more": false}),
        ),
        |b| async move { openai(&b).list_videos(Some("video_100"), Some(20), Some(types::OrderEnum::Asc)).await },
    )
    .await;
    s.op("openai", "GetVideo", None, json(200, video_resource()), |b| async move {
        openai(&b).get_video("video_123").await
    })
    .await;
    s.op(
        "openai",
        "DeleteVideo",
        None,
        json(200, json!({"object": "video.deleted", "deleted": true, "id": "video_123"})),
        |b| async move { openai(&b).delete_video("video_123").await },
    )
    .await;
    let mp4 = CannedResponse {
        status: 200,
        headers: vec![("content-type".into(), "video/mp4".into())],
        body: b"\x00\x00\x00\x18ftypmp42".to_vec(),
    };
    s.op("openai", "RetrieveVideoContent", None, mp4, |b| async move {
        use futures::TryStreamExt;
        let stream = openai(&b)
            .retrieve_video_content("video_123", Some(types::VideoContentVariant::Thumbnail))
            .await?
            .into_inner();
        let bytes: Vec<bytes::Bytes> = stream
            .into_inner()
            .try_collect()
            .await
            .map_err(videogen_openai::Error::<types::ErrorResponse>::ResponseBodyError)?;
        assert_eq!(bytes.concat(), b"\x00\x00\x00\x18ftypmp42");
        Ok::<_, videogen_openai::Error<types::ErrorResponse>>(())
    })
    .await;
    s.op("openai", "CreateVideoRemix", None, json(200, video_resource()), |b| async move {
        let body: types::CreateVideoRemixBody =
            body("openai", "CreateVideoRemix", json!({"prompt": "Make the balloon blue"}));
        openai(&b).create_video_remix("video_123", &body).await
    })
    .await;
    s.op("openai", "CreateVideoRemix", Some("multipart"), json(200, video_resource()), |b| async move {
        openai(&b).create_video_remix_multipart("video_123", "Make the balloon blue".try_into().unwrap()).await
    })
    .await;
}

async fn replicate_operations(s: &mut Suite) {
    use videogen_replicate::types;
    let create = || {
        json!({"input": {"prompt": "A red balloon floating upward", "duration": 5, "aspect_ratio": "16:9"},
               "webhook": "https://example.com/hooks/replicate", "webhook_events_filter": ["completed"]})
    };
    s.op("replicate", "create_model_prediction", None, json(201, prediction("starting")), |b| async move {
        let body: types::SchemasPredictionRequest = body("replicate", "create_model_prediction", create());
        replicate(&b).create_model_prediction("kwaivgi", "kling-v3-video", Some("600s"), None, &body).await
    })
    .await;
    s.op("replicate", "create_prediction", None, json(202, prediction("starting")), |b| async move {
        let mut documented = create();
        documented["version"] = json!("kwaivgi/kling-v3-video");
        let body: types::SchemasVersionPredictionRequest = body("replicate", "create_prediction", documented);
        let prefer = types::CreatePredictionPrefer::try_from("wait=5".to_string()).unwrap();
        replicate(&b).create_prediction(None, Some(&prefer), &body).await
    })
    .await;
    s.op(
        "replicate",
        "list_predictions",
        None,
        json(
            200,
            json!({"next": "https://api.replicate.com/v1/predictions?cursor=cD0yMDIy", "previous": null,
                   "results": [prediction("succeeded")]}),
        ),
        |b| async move { replicate(&b).list_predictions(None, None, Some("cD0yMDIy"), None).await },
    )
    .await;
    s.op("replicate", "get_prediction", None, json(200, prediction("processing")), |b| async move {
        replicate(&b).get_prediction("gm3qorzdhgbfurvjtvhg6dckhu").await
    })
    .await;
    s.op("replicate", "cancel_prediction", None, json(200, prediction("canceled")), |b| async move {
        replicate(&b).cancel_prediction("gm3qorzdhgbfurvjtvhg6dckhu").await
    })
    .await;
    let version = json!({"id": "4a8ba2743bd9dc2b487e0c4319988aacd658d33c2d064b8a420f4ee1732c30bd",
        "created_at": "2026-02-26T00:00:00Z", "cog_version": "0.16.8",
        "openapi_schema": {"components": {"schemas": {"Input": {"type": "object", "required": ["prompt"],
            "properties": {"prompt": {"type": "string"}, "duration": {"type": "integer", "minimum": 3, "maximum": 15}}}}}}});
    let model = json!({"url": "https://replicate.com/kwaivgi/kling-v3-video", "owner": "kwaivgi",
        "name": "kling-v3-video", "description": "Kling 3.0 video", "visibility": "public", "github_url": null,
        "paper_url": null, "license_url": null, "cover_image_url": null, "run_count": 12, "is_official": true,
        "default_example": null, "latest_version": version.clone()});
    s.op("replicate", "get_model", None, json(200, model), |b| async move {
        replicate(&b).get_model("kwaivgi", "kling-v3-video").await
    })
    .await;
    s.op("replicate", "get_model_version", None, json(200, version), |b| async move {
        replicate(&b)
            .get_model_version(
                "kwaivgi",
                "kling-v3-video",
                "4a8ba2743bd9dc2b487e0c4319988aacd658d33c2d064b8a420f4ee1732c30bd",
            )
            .await
    })
    .await;
    s.op(
        "replicate",
        "get_default_webhook_secret",
        None,
        json(200, json!({"key": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})),
        |b| async move { replicate(&b).get_default_webhook_secret().await },
    )
    .await;
}
