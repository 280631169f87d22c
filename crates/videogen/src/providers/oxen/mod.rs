//! Oxen.ai (`https://hub.oxen.ai/api/ai/…`): its profile here; the API in `api.rs` and the
//! completion event stream in `events.rs` (with the `oxen` cargo feature).

#[cfg(feature = "oxen")]
mod api;
#[cfg(feature = "oxen")]
pub(crate) mod events;

#[cfg(feature = "oxen")]
pub(crate) use api::Oxen;

use super::Profile;
use crate::catalog::Family;
use crate::operation::Operation;

/// Oxen.ai's profile. Sources: docs.oxen.ai video generation (the synchronous generate, the
/// async queue with cancel and a generation history, `num_generations` 1–4, "poll every 10–30
/// seconds"), async_queue "Completion Events" (`GET /api/events`), the models API (capabilities,
/// pricing, `json_request_schema`), and the models that take an `input_video` (remix).
pub(crate) const PROFILE: Profile = Profile {
    operations: &[
        Operation::Submit,
        Operation::GenerateNow,
        Operation::Status,
        Operation::Cancel,
        Operation::List,
        Operation::Download,
        Operation::Remix,
        Operation::Models,
        Operation::EstimateCost,
        Operation::ListUnfinished,
        Operation::CompletionEvents,
    ],
    poll_seconds: (10, 30),
    // docs.oxen.ai video generation reference; an active catalogue row.
    default_model: Some("kling-video-v2-6-pro-text-to-video"),
    catalogued: true,
    model_required: true,
    max_outputs: crate::MAX_OXEN_GENERATIONS as u32,
    family: |_| Family::Oxen,
    base_url_required: false,
    keyless_allowed: false,
    live_models: true,
    refuse_base_url: |_| None,
};
