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

/// Whether `provider`'s API key variable is set (non-blank).
pub fn key_set(provider: Provider) -> bool {
    std::env::var(provider.api_key_env()).is_ok_and(|k| !k.trim().is_empty())
}

/// The provider to use when none is given: the first with a key set, else Oxen (on the simulator).
pub fn default_provider() -> Provider {
    Provider::ALL.into_iter().find(|p| key_set(*p)).unwrap_or(Provider::Oxen)
}

/// The model used when none is given.
pub fn default_model(provider: Provider) -> &'static str {
    match provider {
        Provider::Oxen => "kling-video-v2-6-pro-text-to-video",
        Provider::VideoDb => "videodb",
        Provider::AiHubMix | Provider::OpenAi => "sora-2",
    }
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

/// A client for `providers`: the real APIs where keys are set, the in-process simulator for the
/// rest (or for all with `--sim`), saying so in one line on standard error. With `limit` (a
/// command's `--timeout`), every API request and every `Retry-After` sleep is cut to it, so no
/// single step outlives the command's deadline.
pub async fn context_within(
    providers: &[Provider],
    global: Global,
    limit: Option<Duration>,
) -> Result<Context, CliError> {
    context_with(providers, global, limit, None, false).await
}

/// [`context_within`], each request also cut at `request_timeout` (`None`: the library's
/// [`videogen::DEFAULT_REQUEST_TIMEOUT`]); with `pace_creates`, a create's 429 comes back at
/// once ([`videogen::RetryPolicy::max_create_retries`] 0) for the caller to pace (the batch's
/// pause per provider, shared by its workers).
pub async fn context_with(
    providers: &[Provider],
    global: Global,
    limit: Option<Duration>,
    request_timeout: Option<Duration>,
    pace_creates: bool,
) -> Result<Context, CliError> {
    let simulated: Vec<Provider> = providers.iter().copied().filter(|p| global.sim || !key_set(*p)).collect();
    let mut builder = Client::builder();
    let mut sim = None;
    if !simulated.is_empty() {
        let config = videogen_sim::SimConfig {
            queued_for: Duration::from_millis(300),
            processing_for: Duration::from_millis(2000),
            // Jobs outlive this process: `submit` now, `wait`/`download` in a later one.
            state_file: sim_state_file(),
            ..Default::default()
        };
        let s = videogen_sim::Sim::start(config).await.map_err(|e| CliError::failed(e.to_string()))?;
        for p in &simulated {
            let base = match p {
                Provider::OpenAi => s.openai_base_url(),
                Provider::AiHubMix => s.aihubmix_base_url(),
                Provider::Oxen | Provider::VideoDb => s.base_url(),
            };
            builder = builder.api_key(*p, "videogen-sim").base_url(*p, base);
        }
        let names: Vec<&str> = simulated.iter().map(|p| p.as_str()).collect();
        let why = if global.sim { "--sim".to_string() } else { format!("no {} set", simulated[0].api_key_env()) };
        output::err(&format!(
            "note: {why}: using the built-in simulator for {} (nothing is generated or billed)",
            names.join(", ")
        ));
        sim = Some(s);
    }
    for p in providers.iter().filter(|p| !simulated.contains(p)) {
        let key = std::env::var(p.api_key_env()).unwrap_or_default();
        builder = builder.api_key(*p, key.trim().to_string());
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
            max_create_retries: pace_creates.then_some(0),
            ..videogen::RetryPolicy::default()
        },
    );
    Ok(Context { client: builder.build()?, simulated, _sim: sim })
}
