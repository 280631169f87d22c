//! A seeded hostile server for videogen's hostile-server test tier.
//!
//! Each [`Case`] comes from one seed: a provider API ([`Api`]), the request it attacks
//! ([`Target`]: the create, the status poll, or the result download), a [`Mutation`] of the
//! answer (status codes, bodies, headers, redirects, timing, a TCP listener posing as an https
//! host), and whether it hits once or every time. [`Server::start`] serves that case on three
//! loopback listeners written on raw TCP (so it can send what no well-behaved HTTP library would:
//! wrong lengths, broken chunked encoding, headers one byte at a time):
//!
//! - `A`, the provider's API origin `http://127.0.0.1:PA` (also reachable as `localhost:PA`,
//!   which is another origin);
//! - `B`, a foreign origin `http://127.0.0.1:PB` (result host, redirect target);
//! - `T`, a plain TCP listener at `https://127.0.0.1:PT` that never speaks TLS.
//!
//! Outside the mutation it answers like the provider (shapes from `specs/<api>/openapi.json`): a
//! create makes one job, the first status poll says running, the next says done with a result
//! URL, the result is [`CONTENT`] (with `Range`). It records create requests, jobs created
//! (a create it processed, whatever it then answered) and every request that carried [`KEY`]
//! anywhere but the API origin ([`Record::leaks`]).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The API key the clients under test use. Seen anywhere but on the API origin, it is a leak.
pub const KEY: &str = "sk-hostile-7f3a9c";

/// The result every job produces: a well-formed MP4 box sequence (an `ftyp` box, then an
/// `mdat` box with 4 KiB of deterministic bytes).
pub static CONTENT: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend_from_slice(b"ftypmp42\0\0\0\0mp42isom");
    v.extend_from_slice(&(8u32 + 4096).to_be_bytes());
    v.extend_from_slice(b"mdat");
    v.extend((0..4096u32).map(|i| (i.wrapping_mul(31) % 251) as u8));
    v
});

/// The job id every create answers (Oxen wants a UUID).
pub const JOB_ID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

/// The provider API a case speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Oxen,
    VideoDb,
    OpenAi,
    AiHubMix,
    Replicate,
}

impl Api {
    pub const ALL: [Api; 5] = [Api::Oxen, Api::VideoDb, Api::OpenAi, Api::AiHubMix, Api::Replicate];

    /// The provider name the `videogen` command and the facade use.
    pub fn name(self) -> &'static str {
        match self {
            Api::Oxen => "oxen",
            Api::VideoDb => "videodb",
            Api::OpenAi => "openai",
            Api::AiHubMix => "aihubmix",
            Api::Replicate => "replicate",
        }
    }

    /// The base URL a client of this API is given.
    pub fn base_url(self, api: SocketAddr) -> String {
        match self {
            Api::Oxen | Api::VideoDb => format!("http://{api}"),
            Api::OpenAi | Api::AiHubMix | Api::Replicate => format!("http://{api}/v1"),
        }
    }

    /// A model the facade's capability table accepts with a prompt alone.
    pub fn model(self) -> &'static str {
        match self {
            Api::Oxen => "kling-video-v2-6-pro-text-to-video",
            Api::VideoDb => "videodb",
            Api::OpenAi | Api::AiHubMix => "sora-2",
            Api::Replicate => "kwaivgi/kling-v3-video",
        }
    }
}

/// The request a mutation attacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Create,
    Status,
    Download,
}

/// A bad body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadBody {
    Empty,
    Html,
    InvalidUtf8,
    WrongTypes,
    MissingFields,
    NullFields,
    HugeValue,
    DeepNesting,
    Array,
    TruncatedJson,
    ControlChars,
    /// A well-formed status answer for every API with a status word no client knows.
    UnknownStatus,
}

const BAD_BODIES: [BadBody; 12] = [
    BadBody::Empty,
    BadBody::Html,
    BadBody::InvalidUtf8,
    BadBody::WrongTypes,
    BadBody::MissingFields,
    BadBody::NullFields,
    BadBody::HugeValue,
    BadBody::DeepNesting,
    BadBody::Array,
    BadBody::TruncatedJson,
    BadBody::ControlChars,
    BadBody::UnknownStatus,
];

