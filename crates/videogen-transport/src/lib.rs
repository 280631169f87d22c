//! What the generated videogen provider clients share: the HTTP client and API-key auth.
//!
//! Each provider crate (`videogen-oxen`, `videogen-videodb`, `videogen-openai`) wraps a client that
//! progenitor generated from the provider's spec. Those clients call a hook before every request;
//! the hook calls [`ApiAuth::prepare`], which
//!
//! - adds the API key header (marked sensitive, so it never shows in `Debug`) **only** when the
//!   request goes to the API's own origin (scheme, host and port of the base URL), and
//! - removes the `api-version` header progenitor adds to every request (no provider defines it).
//!
//! [`http_client`] builds the `reqwest::Client` they use: rustls (aws-lc-rs provider), a connect
//! timeout, and no total timeout (a synchronous Oxen generation can take 15 minutes and a video
//! download as long as the file needs).
//!
//! ```
//! use secrecy::SecretString;
//! use videogen_transport::{ApiAuth, http_client};
//!
//! let auth = ApiAuth::bearer("https://hub.oxen.ai", SecretString::from("sk-test"))?;
//! let http = http_client(&auth)?;
//! assert!(!format!("{auth:?}").contains("sk-test"));
//! # let _ = http;
//! # Ok::<(), videogen_transport::BuildError>(())
//! ```

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};

#[cfg(feature = "test-support")]
pub mod capture;
#[cfg(feature = "test-support")]
pub mod examples;

/// How long a TCP + TLS connect may take before the request fails (seconds: 30).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Name of the header progenitor adds to every generated request; removed before sending.
pub const PROGENITOR_API_VERSION_HEADER: &str = "api-version";

/// Errors while building a provider client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL does not parse, or is not `http`/`https` with a host.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    /// The API key is empty or holds characters that cannot go in an HTTP header. The key itself
    /// is never part of the message.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
    /// reqwest could not build its client (for example, no TLS roots).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The origin (scheme, host, port) a base URL points at.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(url: &reqwest::Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default(),
        })
    }
}

/// An API key bound to the origin of one provider's base URL.
///
/// `Debug` shows the header name and the origin, never the key.
#[derive(Clone)]
pub struct ApiAuth {
    header: HeaderName,
    /// `None` for a keyless gateway ([`ApiAuth::keyless`]): no key header is sent.
    value: Option<HeaderValue>,
    origin: Origin,
    base_url: String,
}

