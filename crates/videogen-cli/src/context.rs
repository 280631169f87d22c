//! The client a command uses: the real APIs where keys are set, the built-in simulator for the
//! rest (or for all with `--sim`), and which providers are simulated.

use crate::exit::CliError;
use crate::output;
use std::path::PathBuf;
use std::time::Duration;
use videogen::{Client, Provider};

/// The options every command takes.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    /// `--json`: print JSON on standard output.
    pub json: bool,
    /// `--sim`: use the built-in simulator for every provider.
    pub sim: bool,
    /// `--allow-retired`: send requests for models the catalogue marks retired.
    pub allow_retired: bool,
}

/// The client to use, the simulator behind it when there is one, and which providers it
/// simulates.
pub struct Context {
    pub client: Client,
    simulated: Vec<Provider>,
    _sim: Option<videogen_sim::Sim>,
}

impl Context {
    /// Whether `provider` is answered by the built-in simulator (so its polls can be quick).
    pub fn simulated(&self, provider: Provider) -> bool {
        self.simulated.contains(&provider)
    }
}

/// Whether the environment variable `name` is set to something other than blanks.
fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// Whether `provider` is configured: its API key is set; for the OpenAI-compatible gateway, its
/// base URL (the key is optional: a gateway without one is used keyless). `OPENAI_API_KEY`
/// alone, exported for OpenAI's other APIs, configures nothing: OpenAI's own Videos API was shut
/// down on 2026-09-24.
pub fn configured(provider: Provider) -> bool {
    let base = set(provider.base_url_env());
    (!provider.base_url_required() || base) && (set(provider.api_key_env()) || (provider.keyless_allowed() && base))
}

/// Whether anything of `provider`'s is set (its key or its base URL; for the gateway its base
/// URL, since `OPENAI_API_KEY` alone is OpenAI's other APIs'): a user who set one is not running
/// the first-run demo, so no provider may fall back to the simulator.
fn touched(provider: Provider) -> bool {
    set(provider.base_url_env()) || (!provider.base_url_required() && set(provider.api_key_env()))
}

/// The provider to use when none is given: the first configured, else Oxen (on the simulator,
/// when nothing at all is configured).
pub fn default_provider() -> Provider {
    Provider::ALL.into_iter().find(|p| configured(*p)).unwrap_or(Provider::Oxen)
}

/// The model used when none is given ([`videogen::models::default_model`]).
///
/// # Errors
/// For an OpenAI-compatible gateway, which has no default: its models are its operator's.
pub fn default_model(provider: Provider) -> Result<&'static str, String> {
    videogen::models::default_model(provider).ok_or_else(|| {
        "field model: an OpenAI-compatible gateway serves the models its operator configured; give one with --model"
            .into()
    })
}

/// Why `provider` cannot be used with a real API when another provider is configured: the
/// variable to set. Answering it from the simulator instead would present a simulated video (and
/// a made-up cost) as a real one.
fn not_configured(provider: Provider) -> CliError {
    let message = if provider.base_url_required() && set(provider.api_key_env()) {
        "the openai provider is an OpenAI-compatible gateway (OpenAI shut down its own Videos API on 2026-09-24): \
         set OPENAI_BASE_URL to your gateway, or use --sim"
            .to_string()
    } else if provider.base_url_required() {
        "the openai provider is an OpenAI-compatible gateway: set OPENAI_BASE_URL (and OPENAI_API_KEY unless it is keyless), or use --sim"
            .to_string()
    } else {
        format!("{provider} is not configured: set {} (or use --sim for the simulator)", provider.api_key_env())
    };
    CliError::new(crate::exit::ExitCode::Config, message)
}

/// Where the built-in simulator keeps its jobs between runs: `$VIDEOGEN_SIM_STATE` when set,
/// else `videogen/sim-state.json` in the user's cache folder (`~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows); `None` (memory only) when there is
/// no cache folder.
pub fn sim_state_file() -> Option<PathBuf> {
    match std::env::var_os("VIDEOGEN_SIM_STATE") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => dirs::cache_dir().map(|d| d.join("videogen").join("sim-state.json")),
    }
}

/// A client for `providers` (see [`context_within`]).
pub async fn context(providers: &[Provider], global: Global) -> Result<Context, CliError> {
    context_within(providers, global, None).await
}

