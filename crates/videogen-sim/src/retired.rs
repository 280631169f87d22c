//! The models their providers have shut down, and how each service answers a create for one
//! today. The simulator's own list, read from the providers' notices (it shares nothing with the
//! facade's catalogue, so a mistake in one is caught by the other):
//!
//! - OpenAI shut the Videos API and every `sora-2*` model down on 2026-09-24
//!   (developers.openai.com, Sora 2 model page). AIHubMix answers a model it has no channel for
//!   with 503 "Incorrect model ID. Please request to view the model page or you do not have
//!   permission to use this model" (docs.aihubmix.com FAQs/HTTP-Codes).
//! - Google shut `veo-2.0-generate-001` and `veo-3.0-*` down on 2026-06-30 (Gemini API
//!   changelog, 2026-06-15) and the `veo-3.1-*-preview` ids on 2026-10-22 (Gemini deprecations,
//!   quoted by docs.apiyi.com 2026-10-25); relays pass Google's 404 on: "… is no longer
//!   available".
//! - Oxen.ai drops a model from its list; a create for it is 404 `Model not found: <id>`
//!   (docs.oxen.ai inference-api overview): `kling-video-o3-pro-reference-to-video` (gone
//!   2026-07-27) and `openai-sora-2-pro`.
//!
//! OpenAI's own `/v1` surface of the simulator stands for an OpenAI-compatible gateway and keeps
//! serving the spec's models (`sora-2`…) as the spec describes them.

/// The Oxen.ai models no longer listed.
pub const OXEN: &[&str] = &["kling-video-o3-pro-reference-to-video", "openai-sora-2-pro"];

/// How AIHubMix answers a create for `model` when the model is shut down: `(status, message)`.
pub fn aihubmix(model: &str) -> Option<(u16, String)> {
    if model.starts_with("sora-") {
        return Some((
            503,
            "Incorrect model ID. Please request to view the model page or you do not have permission to use this model"
                .into(),
        ));
    }
    let veo_gone = model == "veo-2.0-generate-001"
        || model.starts_with("veo-3.0-")
        || (model.starts_with("veo-3.1-") && model.ends_with("-preview"));
    veo_gone.then(|| (404, format!("models/{model} is no longer available to new users")))
}
