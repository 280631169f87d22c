//! VideoDB (`https://api.videodb.io`): its profile here; the API in `api.rs` (with the
//! `videodb` cargo feature).

#[cfg(feature = "videodb")]
mod api;

#[cfg(feature = "videodb")]
pub(crate) use api::{VideoDb, parse_callback};

use super::Profile;
use crate::catalog::Family;
use crate::operation::Operation;

/// VideoDB's profile. Sources: its spec (`/collection/{id}/generate/video/`, `GET /video`,
/// `DELETE /video/{id}`, collections, `callback_url`) and its SDKs (no cancel; they poll every 5
/// seconds). Its one generator takes no model id (`videodb` names it).
pub(crate) const PROFILE: Profile = Profile {
    operations: &[
        Operation::Submit,
        Operation::Status,
        Operation::List,
        Operation::Download,
        Operation::Delete,
        Operation::Models,
        Operation::Thumbnail,
        Operation::Collections,
        Operation::Callback,
    ],
    poll_seconds: (5, 5),
    default_model: Some("videodb"),
    catalogued: true,
    model_required: false,
    max_outputs: 1,
    family: |_| Family::VideoDb,
    base_url_required: false,
    keyless_allowed: false,
    live_models: false,
    refuse_base_url: |_| None,
};
