//! The accept loop: one hyper connection per socket, each with a kill switch that a route can
//! pull to reset the connection (TCP RST, via `SO_LINGER` 0) instead of answering.

use crate::http::{Conn, Op, run};
use crate::store::{Phase, SimState};
use crate::{media, openai, oxen, replicate, videodb};
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .merge(oxen::routes())
        .merge(videodb::routes())
        .merge(openai::routes())
        .merge(replicate::routes())
        .route("/results/{file}", axum::routing::get(download))
        // Not a provider API: the counters, for benchmarks and tests running the binary.
        .route("/_sim/counters", axum::routing::get(counters))
        .with_state(state)
}

pub(crate) fn spawn(listener: TcpListener, state: Arc<SimState>) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let router = router(state);
    let (shutdown, mut stop) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, router.clone(), stop.clone()));
                }
            }
            while connections.try_join_next().is_some() {}
        }
        connections.abort_all();
    });
    (shutdown, task)
}

async fn serve_connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<bool>) {
    let fd = stream.as_raw_fd();
    let kill = Arc::new(Notify::new());
    let conn = Conn { kill: kill.clone() };
    let service = tower::Layer::layer(&axum::middleware::from_fn(accept_sdk_shapes), router);
    let service = tower::ServiceExt::map_request(service, move |request: Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(conn.clone());
        request
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection =
        builder.serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = kill.notified() => {
            // SAFETY: `connection` owns the socket behind `fd` and is dropped only after this
            // scope, so the descriptor is open while it is borrowed here.
            let socket = unsafe { BorrowedFd::borrow_raw(fd) };
            let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
        }
        _ = stop.changed() => {}
    }
}

/// The largest request body read: 64 MiB (reference images are at most tens of MiB).
const MAX_REQUEST_BODY: usize = 64 << 20;

/// Runs before routing, for every request:
///
/// - a trailing slash is ignored (`/video/` and `/video` are one route): the published specs
///   write some paths with one (VideoDB `/video/`, `/video/{id}/stream/`) and the official SDKs
///   send them without (videodb-python `ApiPath`), and the services take both;
/// - the whole body is read first, so an answer that comes before the handler reads it (a 404,
///   a 401, an injected fault) never leaves unread bytes on a keep-alive connection, which the
///   SDKs' connection pools reuse.
async fn accept_sdk_shapes(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let rebuilt = match parts.uri.query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = rebuilt.parse() {
            parts.uri = uri;
        }
    }
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut response = (StatusCode::PAYLOAD_TOO_LARGE, "simulator: request body over 64 MiB").into_response();
            response.headers_mut().insert(axum::http::header::CONNECTION, "close".parse().expect("static"));
            return response;
        }
    };
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(body))).await
}

/// `GET /_sim/counters`: [`crate::Counters`] as JSON.
async fn counters(State(state): State<Arc<SimState>>) -> Response {
    axum::Json(state.counters()).into_response()
}

/// `GET /results/{job_id}.mp4`: a presigned-style result URL (no API key), valid until the job's
/// `expires_at`; 403 after that, 404 for an unknown, unfinished or failed job.
/// `GET /results/{job_id}.webp` is the video's thumbnail (VideoDB's `thumbnail_url`), on the
/// same terms.
async fn download(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let thumbnail = file.ends_with(".webp");
    let id = file.strip_suffix(".mp4").or_else(|| file.strip_suffix(".webp")).unwrap_or(&file).to_string();
    let Some(job) = state.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such result").into_response();
    };
    let size = state.config.result_size;
    let ttl = state.config.result_ttl;
    let range = headers.clone();
    let video = media::job_video(&state, &job);
    run(state, job.provider, "download", Op::Download, &conn, &headers, |_, fault| async move {
        if job.phase() != Phase::Succeeded || job.deleted {
            (StatusCode::NOT_FOUND, "no such result").into_response()
        } else if job.expired(ttl) {
            (StatusCode::FORBIDDEN, "Request has expired").into_response()
        } else if thumbnail {
            media::serve_static(media::FIXTURE_THUMBNAIL_WEBP, "image/webp")
        } else {
            media::serve_mp4(&range, &video, size, fault.as_ref())
        }
    })
    .await
}
