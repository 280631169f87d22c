//! A scripted flow through every operation of every spec. Each response the simulator sends is
//! checked against its operation in `specs/<api>/openapi.json`: the status is declared, the
//! content type is one the spec lists, and a JSON body validates against the response schema.
//! At the end, every operation of every spec must have been called.
//!
//! Run by `cargo test` against an in-process simulator. `cargo xtask ci` runs it a second time
//! against the `videogen-sim` binary (`VIDEOGEN_SIM_URL`) with Prism proxies in front of it
//! (`VIDEOGEN_PRISM_OXEN`, `…_VIDEODB`, `…_OPENAI`, `…_REPLICATE`): then every valid
//! request of the flow goes through `prism proxy <spec> <sim> --errors`, and an `sl-violations`
//! header or a Prism error fails the test. Requests that break the spec on purpose (missing key,
//! out-of-range values) go straight to the simulator, since Prism answers those itself.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use videogen_sim::{Sim, SimConfig};
use videogen_spec::{Direction, Spec};

struct Checker {
    http: reqwest::Client,
    specs: Vec<(&'static str, Spec)>,
    covered: BTreeSet<(String, String)>,
    /// (sim base URL, Prism base URL) per API, when the flow runs through Prism.
    prism: Vec<(&'static str, String, String)>,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

impl Checker {
    fn new() -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let load = |api: &str| {
            let path = format!("{}/../../specs/{api}/openapi.json", env!("CARGO_MANIFEST_DIR"));
            Spec::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        Self {
            http: reqwest::Client::new(),
            specs: vec![
                ("oxen", load("oxen")),
                ("videodb", load("videodb")),
                ("openai", load("openai")),
                ("replicate", load("replicate")),
            ],
            covered: BTreeSet::new(),
            prism: Vec::new(),
        }
    }

    /// Routes `api`'s valid requests through the Prism proxy at `prism` (in front of `sim_base`).
    fn via_prism(&mut self, api: &'static str, sim_base: String, prism: String) {
        self.prism.push((api, sim_base, prism));
    }

    /// Sends a request that breaks the spec on purpose straight to the simulator.
    async fn call_direct(&mut self, api: &str, operation: &str, request: reqwest::RequestBuilder) -> Reply {
        let request = request.build().unwrap();
        self.check(api, operation, request, false).await
    }

    fn spec(&self, api: &str) -> &Spec {
        &self.specs.iter().find(|(a, _)| *a == api).unwrap().1
    }

    /// Sends a valid request for `api`'s `operation` (through Prism when configured) and checks
    /// the answer against the spec.
    async fn call(&mut self, api: &str, operation: &str, request: reqwest::RequestBuilder) -> Reply {
        let request = request.build().unwrap();
        self.check(api, operation, request, true).await
    }

    async fn check(&mut self, api: &str, operation: &str, mut request: reqwest::Request, through_prism: bool) -> Reply {
        let mut proxied = false;
        if through_prism && let Some((_, sim_base, prism)) = self.prism.iter().find(|(a, _, _)| *a == api) {
            let url = request.url().to_string();
            if let Some(rest) = url.strip_prefix(sim_base.as_str()) {
                *request.url_mut() = format!("{prism}{rest}").parse().unwrap();
                proxied = true;
            }
        }
        let response = self.http.execute(request).await.unwrap_or_else(|e| panic!("{api}.{operation}: {e}"));
        if proxied && let Some(v) = response.headers().get("sl-violations") {
            panic!("{api}.{operation}: Prism reports violations: {}", v.to_str().unwrap_or("?"));
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap().to_vec();
        let spec = self.spec(api);
        assert!(spec.operation(operation).is_some(), "{api} has no operation {operation}");
        assert!(spec.declares_status(operation, status), "{api}.{operation}: status {status} is not declared");
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|c| c.split(';').next().unwrap().trim().to_string())
            .unwrap_or_default();
        let declared = spec.response_content_types(operation, status);
        assert!(
            declared.contains(&content_type),
            "{api}.{operation} {status}: content type {content_type:?} not among {declared:?}"
        );
        if content_type == "application/json" {
            let schema = spec.response_schema(operation, status, "application/json", Direction::Response).unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            if let Err(errors) = videogen_spec::validate(&schema, &body) {
                panic!(
                    "{api}.{operation} {status}: response does not match the spec:\n{}\n{body:#}",
                    errors.join("\n")
                );
            }
        }
        self.covered.insert((api.to_string(), operation.to_string()));
        Reply { status, headers, bytes }
    }

    fn assert_all_covered(&self) {
        let mut missing = Vec::new();
        for (api, spec) in &self.specs {
            for op in spec.operations() {
                if !self.covered.contains(&(api.to_string(), op.id.clone())) {
                    missing.push(format!("{api}.{} ({} {})", op.id, op.method, op.path));
                }
            }
        }
        assert!(missing.is_empty(), "operations not exercised: {missing:?}");
    }
}

fn config() -> SimConfig {
    SimConfig {
        queued_for: Duration::from_millis(30),
        processing_for: Duration::from_millis(150),
        ..SimConfig::default()
    }
}

const KEY: &str = "sk-sim-test";

async fn poll_until<F: Fn(&Value) -> bool>(
    c: &mut Checker,
    api: &str,
    op: &str,
    url: &str,
    auth: (&str, &str),
    done: F,
) -> Value {
    for _ in 0..100 {
        let reply = c.call(api, op, c.http.get(url).header(auth.0, auth.1)).await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.bytes));
        let body = reply.json();
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{api}.{op} never finished");
}

/// Where the flow sends its requests: an in-process simulator, or (under `cargo xtask ci`'s Prism
/// step) the `videogen-sim` binary at `VIDEOGEN_SIM_URL`.
struct Target {
    base: String,
    sim: Option<Sim>,
}

impl Target {
    fn openai_base(&self) -> String {
        format!("{}/v1", self.base)
    }
}

#[tokio::test]
async fn every_operation_of_every_spec_answers_as_its_spec_says() {
    let mut c = Checker::new();
    let target = match std::env::var("VIDEOGEN_SIM_URL") {
        Ok(base) => Target { base, sim: None },
        Err(_) => {
            let sim = Sim::start(config()).await.unwrap();
            Target { base: sim.base_url(), sim: Some(sim) }
        }
    };
    for (api, var) in [
        ("oxen", "VIDEOGEN_PRISM_OXEN"),
        ("videodb", "VIDEOGEN_PRISM_VIDEODB"),
        ("openai", "VIDEOGEN_PRISM_OPENAI"),
        ("replicate", "VIDEOGEN_PRISM_REPLICATE"),
    ] {
        if let Ok(prism) = std::env::var(var) {
            let sim_base =
                if matches!(api, "openai" | "replicate") { target.openai_base() } else { target.base.clone() };
            c.via_prism(api, sim_base, prism.trim_end_matches('/').to_string());
        }
    }
    oxen_flow(&target, &mut c).await;
    videodb_flow(&target, &mut c).await;
    openai_flow(&target, &mut c).await;
    replicate_flow(&target, &mut c).await;
    c.assert_all_covered();
    if let Some(sim) = target.sim {
        // 4 enqueues and 3 sync generates, counted whether or not they were valid.
        assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 7);
        sim.stop().await;
    }
}

async fn oxen_flow(sim: &Target, c: &mut Checker) {
    let base = format!("{}/api/ai", sim.base);
    let bearer = format!("Bearer {KEY}");
    let auth = ("authorization", bearer.as_str());
    let http = c.http.clone();

    let models = c.call("oxen", "list_models", http.get(format!("{base}/models")).header(auth.0, auth.1)).await.json();
    let model = models["data"][0]["id"].as_str().unwrap().to_string();
    let found = c
        .call("oxen", "search_models", http.get(format!("{base}/models/search?search=kling")).header(auth.0, auth.1))
        .await;
    assert!(!found.json()["data"].as_array().unwrap().is_empty());
    c.call(
        "oxen",
        "get_model",
        http.get(format!("{base}/models/{model}?deployment_status=live")).header(auth.0, auth.1),
    )
    .await;
    let missing = c.call("oxen", "get_model", http.get(format!("{base}/models/nope")).header(auth.0, auth.1)).await;
    assert_eq!((missing.status, missing.json()["error"]["title"].as_str()), (404, Some("Model not found: nope")));

    // No key: the documented unauthenticated envelope.
    let denied = c.call_direct("oxen", "list_queue", http.get(format!("{base}/queue"))).await;
    assert_eq!((denied.status, denied.json()["status_message"].as_str()), (401, Some("unauthenticated")));

    // Enqueue with a prompt and follow the row to succeeded.
    let queued = c
        .call(
            "oxen",
            "enqueue_generation",
            http.post(format!("{base}/queue"))
                .header(auth.0, auth.1)
                .json(&json!({"model": model, "prompt": "A red balloon", "duration": 5})),
        )
        .await
        .json();
    let id = queued["generations"][0]["generation_id"].as_str().unwrap().to_string();
    let listed = c
        .call("oxen", "list_queue", http.get(format!("{base}/queue?model={model}")).header(auth.0, auth.1))
        .await
        .json();
    assert!(
        listed["generations"].as_array().unwrap().iter().any(|g| g["generation_id"] == id),
        "active rows are listed"
    );
    let row = poll_until(c, "oxen", "get_queue_generation", &format!("{base}/queue/{id}"), auth, |r| {
        r["status"] == "succeeded"
    })
    .await;
    assert_eq!(row["prompt"], "A red balloon", "request parameters are merged into the row");
    let result_url = row["result_url"].as_str().unwrap().to_string();
    assert!(result_url.starts_with("http://localhost:"), "results live on another origin: {result_url}");
    let mp4 = http.get(&result_url).send().await.unwrap();
    assert_eq!(mp4.headers()["content-type"], "video/mp4");
    assert_eq!(mp4.headers()["content-length"], videogen_sim::FIXTURE_MP4.len().to_string().as_str());
    assert_eq!(&mp4.bytes().await.unwrap()[..], videogen_sim::FIXTURE_MP4);
    let ranged = http.get(&result_url).header("range", "bytes=4-11").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(&ranged.bytes().await.unwrap()[..], b"ftypisom");

    // Multi-shot, then prompt and multi_prompt together: the job fails with the documented message.
    let both = c
        .call(
            "oxen",
            "enqueue_generation",
            http.post(format!("{base}/queue")).header(auth.0, auth.1).json(&json!({
                "model": model, "prompt": "x", "multi_prompt": [{"prompt": "a", "duration": 5}]})),
        )
        .await
        .json();
    let both_id = both["generations"][0]["generation_id"].as_str().unwrap().to_string();
    let failed = poll_until(c, "oxen", "get_queue_generation", &format!("{base}/queue/{both_id}"), auth, |r| {
        r["status"] == "failed"
    })
    .await;
    assert_eq!(
        failed["error_message"],
        "Getting model response error: 422 - Value error, Cannot provide both 'prompt' and 'multi_prompt'."
    );
    let bad_n = c
        .call(
            "oxen",
            "enqueue_generation",
            http.post(format!("{base}/queue"))
                .header(auth.0, auth.1)
                .json(&json!({"model": model, "prompt": "x", "num_generations": 5})),
        )
        .await;
    assert_eq!(bad_n.status, 400);
    assert_eq!(bad_n.json()["error"]["title"], "num_generations must be an integer between 1 and 4");

    // Cancel a fresh job; the row stays, cancelled.
    let fresh = c
        .call(
            "oxen",
            "enqueue_generation",
            http.post(format!("{base}/queue")).header(auth.0, auth.1).json(&json!({
                "model": model, "multi_prompt": [{"prompt": "a", "duration": 5}, {"prompt": "b", "duration": 5}]})),
        )
        .await
        .json();
    let fresh_id = fresh["generations"][0]["generation_id"].as_str().unwrap().to_string();
    let cancelled = c
        .call("oxen", "cancel_queue_generation", http.delete(format!("{base}/queue/{fresh_id}")).header(auth.0, auth.1))
        .await;
    assert_eq!(cancelled.json(), json!({"status": "success", "generation_id": fresh_id}));
    let gone = c
        .call(
            "oxen",
            "cancel_queue_generation",
            http.delete(format!("{base}/queue/{}", uuid::Uuid::nil())).header(auth.0, auth.1),
        )
        .await;
    assert_eq!(gone.status, 404);
    let row = c
        .call("oxen", "get_queue_generation", http.get(format!("{base}/queue/{fresh_id}")).header(auth.0, auth.1))
        .await
        .json();
    assert_eq!(row["status"], "cancelled");
    let terminal = c
        .call("oxen", "list_queue", http.get(format!("{base}/queue?status=cancelled")).header(auth.0, auth.1))
        .await
        .json();
    assert_eq!(terminal["count"], 1);

    // History.
    let history = c
        .call(
            "oxen",
            "list_generations",
            http.get(format!("{base}/generations?page=1&page_size=2")).header(auth.0, auth.1),
        )
        .await
        .json();
    assert_eq!((history["page_size"].as_u64(), history["total_entries"].as_u64()), (Some(2), Some(3)));
    let one = c
        .call("oxen", "get_generation", http.get(format!("{base}/generations/{id}")).header(auth.0, auth.1))
        .await
        .json();
    assert_eq!(one["generation"]["status"], "succeeded");

    // Sync generate: url, then b64_json; then the documented 422 texts.
    let sync = c
        .call(
            "oxen",
            "generate_video",
            http.post(format!("{base}/videos/generate"))
                .header(auth.0, auth.1)
                .json(&json!({"model": model, "prompt": "A bird"})),
        )
        .await
        .json();
    assert!(sync["videos"][0]["url"].is_string());
    let b64 = c
        .call(
            "oxen",
            "generate_video",
            http.post(format!("{base}/videos/generate"))
                .header(auth.0, auth.1)
                .json(&json!({"model": model, "prompt": "A bird", "response_format": "b64_json"})),
        )
        .await
        .json();
    use base64::Engine;
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(b64["videos"][0]["b64_json"].as_str().unwrap()).unwrap();
    assert_eq!(decoded, videogen_sim::FIXTURE_MP4);
    let neither = c
        .call(
            "oxen",
            "generate_video",
            http.post(format!("{base}/videos/generate")).header(auth.0, auth.1).json(&json!({"model": model})),
        )
        .await;
    assert_eq!(neither.status, 400);
    assert_eq!(
        neither.json()["error"]["message"],
        "Getting model response error: 422 - Value error, Either 'prompt' or 'multi_prompt' must be provided."
    );
}

async fn videodb_flow(sim: &Target, c: &mut Checker) {
    let base = sim.base.clone();
    let auth = ("x-access-token", KEY);
    let http = c.http.clone();

    let denied = c.call_direct("videodb", "list_collections", http.get(format!("{base}/collection"))).await;
    assert_eq!((denied.status, denied.json()["success"].as_bool()), (401, Some(false)));
    let collections = c
        .call("videodb", "list_collections", http.get(format!("{base}/collection")).header(auth.0, auth.1))
        .await
        .json();
    assert_eq!(collections["data"]["default_collection"], "default");
    let created = c
        .call(
            "videodb",
            "create_collection",
            http.post(format!("{base}/collection"))
                .header(auth.0, auth.1)
                .json(&json!({"name": "Ads", "is_public": false})),
        )
        .await
        .json();
    let cid = created["data"]["id"].as_str().unwrap().to_string();
    c.call("videodb", "get_collection", http.get(format!("{base}/collection/{cid}")).header(auth.0, auth.1)).await;
    let renamed = c
        .call(
            "videodb",
            "update_collection",
            http.patch(format!("{base}/collection/{cid}")).header(auth.0, auth.1).json(&json!({"name": "Ads 2"})),
        )
        .await
        .json();
    assert_eq!(renamed["data"]["name"], "Ads 2");
    c.call("videodb", "delete_collection", http.delete(format!("{base}/collection/{cid}")).header(auth.0, auth.1))
        .await;
    let gone =
        c.call("videodb", "get_collection", http.get(format!("{base}/collection/{cid}")).header(auth.0, auth.1)).await;
    assert_eq!(gone.status, 404);

    // docs.videodb.io: duration an integer 5–8.
    let bad = c
        .call_direct(
            "videodb",
            "generate_video",
            http.post(format!("{base}/collection/default/generate/video/"))
                .header(auth.0, auth.1)
                .json(&json!({"prompt": "A drone", "duration": 9})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["message"], "Duration must be an integer between 5 and 8 seconds inclusive");

    let started = c
        .call(
            "videodb",
            "generate_video",
            http.post(format!("{base}/collection/default/generate/video/"))
                .header(auth.0, auth.1)
                .json(&json!({"prompt": "A drone flying over a futuristic city", "duration": 6})),
        )
        .await
        .json();
    assert_eq!((started["status"].as_str(), started["request_type"].as_str()), (Some("processing"), Some("sync")));
    let output_url = started["data"]["output_url"].as_str().unwrap().to_string();
    assert_eq!(output_url, format!("{base}/async-response/{}", started["data"]["id"].as_str().unwrap()));
    let done = poll_until(c, "videodb", "get_async_response", &output_url, auth, |r| r["status"] == "done").await;
    let vid = done["data"]["id"].as_str().unwrap().to_string();
    assert!(vid.starts_with("m-"));
    let stream_url = done["data"]["stream_url"].as_str().unwrap();
    assert_eq!(&http.get(stream_url).send().await.unwrap().bytes().await.unwrap()[..], videogen_sim::FIXTURE_MP4);
    let missing = c
        .call("videodb", "get_async_response", http.get(format!("{base}/async-response/job-x")).header(auth.0, auth.1))
        .await;
    assert_eq!(missing.status, 404);

    let video = c
        .call(
            "videodb",
            "get_video",
            http.get(format!("{base}/video/{vid}?collection_id=default")).header(auth.0, auth.1),
        )
        .await;
    assert_eq!(video.json()["data"]["length"], 6.0);
    let list = c
        .call(
            "videodb",
            "list_videos",
            http.get(format!("{base}/video/?collection_id=default&count=10")).header(auth.0, auth.1),
        )
        .await;
    assert_eq!(list.json()["data"]["videos"].as_array().unwrap().len(), 1);
    c.call(
        "videodb",
        "update_video",
        http.patch(format!("{base}/video/{vid}")).header(auth.0, auth.1).json(&json!({"name": "city.mp4"})),
    )
    .await;
    let stream = c
        .call(
            "videodb",
            "create_video_stream",
            http.post(format!("{base}/video/{vid}/stream/"))
                .header(auth.0, auth.1)
                .json(&json!({"format": "mp4", "quality": "high"})),
        )
        .await;
    assert!(stream.json()["data"]["stream_url"].is_string());
    c.call("videodb", "delete_video", http.delete(format!("{base}/video/{vid}")).header(auth.0, auth.1)).await;
    let deleted = c.call("videodb", "get_video", http.get(format!("{base}/video/{vid}")).header(auth.0, auth.1)).await;
    assert_eq!(deleted.status, 404);
}

async fn openai_flow(sim: &Target, c: &mut Checker) {
    let base = sim.openai_base();
    let bearer = format!("Bearer {KEY}");
    let auth = ("authorization", bearer.as_str());
    let http = c.http.clone();

    let denied = c.call_direct("openai", "ListVideos", http.get(format!("{base}/videos"))).await;
    assert_eq!(denied.status, 401);
    for (body, param) in [
        (json!({"prompt": ""}), "prompt"),
        (json!({"prompt": "x", "seconds": "5"}), "seconds"),
        (json!({"prompt": "x", "seconds": 8}), "seconds"),
        (json!({"prompt": "x", "aspect_ratio": "16:9"}), "aspect_ratio"),
        (json!({"prompt": "x", "input_reference": "https://example.com/a.png"}), "input_reference"),
        (json!({"prompt": "x", "model": "veo-3.1-generate-preview", "seconds": "8"}), "seconds"),
    ] {
        let bad = c
            .call_direct(
                "openai",
                "createVideo",
                http.post(format!("{base}/videos")).header(auth.0, auth.1).json(&body),
            )
            .await;
        assert_eq!((bad.status, bad.json()["error"]["param"].as_str()), (400, Some(param)), "{body}");
    }

    let created = c
        .call(
            "openai",
            "createVideo",
            http.post(format!("{base}/videos"))
                .header(auth.0, auth.1)
                .json(&json!({"prompt": "A red balloon", "model": "sora-2", "seconds": "8", "size": "1280x720"})),
        )
        .await
        .json();
    assert_eq!((created["status"].as_str(), created["seconds"].as_str()), (Some("queued"), Some("8")));
    let veo = c
        .call(
            "openai",
            "createVideo",
            http.post(format!("{base}/videos"))
                .header(auth.0, auth.1)
                .json(&json!({"prompt": "A red balloon", "model": "veo-3.1-generate-preview", "seconds": 6, "size": "1920x1080"})),
        )
        .await
        .json();
    assert_eq!(veo["seconds"], "6");
    let form = reqwest::multipart::Form::new()
        .text("prompt", "A red balloon")
        .text("model", "sora-2")
        .text("seconds", "4")
        .part(
            "input_reference",
            reqwest::multipart::Part::bytes(&b"\x89PNG fake"[..]).file_name("f.png").mime_str("image/png").unwrap(),
        );
    let multipart = c
        .call("openai", "createVideo", http.post(format!("{base}/videos")).header(auth.0, auth.1).multipart(form))
        .await;
    assert_eq!(multipart.status, 200);

    let id = created["id"].as_str().unwrap().to_string();
    let first = c.call("openai", "GetVideo", http.get(format!("{base}/videos/{id}")).header(auth.0, auth.1)).await;
    assert!(first.headers.contains_key("openai-poll-after-ms"), "the SDK's poll hint is sent while the job runs");
    let not_ready = c
        .call("openai", "RetrieveVideoContent", http.get(format!("{base}/videos/{id}/content")).header(auth.0, auth.1))
        .await;
    assert_eq!(not_ready.status, 400);
    let done =
        poll_until(c, "openai", "GetVideo", &format!("{base}/videos/{id}"), auth, |v| v["status"] == "completed").await;
    assert_eq!(done["progress"], 100);
    assert!(done["expires_at"].as_i64().unwrap() > done["completed_at"].as_i64().unwrap());

    for (variant, content_type) in [("video", "video/mp4"), ("thumbnail", "image/webp"), ("spritesheet", "image/webp")]
    {
        let content = c
            .call(
                "openai",
                "RetrieveVideoContent",
                http.get(format!("{base}/videos/{id}/content?variant={variant}")).header(auth.0, auth.1),
            )
            .await;
        assert_eq!((content.status, content.headers["content-type"].to_str().unwrap()), (200, content_type));
    }
    let page = c
        .call("openai", "ListVideos", http.get(format!("{base}/videos?limit=2&order=asc")).header(auth.0, auth.1))
        .await
        .json();
    assert_eq!((page["data"].as_array().unwrap().len(), page["has_more"].as_bool()), (2, Some(true)));
    let next = c
        .call(
            "openai",
            "ListVideos",
            http.get(format!("{base}/videos?limit=2&order=asc&after={}", page["last_id"].as_str().unwrap()))
                .header(auth.0, auth.1),
        )
        .await
        .json();
    assert_eq!((next["data"].as_array().unwrap().len(), next["has_more"].as_bool()), (1, Some(false)));

    let remix = c
        .call(
            "openai",
            "CreateVideoRemix",
            http.post(format!("{base}/videos/{id}/remix"))
                .header(auth.0, auth.1)
                .json(&json!({"prompt": "Make it blue"})),
        )
        .await
        .json();
    assert_eq!(remix["remixed_from_video_id"], id.as_str());
    let deleted =
        c.call("openai", "DeleteVideo", http.delete(format!("{base}/videos/{id}")).header(auth.0, auth.1)).await;
    assert_eq!(deleted.json(), json!({"object": "video.deleted", "deleted": true, "id": id}));
    let missing = c.call("openai", "GetVideo", http.get(format!("{base}/videos/{id}")).header(auth.0, auth.1)).await;
    assert_eq!(missing.status, 404);
}

async fn replicate_flow(sim: &Target, c: &mut Checker) {
    let base = sim.openai_base();
    let bearer = format!("Bearer {KEY}");
    let auth = ("authorization", bearer.as_str());
    let http = c.http.clone();

    let model = c
        .call(
            "replicate",
            "get_model",
            http.get(format!("{base}/models/kwaivgi/kling-v3-video")).header(auth.0, auth.1),
        )
        .await
        .json();
    let input = &model["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"];
    assert_eq!(input["required"], json!(["prompt"]), "{input}");
    let version = model["latest_version"]["id"].as_str().unwrap().to_string();
    c.call(
        "replicate",
        "get_model_version",
        http.get(format!("{base}/models/kwaivgi/kling-v3-video/versions/{version}")).header(auth.0, auth.1),
    )
    .await;
    let missing = c
        .call("replicate", "get_model", http.get(format!("{base}/models/nobody/nothing")).header(auth.0, auth.1))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.headers["content-type"], "application/problem+json");
    assert!(missing.json()["detail"].is_string());

    // No key: Replicate's 401 problem.
    let denied = c.call_direct("replicate", "list_predictions", http.get(format!("{base}/predictions"))).await;
    assert_eq!(denied.status, 401);

    // A create that waits (Prefer: wait=5) for a job that ends sooner: 201 and the output.
    let done = c
        .call(
            "replicate",
            "create_model_prediction",
            http.post(format!("{base}/models/kwaivgi/kling-v3-video/predictions"))
                .header(auth.0, auth.1)
                .header("prefer", "wait=5")
                .json(&json!({"input": {"prompt": "A red balloon", "duration": 5}})),
        )
        .await;
    assert_eq!(done.status, 201);
    let done = done.json();
    assert_eq!(done["status"], "succeeded", "{done}");
    let output = done["output"].as_str().unwrap().to_string();
    let mp4 = http.get(&output).send().await.unwrap();
    assert_eq!(&mp4.bytes().await.unwrap()[..], videogen_sim::FIXTURE_MP4);

    // A create by version, with a deadline, followed to its end; then one cancelled.
    let started = c
        .call(
            "replicate",
            "create_prediction",
            http.post(format!("{base}/predictions"))
                .header(auth.0, auth.1)
                .header("cancel-after", "10m")
                .json(&json!({"version": version, "input": {"prompt": "A paper boat"}})),
        )
        .await;
    assert_eq!(started.status, 201);
    let started = started.json();
    assert_eq!(started["status"], "starting");
    assert!(started["deadline"].is_string(), "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    let get = started["urls"]["get"].as_str().unwrap().to_string();
    assert_eq!(get, format!("{base}/predictions/{id}"));
    let finished = poll_until(c, "replicate", "get_prediction", &get, auth, |p| p["status"] == "succeeded").await;
    assert!(finished["metrics"]["predict_time"].is_number(), "{finished}");
    let slow = c
        .call(
            "replicate",
            "create_model_prediction",
            http.post(format!("{base}/models/videogen-sim/slow-video/predictions"))
                .header(auth.0, auth.1)
                .json(&json!({"input": {"prompt": "A slow boat"}})),
        )
        .await
        .json();
    let cancel = slow["urls"]["cancel"].as_str().unwrap().to_string();
    let cancelled = c.call("replicate", "cancel_prediction", http.post(&cancel).header(auth.0, auth.1)).await.json();
    assert_eq!(cancelled["status"], "canceled");

    // Values the model's input refuses: a 422 problem, nothing created.
    let refused = c
        .call(
            "replicate",
            "create_model_prediction",
            http.post(format!("{base}/models/kwaivgi/kling-v3-video/predictions"))
                .header(auth.0, auth.1)
                .json(&json!({"input": {"prompt": "x", "duration": 99}})),
        )
        .await;
    assert_eq!(refused.status, 422);

    let listed = c
        .call("replicate", "list_predictions", http.get(format!("{base}/predictions")).header(auth.0, auth.1))
        .await
        .json();
    let ids: Vec<&str> = listed["results"].as_array().unwrap().iter().filter_map(|p| p["id"].as_str()).collect();
    assert!(ids.contains(&id.as_str()), "{listed}");
    let secret = c
        .call(
            "replicate",
            "get_default_webhook_secret",
            http.get(format!("{base}/webhooks/default/secret")).header(auth.0, auth.1),
        )
        .await
        .json();
    assert!(secret["key"].as_str().unwrap().starts_with("whsec_"));
}