impl std::fmt::Debug for ApiAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiAuth")
            .field("header", &self.header)
            .field("value", &"[redacted]")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl ApiAuth {
    /// `Authorization: Bearer <key>` (Oxen.ai, OpenAI, AIHubMix).
    ///
    /// # Errors
    /// [`BuildError::InvalidBaseUrl`] for a base URL that is not `http(s)://host…`;
    /// [`BuildError::InvalidApiKey`] for an empty key or one with characters not allowed in a header.
    pub fn bearer(base_url: &str, api_key: SecretString) -> Result<Self, BuildError> {
        let key = api_key.expose_secret();
        if key.trim().is_empty() {
            return Err(BuildError::InvalidApiKey("the key is empty"));
        }
        Self::new(base_url, AUTHORIZATION, &format!("Bearer {key}"))
    }

    /// No key at all: an OpenAI-compatible gateway run without authentication (a LiteLLM proxy
    /// on a private network). Requests carry no `Authorization` header.
    ///
    /// # Errors
    /// [`BuildError::InvalidBaseUrl`] as [`ApiAuth::bearer`].
    pub fn keyless(base_url: &str) -> Result<Self, BuildError> {
        let mut auth = Self::new(base_url, AUTHORIZATION, "")?;
        auth.value = None;
        Ok(auth)
    }

    /// `<name>: <key>`, for example VideoDB's `x-access-token`.
    ///
    /// # Errors
    /// As [`ApiAuth::bearer`].
    pub fn header(base_url: &str, name: &'static str, api_key: SecretString) -> Result<Self, BuildError> {
        let key = api_key.expose_secret();
        if key.trim().is_empty() {
            return Err(BuildError::InvalidApiKey("the key is empty"));
        }
        Self::new(base_url, HeaderName::from_static(name), key)
    }

    fn new(base_url: &str, header: HeaderName, value: &str) -> Result<Self, BuildError> {
        let invalid = |reason: &str| BuildError::InvalidBaseUrl { url: base_url.to_string(), reason: reason.into() };
        let url = reqwest::Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        let origin = Origin::of(&url).ok_or_else(|| invalid("the URL has no host"))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| BuildError::InvalidApiKey("the key holds characters not allowed in an HTTP header"))?;
        value.set_sensitive(true);
        Ok(Self { header, value: Some(value), origin, base_url: base_url.trim_end_matches('/').to_string() })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether `url` is on the API's own origin (the only place the key is sent).
    pub fn is_api_origin(&self, url: &reqwest::Url) -> bool {
        Origin::of(url).as_ref() == Some(&self.origin)
    }

    /// Whether the key travels in `Authorization`, which reqwest itself strips on a redirect to
    /// another origin. A custom header (VideoDB's `x-access-token`) is not stripped by reqwest.
    pub fn uses_authorization_header(&self) -> bool {
        self.header == AUTHORIZATION
    }

    /// Readies a request built by generated code: removes progenitor's `api-version` header and
    /// adds the key header when, and only when, the request goes to the API's origin.
    pub fn prepare(&self, request: &mut reqwest::Request) {
        request.headers_mut().remove(PROGENITOR_API_VERSION_HEADER);
        if self.is_api_origin(request.url())
            && let Some(value) = &self.value
        {
            request.headers_mut().insert(self.header.clone(), value.clone());
        } else {
            request.headers_mut().remove(&self.header);
        }
    }
}

/// The most redirects an API `GET` follows, and only within the API's own origin.
pub const MAX_API_REDIRECTS: usize = 5;

/// The most bytes of an error answer (non-2xx) kept for the caller: 1 MiB. Longer bodies are cut.
pub const MAX_ERROR_BODY_BYTES: usize = 1 << 20;

/// The header a create carries when it runs inside [`with_idempotency_key`].
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

tokio::task_local! {
    static IDEMPOTENCY_KEY: HeaderValue;
}

/// Runs `f` so that every `POST` a provider client sends inside it carries
/// `Idempotency-Key: <key>` (the same key on every try of one logical create).
///
/// A key that is not a valid header value is not sent.
pub async fn with_idempotency_key<F: std::future::Future>(key: &str, f: F) -> F::Output {
    match HeaderValue::from_str(key) {
        Ok(value) => IDEMPOTENCY_KEY.scope(value, f).await,
        Err(_) => f.await,
    }
}

/// The body of an error answer, read once by [`ClientState::execute`] (at most
/// [`MAX_ERROR_BODY_BYTES`]) and kept in the response's extensions.
#[derive(Clone, Debug)]
pub struct BufferedBody(pub bytes::Bytes);

/// What a generated client's hooks need (its progenitor "inner type"): the API key bound to the
/// API's origin, an optional per-request timeout, the operations exempt from it, and whether
/// error answers are handed back raw.
#[derive(Clone, Debug)]
pub struct ClientState {
    auth: ApiAuth,
    request_timeout: Option<Duration>,
    long_operations: &'static [&'static str],
    raw_error_responses: bool,
}

