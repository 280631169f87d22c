//! The providers.

use serde::{Deserialize, Serialize};

/// A video generation provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Oxen.ai: async queue (default) or synchronous generate; Kling and other models.
    Oxen,
    /// VideoDB: generate video, then poll its async response.
    #[serde(rename = "videodb")]
    VideoDb,
    /// AIHubMix: OpenAI's `/v1/videos` API for wan, seedance, happyhorse, jimeng and more (its
    /// Sora and Veo ids are retired).
    #[serde(rename = "aihubmix")]
    AiHubMix,
    /// An OpenAI-compatible gateway: any service that speaks OpenAI's `/v1/videos` API (a
    /// LiteLLM proxy, other compatible services) at the base URL the program gives
    /// (`OPENAI_BASE_URL`). Its models are the ones its operator configured; every model takes
    /// OpenAI's request body ([`crate::models::Family::OpenAi`]).
    ///
    /// OpenAI itself shut its Videos API and every `sora-2*` model down on 2026-09-24
    /// (announced 2026-03-24, no direct replacement; developers.openai.com deprecations and the
    /// Sora 2 model page). A client pointed at `api.openai.com` is refused when built
    /// ([`crate::Error::Config`]), and `OPENAI_API_KEY` alone configures nothing. The name
    /// `openai` stays, so handles stored before the shutdown still read.
    #[serde(rename = "openai")]
    OpenAi,
    /// Replicate: predictions on its official video models (`owner/name`: Kling, Veo, Hailuo…),
    /// with per-model input schemas, cancel, server-side deadlines (`Cancel-After`) and signed
    /// webhooks ([`crate::webhook::Verifier`]).
    Replicate,
}

impl Provider {
    /// Every provider, in the order [`crate::Client::from_env`] picks a default.
    pub const ALL: [Provider; 5] =
        [Provider::Oxen, Provider::VideoDb, Provider::AiHubMix, Provider::Replicate, Provider::OpenAi];

    /// `oxen`, `videodb`, `aihubmix`, `replicate` or `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Oxen => "oxen",
            Provider::VideoDb => "videodb",
            Provider::AiHubMix => "aihubmix",
            Provider::OpenAi => "openai",
            Provider::Replicate => "replicate",
        }
    }

    /// The environment variable holding the API key: `OXEN_API_KEY`, `VIDEODB_API_KEY`,
    /// `AIHUBMIX_API_KEY`, `OPENAI_API_KEY`, and Replicate's own name for its token,
    /// `REPLICATE_API_TOKEN` (its SDKs read it).
    pub fn api_key_env(self) -> &'static str {
        match self {
            Provider::Oxen => "OXEN_API_KEY",
            Provider::VideoDb => "VIDEODB_API_KEY",
            Provider::AiHubMix => "AIHUBMIX_API_KEY",
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Replicate => "REPLICATE_API_TOKEN",
        }
    }

    /// The environment variable that overrides the base URL: `OXEN_BASE_URL`, …
    pub fn base_url_env(self) -> &'static str {
        match self {
            Provider::Oxen => "OXEN_BASE_URL",
            Provider::VideoDb => "VIDEODB_BASE_URL",
            Provider::AiHubMix => "AIHUBMIX_BASE_URL",
            Provider::OpenAi => "OPENAI_BASE_URL",
            Provider::Replicate => "REPLICATE_BASE_URL",
        }
    }

    /// The production base URL (Oxen `https://hub.oxen.ai`, VideoDB `https://api.videodb.io`,
    /// AIHubMix `https://aihubmix.com/v1`, Replicate `https://api.replicate.com/v1`; for OpenAI
    /// `https://api.openai.com/v1`, whose Videos API is shut down: an OpenAI-compatible gateway
    /// needs its own base URL).
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::Oxen => "https://hub.oxen.ai",
            Provider::VideoDb => "https://api.videodb.io",
            Provider::AiHubMix => "https://aihubmix.com/v1",
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Replicate => "https://api.replicate.com/v1",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "oxen" => Ok(Provider::Oxen),
            "videodb" => Ok(Provider::VideoDb),
            "aihubmix" => Ok(Provider::AiHubMix),
            "openai" => Ok(Provider::OpenAi),
            "replicate" => Ok(Provider::Replicate),
            other => Err(format!("unknown provider {other:?}: expected oxen, videodb, aihubmix, replicate or openai")),
        }
    }
}
