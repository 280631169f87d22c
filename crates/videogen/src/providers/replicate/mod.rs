//! Replicate (`https://api.replicate.com/v1`): its profile here; the API in `api.rs` (with the
//! `replicate` cargo feature).

#[cfg(feature = "replicate")]
mod api;

#[cfg(feature = "replicate")]
pub(crate) use api::{Replicate, job_of_callback, parse_callback};

use super::Profile;
use crate::catalog::Family;
use crate::operation::Operation;

/// Replicate's profile. Sources: its spec (`specs/replicate`: predictions create/get/list/cancel,
/// models get with each version's `openapi_schema`, `Cancel-After`, `webhook` and
/// `webhook_events_filter`), replicate.com/docs/topics/webhooks (Standard Webhooks signatures)
/// and replicate.com/docs/topics/predictions/lifecycle (statuses; predictions time out after 30
/// minutes of running). Its official SDK polls every 0.5 s (`REPLICATE_POLL_INTERVAL`); video
/// models run for minutes, so a wait starts at 5 s and backs off to 15 s.
pub(crate) const PROFILE: Profile = Profile {
    operations: &[
        Operation::Submit,
        Operation::Status,
        Operation::Cancel,
        Operation::List,
        Operation::Download,
        Operation::Models,
        Operation::ListUnfinished,
        Operation::Callback,
        Operation::Deadline,
    ],
    poll_seconds: (5, 15),
    // The newest first-party Kling on Replicate, text-to-video with only `prompt` required
    // (catalogue row kwaivgi/kling-v3-video, read 2026-12-06).
    default_model: Some("kwaivgi/kling-v3-video"),
    catalogued: true,
    model_required: true,
    max_outputs: 1,
    family: |_| Family::Replicate,
    base_url_required: false,
    keyless_allowed: false,
    live_models: false,
    refuse_base_url: |_| None,
};

/// The input that takes a model's first frame, where the model's page names it (Kling:
/// `start_image`; MiniMax Hailuo: `first_frame_image`; Veo, Seedance, Wan: `image`). A model's
/// published `Input` schema, once read, decides instead.
#[cfg_attr(not(feature = "replicate"), allow(dead_code))]
pub(crate) fn first_frame_input(model: &str) -> &'static str {
    if model.starts_with("kwaivgi/") {
        "start_image"
    } else if model.starts_with("minimax/") {
        "first_frame_image"
    } else {
        "image"
    }
}
