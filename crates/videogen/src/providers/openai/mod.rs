//! The `/v1/videos` API: an OpenAI-compatible gateway (`openai`) and AIHubMix, one
//! implementation (`api.rs`, with the `openai` cargo feature) at two base URLs, with two profiles.

#[cfg(feature = "openai")]
mod api;

#[cfg(feature = "openai")]
pub(crate) use api::Gateway;

use super::Profile;
use crate::catalog::{Family, lookup};
use crate::operation::Operation;
use crate::provider::Provider;

/// What the `/v1/videos` API has (OpenAI spec 2.3.0): create, list (unfinished jobs too),
/// retrieve, delete, content with `?variant=thumbnail|spritesheet`, remix; no cancel.
const OPERATIONS: [Operation; 10] = [
    Operation::Submit,
    Operation::Status,
    Operation::List,
    Operation::Download,
    Operation::Remix,
    Operation::Delete,
    Operation::Models,
    Operation::Thumbnail,
    Operation::Spritesheet,
    Operation::ListUnfinished,
];

/// AIHubMix's: the API's, and estimates from the prices the catalogue records for its models.
const AIHUBMIX_OPERATIONS: [Operation; 11] = with(OPERATIONS, Operation::EstimateCost);

/// `base` and then `extra` (`M` is `N + 1`, checked at compile time): a const slice has no
/// concatenation of its own.
const fn with<const N: usize, const M: usize>(base: [Operation; N], extra: Operation) -> [Operation; M] {
    assert!(M == N + 1, "one more operation than the base");
    let mut all = [extra; M];
    let mut i = 0;
    while i < N {
        all[i] = base[i];
        i += 1;
    }
    all
}

/// An OpenAI-compatible gateway: its models are its operator's (no default), and every model
/// takes OpenAI's body, which the gateway translates. Polling as openai-python: 1 s growing to
/// 10 s (and `openai-poll-after-ms` when sent).
pub(crate) const GATEWAY: Profile = Profile {
    operations: &OPERATIONS,
    poll_seconds: (1, 10),
    default_model: None,
    catalogued: false,
    model_required: true,
    max_outputs: 1,
    family: |_| Family::OpenAi,
    base_url_required: true,
    keyless_allowed: true,
    live_models: false,
    refuse_base_url: |base| is_openai_shut_down_api(base).then_some(OPENAI_SHUTDOWN),
};

/// AIHubMix: the same API, passing each vendor's own body through (the model's family, from the
/// catalogue, else from its id). Polling every 15 s (its Video-Gen guide); the default model is
/// the one of its Video-Gen Quick Start.
pub(crate) const AIHUBMIX: Profile = Profile {
    operations: &AIHUBMIX_OPERATIONS,
    poll_seconds: (15, 15),
    default_model: Some("wan2.6-t2v"),
    catalogued: true,
    model_required: true,
    max_outputs: 1,
    family: aihubmix_family,
    base_url_required: false,
    keyless_allowed: false,
    live_models: false,
    refuse_base_url: |_| None,
};

/// The wire family of an AIHubMix model: its catalogue row's, else by its id (AIHubMix's adapter
/// routes by the same prefixes).
fn aihubmix_family(model: &str) -> Family {
    lookup(Provider::AiHubMix, model).map_or(
        if model.starts_with("sora") {
            Family::OpenAi
        } else if model.starts_with("veo") {
            Family::Veo
        } else if model.contains("seedance") {
            Family::Seedance
        } else if model.starts_with("happyhorse") {
            Family::Dashscope
        } else {
            Family::Generic
        },
        |m| m.family,
    )
}

/// Why [`Provider::OpenAi`] refuses OpenAI's own API.
const OPENAI_SHUTDOWN: &str = "OpenAI shut down its Videos API and every sora-2* model on 2026-09-24 \
(https://developers.openai.com/api/docs/deprecations, no direct replacement): the openai provider is for \
OpenAI-compatible gateways; set OPENAI_BASE_URL to your gateway (for example a LiteLLM proxy), or use \
AIHubMix or Oxen.ai";

/// Whether `base` is OpenAI's own API (`api.openai.com`), whose Videos API is shut down.
fn is_openai_shut_down_api(base: &str) -> bool {
    reqwest::Url::parse(base).is_ok_and(|u| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case("api.openai.com")))
}