impl ClientState {
    /// State for a client whose `long_operations` (operationIds) may rightly run long and never
    /// get the request timeout.
    pub fn new(auth: ApiAuth, long_operations: &'static [&'static str]) -> Self {
        Self { auth, request_timeout: None, long_operations, raw_error_responses: false }
    }

    /// The key and its origin.
    pub fn auth(&self) -> &ApiAuth {
        &self.auth
    }

    /// Sets the total timeout of each request (except the long operations).
    pub fn set_request_timeout(&mut self, timeout: Duration) {
        self.request_timeout = Some(timeout);
    }

    /// Hands every non-2xx answer back as `progenitor_client::Error::UnexpectedResponse` with its
    /// status, headers and (buffered) body, whether or not the body matches the spec's error
    /// schema, so the caller classifies it by status first (the facade does; an HTML page from a
    /// proxy is then still a 403, not an unreadable body).
    pub fn set_raw_error_responses(&mut self, raw: bool) {
        self.raw_error_responses = raw;
    }

    /// Whether [`Self::set_raw_error_responses`] is on.
    pub fn raw_error_responses(&self) -> bool {
        self.raw_error_responses
    }

    /// The `pre` hook body: [`ApiAuth::prepare`], the request timeout unless `operation_id` is a
    /// long operation, and `Idempotency-Key` on a `POST` inside [`with_idempotency_key`].
    pub fn prepare(&self, request: &mut reqwest::Request, operation_id: &str) {
        self.auth.prepare(request);
        if let Some(timeout) = self.request_timeout
            && !self.long_operations.contains(&operation_id)
        {
            *request.timeout_mut() = Some(timeout);
        }
        if request.method() == reqwest::Method::POST
            && let Ok(key) = IDEMPOTENCY_KEY.try_with(HeaderValue::clone)
        {
            request.headers_mut().insert(HeaderName::from_static(IDEMPOTENCY_KEY_HEADER), key);
        }
    }

    /// The `exec` hook body. The HTTP client follows no redirect by itself ([`http_client`]);
    /// here a `GET` follows at most [`MAX_API_REDIRECTS`] redirects whose target is on the API's
    /// own origin (the key stays there). Any other redirect — every redirect of a `POST`,
    /// `DELETE` or `PATCH`, and any that leaves the origin — is returned as the 3xx answer, so
    /// a create is never sent twice and the key never leaves its origin. With
    /// [`Self::set_raw_error_responses`], a non-2xx body is read (up to
    /// [`MAX_ERROR_BODY_BYTES`]) and kept as a [`BufferedBody`] extension.
    ///
    /// # Errors
    /// The transport error of the request, or of reading an error body.
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let mut hops = 0;
        loop {
            let again = if request.method() == reqwest::Method::GET { request.try_clone() } else { None };
            // One log line per request: method, path (never the query: result URLs carry
            // signatures), status or error, time, and the redirect hop it was. Nothing is kept
            // for it when debug logging is off (every request passes here).
            let logged = tracing::enabled!(tracing::Level::DEBUG)
                .then(|| (request.method().clone(), request.url().path().to_string(), Instant::now()));
            let response = match http.execute(request).await {
                Ok(response) => response,
                Err(e) => {
                    if let Some((method, path, started)) = &logged {
                        // The error's kind only: its text names the URL, query and all.
                        let kind = if e.is_timeout() {
                            "timeout"
                        } else if e.is_connect() {
                            "connect"
                        } else {
                            "transport"
                        };
                        let ms = started.elapsed().as_millis() as u64;
                        tracing::debug!(%method, path, error = kind, ms, hop = hops, "api request failed");
                    }
                    return Err(e);
                }
            };
            let status = response.status();
            if let Some((method, path, started)) = &logged {
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(%method, path, status = status.as_u16(), ms, hop = hops, "api request");
            }
            if status.is_redirection()
                && hops < MAX_API_REDIRECTS
                && let Some(mut next) = again
                && let Some(target) = redirect_target(response.url(), response.headers())
                && self.auth.is_api_origin(&target)
                && status != reqwest::StatusCode::NOT_MODIFIED
            {
                hops += 1;
                *next.url_mut() = target;
                self.auth.prepare(&mut next);
                request = next;
                continue;
            }
            if self.raw_error_responses && !status.is_success() {
                return buffer_error(response).await;
            }
            return Ok(response);
        }
    }

    /// The `post` hook body: with [`Self::set_raw_error_responses`], a non-2xx answer becomes
    /// `Error::UnexpectedResponse` (rebuilt from the [`BufferedBody`]), before the generated code
    /// tries to decode it.
    ///
    /// # Errors
    /// That `UnexpectedResponse` (the progenitor hook's own error type, hence its size).
    #[allow(clippy::result_large_err)]
    pub fn check<E>(&self, result: &reqwest::Result<reqwest::Response>) -> Result<(), progenitor_client::Error<E>> {
        if !self.raw_error_responses {
            return Ok(());
        }
        if let Ok(response) = result
            && !response.status().is_success()
            && let Some(BufferedBody(body)) = response.extensions().get::<BufferedBody>()
        {
            let rebuilt = buffered(response.status(), response.version(), response.headers().clone(), body.clone());
            return Err(progenitor_client::Error::UnexpectedResponse(rebuilt));
        }
        Ok(())
    }
}