/// Where a redirect points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// Another path on the API origin (then a normal answer).
    SameOrigin,
    /// The same URL again, for ever.
    Loop,
    /// To the foreign origin B, which redirects again within B, then answers normally.
    TwoHop,
    /// To B, then back to the API origin (a hop that came back must carry no key).
    ThereAndBack,
    /// `localhost:PA`: the same listener under another origin.
    LocalhostAlias,
    /// Plain `http://` to a non-loopback address (0.0.0.0, which never leaves this machine).
    PlainHttp,
    /// `ftp://`.
    Ftp,
    /// `file:///etc/passwd`.
    File,
    /// The TCP listener posing as an https host.
    TlsPose,
    /// No `Location` header at all.
    NoLocation,
}

const HOPS: [Hop; 10] = [
    Hop::SameOrigin,
    Hop::Loop,
    Hop::TwoHop,
    Hop::ThereAndBack,
    Hop::LocalhostAlias,
    Hop::PlainHttp,
    Hop::Ftp,
    Hop::File,
    Hop::TlsPose,
    Hop::NoLocation,
];

/// What the answer becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// No mutation: the case must succeed.
    None,
    /// Another status code (1xx–5xx), with a body.
    Status { code: u16, body: BadBody },
    /// 200 with a bad body.
    Body(BadBody),
    /// 429 or 503 with this `Retry-After` value.
    RetryAfter { code: u16, value: String },
    /// A normal status answer with this `openai-poll-after-ms` value.
    PollAfter(String),
    /// `Content-Length` larger than the body, then the connection closes.
    LengthLonger,
    /// `Content-Length` smaller than the body (the rest is garbage on the connection).
    LengthShorter,
    /// A chunked body with a broken chunk size.
    BadChunked,
    /// The right body with a wrong `Content-Type` (HTML for JSON, JSON for the video).
    WrongContentType,
    /// A redirect (301, 302, 303, 307 or 308).
    Redirect { code: u16, hop: Hop },
    /// The request is read and never answered.
    Hold,
    /// The status line, then the headers one byte every 100 ms.
    SlowHeaders,
    /// The headers, then the body one byte every 20 ms.
    SlowBody,
    /// The connection is closed without an answer.
    Close,
    /// A `103 Early Hints` before the answer.
    Informational,
    /// Download only: the result URL is `https://127.0.0.1:PT` (no TLS there).
    TlsPoseResult,
}

impl Mutation {
    /// The category this mutation counts under in the tier's report.
    pub fn category(&self) -> &'static str {
        match self {
            Mutation::None => "none",
            Mutation::Status { .. } => "status code",
            Mutation::Body(_) => "body",
            Mutation::RetryAfter { .. } | Mutation::PollAfter(_) => "hint header",
            Mutation::LengthLonger | Mutation::LengthShorter | Mutation::BadChunked | Mutation::WrongContentType => {
                "framing header"
            }
            Mutation::Redirect { .. } => "redirect",
            Mutation::Hold | Mutation::SlowHeaders | Mutation::SlowBody | Mutation::Close | Mutation::Informational => {
                "timing"
            }
            Mutation::TlsPoseResult => "tls pose",
        }
    }
}

/// One seeded case.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub api: Api,
    pub target: Target,
    pub mutation: Mutation,
    /// Only the first matching request is mutated (else every one).
    pub once: bool,
    /// Oxen/VideoDB results live on the API origin (else on the foreign origin B).
    pub result_on_api_origin: bool,
}

const STATUS_CODES: [u16; 22] =
    [100, 199, 204, 206, 300, 304, 305, 400, 401, 403, 404, 405, 409, 410, 418, 422, 429, 500, 502, 503, 504, 599];

