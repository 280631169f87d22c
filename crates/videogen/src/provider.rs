//! The providers.

use serde::{Deserialize, Serialize};

/// A video generation provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Oxen.ai: async queue (default) or synchronous generate; Kling and other models.
    Oxen,
    /// VideoDB: generate video, then poll its async response.
    #[serde(rename = "videodb")]
    VideoDb,
    /// AIHubMix: OpenAI's `/v1/videos` API for sora, veo, wan, seedance and more.
    #[serde(rename = "aihubmix")]
    AiHubMix,
    /// An OpenAI-compatible `/v1/videos` API: OpenAI's own (Sora) at `https://api.openai.com/v1`,
    /// or any gateway that speaks it (for example a LiteLLM proxy) at its base URL.
    ///
    /// OpenAI scheduled the Sora API's shutdown for 2026-09-24 (openai-python 3.51's deprecation
    /// notice on every `videos` method; the spec marks every video operation `deprecated` since
    /// commit f6a8e2fd). Past that date OpenAI's own endpoint may refuse these calls; the provider
    /// stays for compatible gateways, and the `videogen` command never picks it before the others.
    #[serde(rename = "openai")]
    OpenAi,
}

impl Provider {
    /// Every provider, in the order [`crate::Client::from_env`] picks a default.
    pub const ALL: [Provider; 4] = [Provider::Oxen, Provider::VideoDb, Provider::AiHubMix, Provider::OpenAi];

    /// `oxen`, `videodb`, `aihubmix` or `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Oxen => "oxen",
            Provider::VideoDb => "videodb",
            Provider::AiHubMix => "aihubmix",
            Provider::OpenAi => "openai",
        }
    }

    /// The environment variable holding the API key: `OXEN_API_KEY`, `VIDEODB_API_KEY`,
    /// `AIHUBMIX_API_KEY`, `OPENAI_API_KEY`.
    pub fn api_key_env(self) -> &'static str {
        match self {
            Provider::Oxen => "OXEN_API_KEY",
            Provider::VideoDb => "VIDEODB_API_KEY",
            Provider::AiHubMix => "AIHUBMIX_API_KEY",
            Provider::OpenAi => "OPENAI_API_KEY",
        }
    }

    /// The environment variable that overrides the base URL: `OXEN_BASE_URL`, …
    pub fn base_url_env(self) -> &'static str {
        match self {
            Provider::Oxen => "OXEN_BASE_URL",
            Provider::VideoDb => "VIDEODB_BASE_URL",
            Provider::AiHubMix => "AIHUBMIX_BASE_URL",
            Provider::OpenAi => "OPENAI_BASE_URL",
        }
    }

    /// The production base URL (Oxen `https://hub.oxen.ai`, VideoDB `https://api.videodb.io`,
    /// AIHubMix `https://aihubmix.com/v1`, OpenAI `https://api.openai.com/v1`).
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::Oxen => "https://hub.oxen.ai",
            Provider::VideoDb => "https://api.videodb.io",
            Provider::AiHubMix => "https://aihubmix.com/v1",
            Provider::OpenAi => "https://api.openai.com/v1",
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
            other => Err(format!("unknown provider {other:?}: expected oxen, videodb, aihubmix or openai")),
        }
    }
}