/// Gives a generated provider `Client` everything the three provider crates share, once:
///
/// - progenitor's `ClientHooks<ClientState>`, delegating to [`ClientState`]: `pre` →
///   [`ClientState::prepare`] (the key, only to the API's origin; the request timeout), `post` →
///   [`ClientState::check`] (raw error answers), `exec` → [`ClientState::execute`] (same-origin
///   `GET` redirects only);
/// - `from_api_key` (the key in the header `auth` builds: [`ApiAuth::bearer`] or
///   [`ApiAuth::header`]), `with_http_client`, `with_request_timeout` (none for
///   `long_operations`) and `with_raw_error_responses`;
/// - `send_json` and `send_unread`: a hand-built request sent through the same hooks and
///   answered as the generated methods answer (200 decoded or handed back unread, 4xx/5xx as the
///   spec's `error` body, anything else unexpected), for requests the spec does not model.
///
/// Each provider crate calls it once (the orphan rule keeps the impls there); the generated
/// client must hold its `reqwest::Client` in a field named `client` and its state in `inner`,
/// and the crate must have the generated `Error` and `ResponseValue` in scope.
#[macro_export]
macro_rules! provider_client {
    ($client:ty, auth: $auth:expr, long_operations: $long:expr, error: $error:ty) => {
        impl progenitor_client::ClientHooks<$crate::ClientState> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                self.inner.prepare(request, info.operation_id);
                Ok(())
            }

            async fn post<E>(
                &self,
                result: &reqwest::Result<reqwest::Response>,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                self.inner.check(result)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner.execute(&self.client, request).await
            }
        }

        impl $client {
            /// A client for `base_url` (the provider's default base URL, or a local
            /// `videogen-sim`) with the provider's key header, over its own HTTP client
            /// ([`videogen_transport::http_client`]: rustls, 30 s connect timeout, no total
            /// timeout, no redirect following).
            ///
            /// # Errors
            /// [`BuildError`](videogen_transport::BuildError) for a base URL that is not
            /// `http(s)://host…` or an empty key.
            pub fn from_api_key(base_url: &str, api_key: secrecy::SecretString) -> Result<Self, $crate::BuildError> {
                let auth = ($auth)(base_url, api_key)?;
                let http = $crate::http_client(&auth)?;
                Ok(Self::with_http_client(http, auth))
            }

            /// A client over a caller-built `reqwest::Client` (share one pool between
            /// providers). Build it with [`videogen_transport::http_client`] unless you know its
            /// redirect policy keeps the key on the API's origin.
            pub fn with_http_client(http: reqwest::Client, auth: $crate::ApiAuth) -> Self {
                let base_url = auth.base_url().to_string();
                Self::new_with_client(&base_url, http, $crate::ClientState::new(auth, $long))
            }

            /// Gives every request a total timeout (none by default), except the crate's
            /// `LONG_OPERATIONS`. A request cut by it fails with a timeout error
            /// (`Error::CommunicationError`).
            pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.inner.set_request_timeout(timeout);
                self
            }

            /// Hands every non-2xx answer back as `Error::UnexpectedResponse` with its status,
            /// headers and body (at most 1 MiB), instead of decoding it as the spec's error
            /// type, so the caller can classify it by status even when the body is a proxy's
            /// HTML page ([`ClientState::set_raw_error_responses`](videogen_transport::ClientState::set_raw_error_responses)).
            pub fn with_raw_error_responses(mut self) -> Self {
                self.inner.set_raw_error_responses(true);
                self
            }

            /// Sends a hand-built `request` (for a body or an endpoint the spec does not model)
            /// through the generated methods' hooks (key, timeouts, redirects, raw errors) under
            /// `operation_id` (the name timeouts and fault rules know it by); a 200 comes back
            /// unread, for the caller to stream.
            ///
            /// # Errors
            /// 4xx/5xx as the spec's error body (or raw, see `with_raw_error_responses`), other
            /// statuses as `Error::UnexpectedResponse`, transport failures as the generated
            /// methods report them.
            pub async fn send_unread(
                &self,
                mut request: reqwest::Request,
                operation_id: &'static str,
            ) -> Result<reqwest::Response, Error<$error>> {
                use progenitor_client::ClientHooks;
                let info = progenitor_client::OperationInfo { operation_id };
                self.pre(&mut request, &info).await?;
                let result = self.exec(request, &info).await;
                self.post(&result, &info).await?;
                let response = result?;
                match response.status().as_u16() {
                    200 => Ok(response),
                    400..=599 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }

            /// [`Self::send_unread`], with the 200 answer decoded from JSON as `T`.
            ///
            /// # Errors
            /// As [`Self::send_unread`]; an answer that is not `T` is
            /// `Error::InvalidResponsePayload`.
            pub async fn send_json<T: serde::de::DeserializeOwned>(
                &self,
                request: reqwest::Request,
                operation_id: &'static str,
            ) -> Result<ResponseValue<T>, Error<$error>> {
                ResponseValue::from_response(self.send_unread(request, operation_id).await?).await
            }
        }
    };
}

