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
//! [`http_client`] builds the `reqwest::Client` they use: rustls (ring provider), a connect
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
use std::time::Duration;

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
    value: HeaderValue,
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
        Ok(Self { header, value, origin, base_url: base_url.trim_end_matches('/').to_string() })
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
        if self.is_api_origin(request.url()) {
            request.headers_mut().insert(self.header.clone(), self.value.clone());
        } else {
            request.headers_mut().remove(&self.header);
        }
    }
}

/// What a generated client's hooks need (its progenitor "inner type"): the API key bound to the
/// API's origin, an optional per-request timeout, and the operations exempt from it.
#[derive(Clone, Debug)]
pub struct ClientState {
    auth: ApiAuth,
    request_timeout: Option<Duration>,
    long_operations: &'static [&'static str],
}

impl ClientState {
    /// State for a client whose `long_operations` (operationIds) may rightly run long and never
    /// get the request timeout.
    pub fn new(auth: ApiAuth, long_operations: &'static [&'static str]) -> Self {
        Self { auth, request_timeout: None, long_operations }
    }

    /// The key and its origin.
    pub fn auth(&self) -> &ApiAuth {
        &self.auth
    }

    /// Sets the total timeout of each request (except the long operations).
    pub fn set_request_timeout(&mut self, timeout: Duration) {
        self.request_timeout = Some(timeout);
    }

    /// The hook body: [`ApiAuth::prepare`], then the request timeout unless `operation_id` is a
    /// long operation.
    pub fn prepare(&self, request: &mut reqwest::Request, operation_id: &str) {
        self.auth.prepare(request);
        if let Some(timeout) = self.request_timeout
            && !self.long_operations.contains(&operation_id)
        {
            *request.timeout_mut() = Some(timeout);
        }
    }
}

/// The `User-Agent` every provider client sends: `videogen/<version>`.
pub const USER_AGENT: &str = concat!("videogen/", env!("CARGO_PKG_VERSION"));

/// Builds the HTTP client for one provider: rustls with the ring provider, [`CONNECT_TIMEOUT`], TCP
/// keep-alive, no total timeout, and a redirect policy that never carries the key to another
/// origin (reqwest strips `Authorization` itself on a cross-origin redirect; for a custom key header
/// cross-origin redirects are not followed and the 3xx response is returned).
///
/// # Errors
/// [`BuildError::Http`] when reqwest cannot build the client.
pub fn http_client(auth: &ApiAuth) -> Result<reqwest::Client, BuildError> {
    install_crypto_provider();
    let policy = if auth.uses_authorization_header() {
        reqwest::redirect::Policy::limited(10)
    } else {
        let origin = auth.origin.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                attempt.error("too many redirects")
            } else if Origin::of(attempt.url()).as_ref() == Some(&origin) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        })
    };
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_keepalive(Duration::from_secs(60))
        .redirect(policy)
        .build()?)
}

/// rustls needs a process-wide crypto provider; install ring's unless the program installed one.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
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
}