impl Case {
    /// The case a seed stands for (the same on every machine).
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let api = Api::ALL[(seed % Api::ALL.len() as u64) as usize];
        let target = [Target::Create, Target::Status, Target::Download][((seed / Api::ALL.len() as u64) % 3) as usize];
        let body = |rng: &mut StdRng| BAD_BODIES[rng.random_range(0..BAD_BODIES.len())];
        let mutation = match rng.random_range(0..100) {
            0..2 => Mutation::None,
            2..20 => {
                Mutation::Status { code: STATUS_CODES[rng.random_range(0..STATUS_CODES.len())], body: body(&mut rng) }
            }
            20..34 => Mutation::Body(body(&mut rng)),
            34..44 => {
                let value = [
                    "garbage",
                    "-5",
                    "0",
                    "86400",
                    "99999999999999999999",
                    "1.5",
                    "Wed, 21 Oct 2099 07:28:00 GMT",
                    "Mon, 01 Jan 2001 00:00:00 GMT",
                    "",
                ][rng.random_range(0..9)]
                .to_string();
                if rng.random_bool(0.5) || target != Target::Status {
                    Mutation::RetryAfter { code: if rng.random_bool(0.6) { 429 } else { 503 }, value }
                } else {
                    let hint = ["0", "-1", "1000000000000", "abc", "1"][rng.random_range(0..5)].to_string();
                    Mutation::PollAfter(hint)
                }
            }
            44..56 => {
                [Mutation::LengthLonger, Mutation::LengthShorter, Mutation::BadChunked, Mutation::WrongContentType]
                    [rng.random_range(0..4)]
                .clone()
            }
            56..78 => Mutation::Redirect {
                code: [301, 302, 303, 307, 308][rng.random_range(0..5)],
                hop: HOPS[rng.random_range(0..HOPS.len())],
            },
            78..95 => {
                [Mutation::Hold, Mutation::SlowHeaders, Mutation::SlowBody, Mutation::Close, Mutation::Informational]
                    [rng.random_range(0..5)]
                .clone()
            }
            _ => {
                if target == Target::Download {
                    Mutation::TlsPoseResult
                } else {
                    Mutation::Redirect { code: 307, hop: Hop::TlsPose }
                }
            }
        };
        Case { seed, api, target, mutation, once: rng.random_bool(0.5), result_on_api_origin: rng.random_bool(0.5) }
    }
}

/// What the server saw.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Create requests received.
    pub create_requests: u32,
    /// Creates the server processed (a job exists), whatever it answered after.
    pub jobs_created: u32,
    /// Status polls received.
    pub status_polls: u32,
    /// Download requests received (including those with `Range`).
    pub downloads: u32,
    /// `Range` requests that asked from a byte > 0.
    pub resumed_ranges: u32,
    /// Requests that carried the key where it must never go: "LISTENER HOST PATH".
    pub leaks: Vec<String>,
}

struct Shared {
    case: Case,
    api: SocketAddr,
    foreign: SocketAddr,
    tls: SocketAddr,
    record: Mutex<Record>,
    /// How many requests of the target kind have been seen (for `once`).
    hits: Mutex<u32>,
}

/// A running hostile server for one case.
pub struct Server {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

/// Which listener a connection came in on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Listener {
    Api,
    Foreign,
    Tls,
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Server {
    /// Starts the three listeners on loopback for `case`.
    ///
    /// # Panics
    /// When a loopback port cannot be bound.
    pub async fn start(case: Case) -> Server {
        let a = TcpListener::bind("127.0.0.1:0").await.expect("bind A");
        let b = TcpListener::bind("127.0.0.1:0").await.expect("bind B");
        let t = TcpListener::bind("127.0.0.1:0").await.expect("bind T");
        let shared = Arc::new(Shared {
            case,
            api: a.local_addr().expect("addr"),
            foreign: b.local_addr().expect("addr"),
            tls: t.local_addr().expect("addr"),
            record: Mutex::new(Record::default()),
            hits: Mutex::new(0),
        });
        let (stop, _) = watch::channel(false);
        for (listener, kind) in [(a, Listener::Api), (b, Listener::Foreign), (t, Listener::Tls)] {
            let shared = shared.clone();
            let mut stopped = stop.subscribe();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let shared = shared.clone();
                            let mut stopped = stopped.clone();
                            tokio::spawn(async move {
                                tokio::select! {
                                    _ = serve(shared, kind, stream) => {}
                                    _ = stopped.changed() => {}
                                }
                            });
                        }
                        _ = stopped.changed() => break,
                    }
                }
            });
        }
        Server { shared, stop }
    }

    /// The API origin's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.shared.api
    }

    /// The base URL for `api`'s clients.
    pub fn base_url(&self) -> String {
        self.shared.case.api.base_url(self.shared.api)
    }

    /// What the server has seen so far.
    pub fn record(&self) -> Record {
        self.shared.record.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops every listener and connection (held ones included).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads one request head (and drains its body); `None` at EOF or on garbage.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let request = Request { method, path, headers };
    // Drain the body: Content-Length, or chunked.
    if let Some(len) = request.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while buf.len() < len {
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..len);
    } else if request.header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            if let Some(i) = buf.windows(5).position(|w| w == b"0\r\n\r\n") {
                buf.drain(..i + 5);
                break;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    Some(request)
}