/// The absolute URL a redirect answer points at (its `Location`, resolved against `base`).
pub fn redirect_target(base: &reqwest::Url, headers: &reqwest::header::HeaderMap) -> Option<reqwest::Url> {
    let location = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
    base.join(location.trim()).ok()
}

/// Reads an error answer's body (at most [`MAX_ERROR_BODY_BYTES`]) into a response that holds it.
async fn buffer_error(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ERROR_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    let headers = std::mem::take(response.headers_mut());
    Ok(buffered(response.status(), response.version(), headers, bytes::Bytes::from(body)))
}

/// A response holding `body`, which is also kept as its [`BufferedBody`] extension.
fn buffered(
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let mut rebuilt = http::Response::new(body.clone());
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().insert(BufferedBody(body));
    reqwest::Response::from(rebuilt)
}

/// The `User-Agent` every provider client sends: `videogen/<version>`.
pub const USER_AGENT: &str = concat!("videogen/", env!("CARGO_PKG_VERSION"));

/// Builds the HTTP client for one provider: rustls with the aws-lc-rs provider, [`CONNECT_TIMEOUT`], TCP
/// keep-alive, no total timeout, and **no redirect following**: the provider clients' `exec`
/// hook ([`ClientState::execute`]) follows same-origin redirects of `GET`s only, so a create is
/// never re-sent and the key never travels to another origin.
///
/// # Errors
/// [`BuildError::Http`] when reqwest cannot build the client.
pub fn http_client(_auth: &ApiAuth) -> Result<reqwest::Client, BuildError> {
    install_crypto_provider();
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_keepalive(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// rustls needs a process-wide crypto provider; install aws-lc-rs's (rustls's
/// recommended provider, with post-quantum key exchange) unless the program installed one.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

/// Why `url` may not be used, if it may not: anything but `https://`, or plain `http://` to a
/// loopback host. The rule for result URLs, their redirects and callback URLs.
pub fn insecure_scheme(url: &reqwest::Url) -> Option<String> {
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(url) => None,
        "http" => Some("refusing a plain http:// URL to a non-loopback host".into()),
        other => Some(format!("refusing a {other}: URL")),
    }
}

/// Whether `url`'s host is a loopback one (`localhost`, `127.0.0.0/8`, `::1`): the only hosts
/// plain `http://` is allowed to.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> reqwest::Request {
        let mut r = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
        r.headers_mut().insert(PROGENITOR_API_VERSION_HEADER, HeaderValue::from_static("1.0.0"));
        r
    }

    #[test]
    fn key_only_on_api_origin_and_api_version_removed() {
        let auth = ApiAuth::bearer("https://hub.oxen.ai/api", SecretString::from("sk-1")).unwrap();
        let mut same = request("https://hub.oxen.ai/api/ai/queue");
        auth.prepare(&mut same);
        assert_eq!(same.headers()[AUTHORIZATION], "Bearer sk-1");
        assert!(same.headers()[AUTHORIZATION].is_sensitive());
        assert!(same.headers().get(PROGENITOR_API_VERSION_HEADER).is_none());

        for other in ["https://cdn.oxen.ai/x.mp4", "http://hub.oxen.ai/x", "https://hub.oxen.ai:8443/x"] {
            let mut r = request(other);
            auth.prepare(&mut r);
            assert!(r.headers().get(AUTHORIZATION).is_none(), "{other}");
        }
    }

    #[test]
    fn a_keyless_gateway_sends_no_key_header() {
        let auth = ApiAuth::keyless("http://127.0.0.1:4000/v1").unwrap();
        let mut r = request("http://127.0.0.1:4000/v1/videos");
        r.headers_mut().insert(AUTHORIZATION, HeaderValue::from_static("Bearer leftover"));
        auth.prepare(&mut r);
        assert!(r.headers().get(AUTHORIZATION).is_none(), "a keyless gateway's requests carry no key");
        assert!(ApiAuth::keyless("not a url").is_err());
    }

    #[test]
    fn custom_header_and_debug_redaction() {
        let auth = ApiAuth::header("http://127.0.0.1:9", "x-access-token", SecretString::from("sk-secret")).unwrap();
        let mut r = request("http://127.0.0.1:9/video/m-1");
        auth.prepare(&mut r);
        assert_eq!(r.headers()["x-access-token"], "sk-secret");
        assert!(!format!("{auth:?}").contains("sk-secret"));
        assert!(!format!("{r:?}").contains("sk-secret"));
        assert!(!auth.uses_authorization_header());
    }

    #[test]
    fn bad_inputs_are_typed_errors_without_the_key() {
        assert!(matches!(
            ApiAuth::bearer("not a url", SecretString::from("k")),
            Err(BuildError::InvalidBaseUrl { .. })
        ));
        assert!(matches!(ApiAuth::bearer("ftp://x", SecretString::from("k")), Err(BuildError::InvalidBaseUrl { .. })));
        assert!(matches!(ApiAuth::bearer("https://x", SecretString::from(" ")), Err(BuildError::InvalidApiKey(_))));
        let err = ApiAuth::bearer("https://x", SecretString::from("bad\nkey")).unwrap_err();
        assert!(!err.to_string().contains("bad"), "{err}");
    }

    #[test]
    fn timeouts_skip_long_operations() {
        let auth = ApiAuth::bearer("https://hub.oxen.ai", SecretString::from("k")).unwrap();
        let mut state = ClientState::new(auth, &["generate_video"]);
        state.set_request_timeout(Duration::from_secs(5));
        let mut short = request("https://hub.oxen.ai/api/ai/queue");
        state.prepare(&mut short, "enqueue_generation");
        assert_eq!(short.timeout(), Some(&Duration::from_secs(5)));
        let mut long = request("https://hub.oxen.ai/api/ai/videos/generate");
        state.prepare(&mut long, "generate_video");
        assert_eq!(long.timeout(), None);
        assert!(long.headers().get(AUTHORIZATION).is_some());
    }

    #[test]
    fn http_client_builds() {
        let auth = ApiAuth::header("https://api.videodb.io", "x-access-token", SecretString::from("k")).unwrap();
        http_client(&auth).unwrap();
    }

    #[test]
    fn loopback_hosts() {
        for (u, want) in [
            ("http://127.0.0.1:1/x", true),
            ("http://localhost/x", true),
            ("http://[::1]/x", true),
            ("http://example.com/x", false),
            ("http://10.0.0.1/x", false),
        ] {
            assert_eq!(is_loopback(&reqwest::Url::parse(u).unwrap()), want, "{u}");
        }
    }
}