/// A client for `providers`: the real APIs where configured; the in-process simulator for all of
/// them with `--sim`, or when no provider at all is configured (the first-run demo), saying so in
/// one line on standard error. Once any provider is configured, a requested provider that is not
/// is an error (exit 3) naming the variable to set: never a silent simulator. So is the
/// OpenAI-compatible gateway with `OPENAI_API_KEY` but no `OPENAI_BASE_URL`. With `limit` (a
/// command's `--timeout`), every API request and every `Retry-After` sleep is cut to it, so no
/// single step outlives the command's deadline.
pub async fn context_within(
    providers: &[Provider],
    global: Global,
    limit: Option<Duration>,
) -> Result<Context, CliError> {
    context_with(providers, global, &ClientOptions { limit, ..ClientOptions::default() }).await
}

/// How a command's client is bounded ([`context_with`]).
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// The command's `--timeout`: every API request and every `Retry-After` sleep is cut to it.
    pub limit: Option<Duration>,
    /// Each request's own cut (`None`: the library's [`videogen::DEFAULT_REQUEST_TIMEOUT`]).
    pub request_timeout: Option<Duration>,
    /// A create's 429 is sent again up to [`crate::batch::runner::MAX_RATE_LIMITED_ROUNDS`]
    /// times ([`videogen::RetryPolicy::max_create_retries`]), the caller pacing the rounds
    /// through a [`videogen::RateLimitPause`] (the batch's pause per provider, shared by its
    /// workers).
    pub pace_creates: bool,
}

/// [`context_within`] with all of [`ClientOptions`].
pub async fn context_with(
    providers: &[Provider],
    global: Global,
    options: &ClientOptions,
) -> Result<Context, CliError> {
    let ClientOptions { limit, request_timeout, pace_creates } = options.clone();
    // The simulator answers only with --sim, or when nothing at all is configured (the first-run
    // demo). Once any provider is configured, one that is not is an error naming its variable:
    // a simulated video and a made-up cost must never pass for real ones. OPENAI_API_KEY without
    // a gateway is refused too (OpenAI's own Videos API is shut down).
    let demo = !Provider::ALL.into_iter().any(touched);
    if !global.sim
        && let Some(p) =
            providers.iter().find(|p| !configured(**p) && (!demo || (p.base_url_required() && set(p.api_key_env()))))
    {
        return Err(not_configured(*p));
    }
    let simulated: Vec<Provider> = providers.iter().copied().filter(|p| global.sim || !configured(*p)).collect();
    let mut builder = Client::builder().allow_retired_models(global.allow_retired);
    let mut sim = None;
    if !simulated.is_empty() {
        let config = videogen_sim::SimConfig {
            queued_for: Duration::from_millis(300),
            processing_for: Duration::from_millis(2000),
            // Jobs outlive this process: `submit` now, `wait`/`download` in a later one.
            state_file: sim_state_file(),
            // A clip of each job's requested length and aspect ratio, a colour of its own.
            result_videos: videogen_sim::ResultVideos::AsRequested,
            ..Default::default()
        };
        let s = videogen_sim::Sim::start(config).await.map_err(|e| CliError::failed(e.to_string()))?;
        for p in &simulated {
            let simulated: videogen_sim::Provider =
                p.as_str().parse().map_err(|e: String| CliError::failed(format!("the simulator: {e}")))?;
            let base = s.base_url_for(simulated);
            builder = builder.api_key(*p, "videogen-sim").base_url(*p, base);
        }
        let names: Vec<&str> = simulated.iter().map(|p| p.as_str()).collect();
        let why = if global.sim { "--sim".to_string() } else { "no provider is configured".to_string() };
        output::err(&format!(
            "note: {why}: using the built-in simulator for {} (nothing is generated or billed)",
            names.join(", ")
        ));
        sim = Some(s);
    }
    for p in providers.iter().filter(|p| !simulated.contains(p)) {
        let key = std::env::var(p.api_key_env()).unwrap_or_default();
        builder = if key.trim().is_empty() {
            // Only the gateway is configured without a key (see `configured`).
            builder.without_key(*p)
        } else {
            builder.api_key(*p, key.trim().to_string())
        };
        if let Ok(url) = std::env::var(p.base_url_env())
            && !url.trim().is_empty()
        {
            builder = builder.base_url(*p, url.trim());
        }
    }
    let request_timeout = request_timeout.unwrap_or(videogen::DEFAULT_REQUEST_TIMEOUT);
    let max_retry_after = limit.map_or(videogen::MAX_RETRY_AFTER, |l| l.min(videogen::MAX_RETRY_AFTER));
    builder = builder.request_timeout(limit.map_or(request_timeout, |l| l.min(request_timeout))).retry(
        videogen::RetryPolicy {
            max_retry_after,
            max_create_retries: pace_creates.then_some(crate::batch::runner::MAX_RATE_LIMITED_ROUNDS),
            ..videogen::RetryPolicy::default()
        },
    );
    Ok(Context { client: builder.build()?, simulated, _sim: sim })
}