/// What a request is, for the provider the case speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Create,
    Status,
    History,
    Download,
    Other,
}

fn kind_of(api: Api, r: &Request) -> Kind {
    let path = r.path.split('?').next().unwrap_or("");
    let post = r.method == "POST";
    match api {
        Api::Oxen if post && path == "/api/ai/queue" => Kind::Create,
        Api::Oxen if path.starts_with("/api/ai/queue/") => Kind::Status,
        Api::Oxen if path.starts_with("/api/ai/generations/") => Kind::History,
        Api::VideoDb if post && path.contains("/generate/video") => Kind::Create,
        Api::VideoDb if path.starts_with("/async-response/") => Kind::Status,
        Api::OpenAi | Api::AiHubMix if post && path == "/v1/videos" => Kind::Create,
        Api::OpenAi | Api::AiHubMix if path.ends_with("/content") => Kind::Download,
        Api::OpenAi | Api::AiHubMix if path.starts_with("/v1/videos/") => Kind::Status,
        Api::Replicate if post && path.ends_with("/predictions") => Kind::Create,
        Api::Replicate if !post && path.starts_with("/v1/predictions/") => Kind::Status,
        _ if path.starts_with("/results/") => Kind::Download,
        _ => Kind::Other,
    }
}

async fn serve(shared: Arc<Shared>, listener: Listener, mut stream: TcpStream) {
    let case = shared.case.clone();
    if listener == Listener::Tls {
        // Posing as an https host: garbage or silence, never TLS.
        if case.seed.is_multiple_of(2) {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\nthis is not TLS").await;
        } else {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        return;
    }
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await {
        let host = request.header("host").unwrap_or("").to_ascii_lowercase();
        let api_host = format!("127.0.0.1:{}", shared.api.port());
        let carries_key = request.headers.iter().any(|(_, v)| v.contains(KEY));
        let path_only = request.path.split('?').next().unwrap_or("").to_string();
        // The key may go to the API origin only, and never to a hop that left it and came back.
        let foreign = listener != Listener::Api || host != api_host || path_only.starts_with("/back/");
        if carries_key && foreign {
            shared
                .record
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .leaks
                .push(format!("{listener:?} {host} {}", request.path));
        }
        let keep_open = answer(&shared, listener, &request, &mut stream).await;
        if !keep_open {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Whatever",
    }
}

fn head(code: u16, headers: &[(&str, String)], length: Option<usize>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {code} {}\r\nconnection: close\r\n", reason(code));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(len) = length {
        out.push_str(&format!("content-length: {len}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

async fn send(stream: &mut TcpStream, code: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut out = head(code, headers, Some(body.len()));
    out.extend_from_slice(body);
    let _ = stream.write_all(&out).await;
}

fn json_headers() -> Vec<(&'static str, String)> {
    vec![("content-type", "application/json".into())]
}

/// The body a bad-body mutation sends.
fn bad_body(kind: BadBody) -> Vec<u8> {
    match kind {
        BadBody::Empty => Vec::new(),
        BadBody::Html => b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>".to_vec(),
        BadBody::InvalidUtf8 => vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}', 0x80],
        BadBody::WrongTypes => br#"{"id": 5, "status": [], "generations": "x", "success": "yes", "data": 7, "error": 3}"#.to_vec(),
        BadBody::MissingFields => b"{}".to_vec(),
        BadBody::NullFields => {
            br#"{"id": null, "status": null, "generations": null, "data": null, "error": null, "success": null}"#.to_vec()
        }
        BadBody::HugeValue => {
            let mut v = br#"{"error": {"message": ""#.to_vec();
            v.extend(std::iter::repeat_n(b'A', 2 << 20));
            v.extend_from_slice(br#""}, "progress": 1e308, "created_at": 99999999999999999999999}"#);
            v
        }
        BadBody::DeepNesting => {
            let mut v = Vec::new();
            v.extend(std::iter::repeat_n(b'[', 100_000));
            v.extend(std::iter::repeat_n(b']', 100_000));
            v
        }
        BadBody::Array => b"[1, 2, 3]".to_vec(),
        BadBody::TruncatedJson => br#"{"id": "abc", "status": "compl"#.to_vec(),
        BadBody::UnknownStatus => serde_json::to_vec(&serde_json::json!({
            "generation_id": JOB_ID, "model_name": "m", "media_type": "video", "status": "thinking \u{1b}[1m",
            "enqueued_at": 1, "id": JOB_ID, "object": "video", "success": true, "data": {}
        }))
        .unwrap_or_default(),
        BadBody::ControlChars => {
            "{\"error\": {\"message\": \"boom \u{1b}[2J\u{1b}]0;pwned\u{7}\\njob: {\\\"forged\\\": true}\u{9b}31m\"}, \"message\": \"\u{1b}[31mred\", \"status\": \"\u{1b}[5mblink\"}"
                .as_bytes()
                .to_vec()
        }
    }
}

/// The normal answer body of `kind` for the case's API; `done` says whether the job finished.
fn normal_body(shared: &Shared, kind: Kind, done: bool) -> Vec<u8> {
    let case = &shared.case;
    let result_url = if case.result_on_api_origin {
        format!("http://127.0.0.1:{}/results/{JOB_ID}.mp4", shared.api.port())
    } else {
        format!("http://127.0.0.1:{}/results/{JOB_ID}.mp4", shared.foreign.port())
    };
    let result_url = if case.mutation == Mutation::TlsPoseResult {
        format!("https://127.0.0.1:{}/results/{JOB_ID}.mp4", shared.tls.port())
    } else {
        result_url
    };
    let v = match (case.api, kind) {
        (Api::Oxen, Kind::Create) => {
            serde_json::json!({"generations": [{"generation_id": JOB_ID, "status": "queued"}]})
        }
        (Api::Oxen, _) => {
            let row = serde_json::json!({
                "generation_id": JOB_ID, "model_name": case.api.model(), "media_type": "video",
                "status": if done { "succeeded" } else { "processing" }, "enqueued_at": 1_763_700_000,
                "result_url": if done { serde_json::Value::String(result_url) } else { serde_json::Value::Null },
            });
            if kind == Kind::History {
                serde_json::json!({"status": "success", "status_message": "resource_found", "generation": row})
            } else {
                row
            }
        }
        (Api::VideoDb, Kind::Create) => serde_json::json!({
            "success": true, "status": "processing", "request_type": "sync",
            "data": {"id": JOB_ID, "output_url": format!("http://127.0.0.1:{}/async-response/{JOB_ID}", shared.api.port())}
        }),
        (Api::VideoDb, _) => {
            if done {
                serde_json::json!({"success": true, "status": "done", "data": {"id": "m-1", "stream_url": result_url}})
            } else {
                serde_json::json!({"success": true, "status": "processing", "data": {}})
            }
        }
        (Api::OpenAi | Api::AiHubMix, Kind::Create) => serde_json::json!({
            "id": JOB_ID, "object": "video", "status": "queued", "model": "sora-2", "progress": 0,
            "created_at": 1_763_700_000, "seconds": "4", "size": "720x1280"
        }),
        (Api::OpenAi | Api::AiHubMix, _) => serde_json::json!({
            "id": JOB_ID, "object": "video", "status": if done { "completed" } else { "in_progress" },
            "model": "sora-2", "progress": if done { 100 } else { 40 }, "created_at": 1_763_700_000,
            "seconds": "4", "size": "720x1280"
        }),
        (Api::Replicate, kind) => {
            let get = format!("http://127.0.0.1:{}/v1/predictions/{JOB_ID}", shared.api.port());
            let done = done && kind != Kind::Create;
            serde_json::json!({
                "id": JOB_ID, "model": case.api.model(), "version": "hidden", "input": {"prompt": "x"},
                "output": if done { serde_json::Value::String(result_url) } else { serde_json::Value::Null },
                "error": null, "status": if done { "succeeded" } else { "starting" }, "data_removed": false,
                "created_at": "2026-12-06T10:00:00Z",
                "urls": {"get": get, "cancel": format!("{get}/cancel"), "web": "https://replicate.com/p/x"}
            })
        }
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The `Location` of a redirect hop from `path` on the API origin.
fn location(shared: &Shared, hop: Hop, path: &str) -> Option<String> {
    let a = shared.api.port();
    let b = shared.foreign.port();
    Some(match hop {
        Hop::SameOrigin => format!("/moved{path}"),
        Hop::Loop => path.to_string(),
        Hop::TwoHop => format!("http://127.0.0.1:{b}/hop1{path}"),
        Hop::ThereAndBack => format!("http://127.0.0.1:{b}/there{path}"),
        Hop::LocalhostAlias => format!("http://localhost:{a}/alias{path}"),
        Hop::PlainHttp => format!("http://0.0.0.0:{b}/plain{path}"),
        Hop::Ftp => format!("ftp://127.0.0.1:{b}{path}"),
        Hop::File => "file:///etc/passwd".to_string(),
        Hop::TlsPose => format!("https://127.0.0.1:{}{path}", shared.tls.port()),
        Hop::NoLocation => return None,
    })
}

/// Answers one request; returns whether the connection stays open (a held one).
async fn answer(shared: &Shared, listener: Listener, request: &Request, stream: &mut TcpStream) -> bool {
    let case = &shared.case;
    let mut path = request.path.clone();
    // Redirect hops on the way back to a normal answer.
    for prefix in ["/moved", "/alias", "/back"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && rest.starts_with('/')
        {
            path = rest.to_string();
        }
    }
    if listener == Listener::Foreign {
        if let Some(rest) = path.strip_prefix("/hop1") {
            let to = format!("/hop2{rest}");
            send(stream, 302, &[("location", to)], b"").await;
            return false;
        }
        if let Some(rest) = path.strip_prefix("/there") {
            let to = format!("http://127.0.0.1:{}/back{rest}", shared.api.port());
            send(stream, 302, &[("location", to)], b"").await;
            return false;
        }
        for prefix in ["/hop2", "/plain"] {
            if let Some(rest) = path.strip_prefix(prefix) {
                path = rest.to_string();
            }
        }
    }
    let routed = Request { method: request.method.clone(), path, headers: request.headers.clone() };
    let kind = kind_of(case.api, &routed);
    let mutate = {
        let target_kind = match case.target {
            Target::Create => Kind::Create,
            Target::Status => Kind::Status,
            Target::Download => Kind::Download,
        };
        // Only the first leg of a redirect is the target; the hops after it answer normally.
        let first_leg = !["/moved", "/alias", "/back", "/hop", "/there", "/plain"]
            .iter()
            .any(|prefix| request.path.starts_with(prefix));
        if kind == target_kind && first_leg {
            let mut hits = shared.hits.lock().unwrap_or_else(|p| p.into_inner());
            *hits += 1;
            !case.once || *hits == 1
        } else {
            false
        }
    };
    let creates_job = |shared: &Shared| {
        shared.record.lock().unwrap_or_else(|p| p.into_inner()).jobs_created += 1;
    };
    // Book-keeping of what arrived.
    let done = {
        let mut record = shared.record.lock().unwrap_or_else(|p| p.into_inner());
        match kind {
            Kind::Create => record.create_requests += 1,
            Kind::Status => record.status_polls += 1,
            Kind::Download => {
                record.downloads += 1;
                if request.header("range").is_some_and(|r| !r.starts_with("bytes=0-")) {
                    record.resumed_ranges += 1;
                }
            }
            _ => {}
        }
        record.status_polls >= 2 || kind == Kind::History
    };
    let mutation = if mutate { case.mutation.clone() } else { Mutation::None };
    // Which mutations leave the create processed (the job exists) although the answer is bad.
    if kind == Kind::Create {
        let refused = match &mutation {
            Mutation::Status { code, .. } => (300..500).contains(code),
            Mutation::RetryAfter { code, .. } => *code == 429,
            Mutation::Redirect { .. } | Mutation::Close => true,
            _ => false,
        };
        if !refused {
            creates_job(shared);
        }
    }
    let body = match kind {
        Kind::Download => CONTENT.clone(),
        Kind::Other => br#"{"error": {"message": "no such route"}}"#.to_vec(),
        _ => normal_body(shared, kind, done),
    };
    let content_type = if kind == Kind::Download { "video/mp4" } else { "application/json" };
    if kind == Kind::Other {
        send(stream, 404, &json_headers(), &body).await;
        return false;
    }
    match mutation {
        Mutation::None | Mutation::TlsPoseResult => {
            normal(stream, case.api, kind, request, &body, content_type, &[]).await;
            false
        }
        Mutation::Status { code, body } => {
            if (100..200).contains(&code) {
                // An informational status as the final answer: the head, then silence.
                let _ = stream.write_all(format!("HTTP/1.1 {code} Whatever\r\n\r\n").as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return false;
            }
            send(stream, code, &json_headers(), &bad_body(body)).await;
            false
        }
        Mutation::Body(bad) => {
            send(stream, 200, &[("content-type", content_type.to_string())], &bad_body(bad)).await;
            false
        }
        Mutation::RetryAfter { code, value } => {
            send(
                stream,
                code,
                &[("content-type", "application/json".into()), ("retry-after", value)],
                br#"{"error": {"message": "slow down"}}"#,
            )
            .await;
            false
        }
        Mutation::PollAfter(value) => {
            normal(stream, case.api, kind, request, &body, content_type, &[("openai-poll-after-ms", value)]).await;
            false
        }
        Mutation::LengthLonger => {
            let mut out = head(200, &[("content-type", content_type.into())], Some(body.len() * 2 + 10));
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
            false
        }
        Mutation::LengthShorter => {
            let mut out = head(200, &[("content-type", content_type.into())], Some(body.len() / 2));
            out.extend_from_slice(&body);
            out.extend_from_slice(b"garbage after the body");
            let _ = stream.write_all(&out).await;
            false
        }
        Mutation::BadChunked => {
            let mut out =
                head(200, &[("content-type", content_type.into()), ("transfer-encoding", "chunked".into())], None);
            out.extend_from_slice(b"10\r\n0123456789abcdef\r\nzz\r\nnot a chunk\r\n");
            let _ = stream.write_all(&out).await;
            false
        }
        Mutation::WrongContentType => {
            let wrong = if kind == Kind::Download { "application/json" } else { "text/html" };
            send(stream, 200, &[("content-type", wrong.into())], &body).await;
            false
        }
        Mutation::Redirect { code, hop } => {
            let headers: Vec<(&str, String)> =
                location(shared, hop, &request.path).map(|l| vec![("location", l)]).unwrap_or_default();
            send(stream, code, &headers, b"").await;
            false
        }
        Mutation::Hold => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
        Mutation::SlowHeaders => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n").await;
            for b in b"content-type: application/json\r\nx-slow: 1111111111111111111111111111111111111111\r\n" {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if stream.write_all(&[*b]).await.is_err() {
                    return false;
                }
            }
            false
        }
        Mutation::SlowBody => {
            let _ = stream.write_all(&head(200, &[("content-type", content_type.into())], Some(body.len()))).await;
            for b in &body {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if stream.write_all(&[*b]).await.is_err() {
                    return false;
                }
            }
            false
        }
        Mutation::Close => false,
        Mutation::Informational => {
            let _ = stream.write_all(b"HTTP/1.1 103 Early Hints\r\nlink: </x>; rel=preload\r\n\r\n").await;
            normal(stream, case.api, kind, request, &body, content_type, &[]).await;
            false
        }
    }
}

/// The normal answer: JSON, or the result with `Range` support.
async fn normal(
    stream: &mut TcpStream,
    api: Api,
    kind: Kind,
    request: &Request,
    body: &[u8],
    content_type: &str,
    extra: &[(&str, String)],
) {
    let mut headers: Vec<(&str, String)> = vec![("content-type", content_type.to_string())];
    headers.extend(extra.iter().cloned());
    if kind == Kind::Download
        && let Some(from) = request
            .header("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.parse::<usize>().ok())
    {
        if from >= body.len() {
            headers.push(("content-range", format!("bytes */{}", body.len())));
            send(stream, 416, &headers, b"").await;
            return;
        }
        headers.push(("content-range", format!("bytes {from}-{}/{}", body.len() - 1, body.len())));
        send(stream, 206, &headers, &body[from..]).await;
        return;
    }
    // Replicate answers a create 201 (spec `models.predictions.create`); the others 200.
    let code = if api == Api::Replicate && kind == Kind::Create { 201 } else { 200 };
    send(stream, code, &headers, body).await;
}

/// Whether `text` holds a character that must not reach a terminal raw (controls other than
/// newline, DEL, C1).
pub fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}'))
}
