//! What the known models accept, with the document each rule comes from. A request that breaks a
//! known rule fails before anything is sent; a model not in the table passes through with a
//! warning.

pub use crate::catalog::{Durations, Family, Model, ModelInfo, Pricing, lookup};
use crate::{Error, Provider, VideoRequest};

/// Every model in the catalogue (see [`crate::catalog`]).
pub fn catalog() -> &'static [ModelInfo] {
    crate::catalog::all()
}

/// The wire family of `model` on `provider`. Every model of an OpenAI-compatible gateway takes
/// OpenAI's body ([`Family::OpenAi`]): the gateway translates it for the model's vendor.
pub fn family(provider: Provider, model: &str) -> Family {
    (crate::providers::profile(provider).family)(model)
}

/// The `extra` keys that would replace what the request itself models after its rules ran: the
/// model, the prompt and the output count always; the others when the request sets the field
/// too (a duration the rules checked, then replaced, would be paid for unchecked).
fn check_extra(request: &VideoRequest) -> Result<(), Error> {
    let set = |key: &str| match key {
        "model" | "prompt" | "multi_prompt" => Some("always"),
        "duration" | "seconds" if request.duration.is_some() || !request.shots.is_empty() => Some("duration"),
        "aspect_ratio" | "ratio" if request.aspect_ratio.is_some() => Some("aspect_ratio"),
        "size" if request.size.is_some() => Some("size"),
        "seed" if request.seed.is_some() => Some("seed"),
        "input_image" | "input_reference" | "content" if !request.images.is_empty() => Some("images"),
        "input_video" if request.input_video.is_some() => Some("input_video"),
        "generate_audio" if request.audio.is_some() => Some("audio"),
        "callback_url" if request.callback_url.is_some() => Some("callback_url"),
        _ => None,
    };
    for key in request.extra.keys() {
        match set(key) {
            Some("always") => {
                return Err(Error::invalid(format!(
                    "extra {key:?} would replace a field the request models (checked and recorded in the job handle); set it on the request instead"
                )));
            }
            Some(field) => {
                return Err(Error::invalid(format!(
                    "extra {key:?} would replace the request's own {field} after its rules ran; give one or the other"
                )));
            }
            None => {}
        }
    }
    Ok(())
}

/// A deprecated model's notice: it still works, and will stop on `shutdown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deprecation {
    /// Where it runs.
    pub provider: Provider,
    /// The model as requested.
    pub model: String,
    /// When it shuts down.
    pub shutdown: Option<chrono::NaiveDate>,
    /// The provider's named replacement.
    pub replacement: Option<String>,
    /// Where the lifecycle facts come from.
    pub source: String,
}

impl std::fmt::Display for Deprecation {
    /// `aihubmix model X is deprecated: it shuts down on 2027-01-01; use Y instead`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} model {} is deprecated", self.provider, self.model)?;
        if let Some(d) = self.shutdown {
            write!(f, ": it shuts down on {d}")?;
        }
        if let Some(r) = &self.replacement {
            write!(f, "; use {r} instead")?;
        }
        write!(f, " (source: {})", self.source)
    }
}

/// Checks `model`'s lifecycle on `provider` on `today`: `Ok(None)` for an active or unknown
/// model, `Ok(Some(notice))` for a deprecated one (it still works), and
/// [`Error::ModelRetired`] for a retired one, before anything is sent.
///
/// ```
/// use chrono::NaiveDate;
/// use videogen::{Error, Provider, models};
/// let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
/// let e = models::check_lifecycle(Provider::AiHubMix, "sora-2", day).unwrap_err(); // retired
/// assert!(matches!(e, Error::ModelRetired { since: Some(d), .. } if d.to_string() == "2026-09-24"));
/// assert!(models::check_lifecycle(Provider::AiHubMix, "wan2.6-t2v", day).unwrap().is_none());
/// ```
///
/// # Errors
/// [`Error::ModelRetired`] with the shutdown date, the replacement and the source.
pub fn check_lifecycle(
    provider: Provider,
    model: &str,
    today: chrono::NaiveDate,
) -> Result<Option<Deprecation>, Error> {
    let Some(info) = lookup(provider, model.trim()) else { return Ok(None) };
    let life = &info.lifecycle;
    match life.status_on(today) {
        crate::catalog::ModelStatus::Active => Ok(None),
        crate::catalog::ModelStatus::Deprecated => Ok(Some(Deprecation {
            provider,
            model: model.to_string(),
            shutdown: life.shutdown,
            replacement: life.replacement.clone(),
            source: life.source.clone(),
        })),
        crate::catalog::ModelStatus::Retired => Err(Error::ModelRetired {
            provider,
            model: model.to_string(),
            since: life.shutdown,
            replacement: life.replacement.clone(),
            reason: format!("videogen's model catalogue: {}", life.source),
        }),
    }
}

/// The model each provider uses when a program or the command names none: an active catalogue
/// model with its source, or `None` for an OpenAI-compatible gateway, whose models are the ones
/// its operator configured.
///
/// - Oxen.ai: `kling-video-v2-6-pro-text-to-video` (docs.oxen.ai video generation reference).
/// - VideoDB: `videodb` (its one generator takes no model id).
/// - AIHubMix: `wan2.6-t2v` (the model of AIHubMix's own Video-Gen Quick Start).
pub fn default_model(provider: Provider) -> Option<&'static str> {
    crate::providers::profile(provider).default_model
}

fn list(values: &[u32]) -> String {
    values.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Checks `request` against its catalogue row and the rules every request follows. Unknown models
/// get a `tracing` warning (a debug line on a gateway) and only the general rules. The model's
/// lifecycle is [`check_lifecycle`]'s.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the broken rule and its source.
pub fn check(request: &VideoRequest) -> Result<(), Error> {
    let model = request.model.trim();
    if model.is_empty() && crate::providers::profile(request.provider).model_required {
        return Err(Error::invalid("a model is required"));
    }
    let has_prompt = request.prompt.as_deref().is_some_and(|p| !p.trim().is_empty());
    if has_prompt && !request.shots.is_empty() {
        return Err(Error::invalid(
            "give a prompt or shots, not both (Oxen: \"Cannot provide both 'prompt' and 'multi_prompt'\")",
        ));
    }
    if !has_prompt && request.shots.is_empty() {
        return Err(Error::invalid("a prompt (or shots) is required"));
    }
    if request.aspect_ratio.is_some() && request.size.is_some() {
        return Err(Error::invalid("give an aspect ratio or a size, not both"));
    }
    check_extra(request)?;
    if let Some(url) = &request.callback_url {
        if !crate::providers::supports(request.provider, crate::Operation::Callback) {
            return Err(Error::invalid(format!(
                "callback_url is VideoDB's and Replicate's (webhook); {} has none in its API (wait for the job instead)",
                request.provider
            )));
        }
        let why = match reqwest::Url::parse(url) {
            Ok(parsed) => videogen_transport::insecure_scheme(&parsed),
            Err(e) => Some(format!("it does not parse: {e}")),
        };
        if let Some(why) = why {
            return Err(Error::invalid(format!(
                "callback_url {url:?} must be https:// (plain http:// only to a loopback host): {why}"
            )));
        }
    }
    if request.cancel_after.is_some() && !crate::providers::supports(request.provider, crate::Operation::Deadline) {
        return Err(Error::invalid(format!(
            "{} enforces no deadline of its own (cancel_after is Replicate's Cancel-After); bound the wait instead",
            request.provider
        )));
    }
    if !request.webhook_events.is_empty() && request.callback_url.is_none() {
        return Err(Error::invalid("webhook events without a webhook URL (callback_url)"));
    }
    let Some(info) = lookup(request.provider, model) else {
        if !crate::providers::profile(request.provider).catalogued {
            // A gateway's models are its operator's: not knowing them is the normal case.
            tracing::debug!(model, "a gateway model: sending the request without per-model rules");
        } else {
            tracing::warn!(provider = %request.provider, model, "model not in videogen's catalogue: sending the request unchecked");
        }
        return Ok(());
    };
    let rule = |what: String| Error::invalid(format!("{what} (source: {})", info.source));
    let name = if model.is_empty() { request.provider.as_str() } else { model };
    if let (Some(max), Some(prompt)) = (info.max_prompt_chars, request.prompt.as_deref()) {
        let n = prompt.chars().count();
        if n > max {
            return Err(rule(format!("{name} takes prompts of at most {max} characters; this one has {n}")));
        }
    }
    if !request.shots.is_empty() && !info.multi_shot {
        return Err(rule(format!("{name} does not take multi-shot requests")));
    }
    let total: u32 = if request.shots.is_empty() {
        request.duration.unwrap_or(0)
    } else {
        request.shots.iter().map(|s| s.duration).sum()
    };
    if request.duration.is_some() || !request.shots.is_empty() {
        match &info.durations {
            Durations::OneOf(values) if !values.contains(&total) => {
                return Err(rule(format!("{name} takes durations of {} seconds; got {total}", list(values))));
            }
            Durations::Range { min, max } if !(*min..=*max).contains(&total) => {
                let what = if request.shots.is_empty() { "duration" } else { "total shot duration" };
                return Err(rule(format!("{name} takes a {what} of {min} to {max} seconds; got {total}")));
            }
            _ => {}
        }
    }
    if let Some(size) = request.size {
        match &info.sizes {
            None => return Err(rule(format!("{name} does not take a size"))),
            Some(sizes) if !sizes.contains(&size.to_string()) => {
                return Err(rule(format!("{name} takes sizes {}; got {size}", sizes.join(", "))));
            }
            _ => {}
        }
    }
    if let (Some(ratio), Some(ratios)) = (request.aspect_ratio.as_deref(), &info.aspect_ratios)
        && !ratios.iter().any(|r| r == ratio)
    {
        return Err(rule(format!("{name} takes aspect ratios {}; got {ratio}", ratios.join(", "))));
    }
    if !request.images.is_empty() && !info.images {
        return Err(rule(format!("{name} does not take reference images")));
    }
    if info.family == Family::OpenAi && request.images.len() > 1 {
        return Err(rule(format!("{name} takes one reference image (input_reference)")));
    }
    if request.input_video.is_some() && !info.video_input {
        return Err(rule(format!("{name} does not take a reference video")));
    }
    if request.audio == Some(true) && !info.audio {
        return Err(rule(format!("{name} does not generate audio")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageInput, Size};

    fn req(provider: Provider, model: &str) -> VideoRequest {
        VideoRequest::new(provider, model).prompt("A red balloon")
    }

    #[test]
    fn rules_name_themselves_and_their_source() {
        let e = check(&req(Provider::AiHubMix, "wan2.5-t2v-preview").duration(7)).unwrap_err().to_string();
        assert!(e.contains("5, 10") && e.contains("got 7") && e.contains("source:"), "{e}");
        let e = check(&req(Provider::AiHubMix, "veo-3.1-generate-001").size(Size { width: 1024, height: 1792 }))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1920x1080"), "{e}");
        let e = check(&req(Provider::VideoDb, "videodb").duration(9)).unwrap_err().to_string();
        assert!(e.contains("5 to 8"), "{e}");
        let e = check(&req(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").duration(7)).unwrap_err().to_string();
        assert!(e.contains("5, 10") && e.contains("json_request_schema"), "{e}");
        let multi =
            VideoRequest::new(Provider::Oxen, "kling-video-o3-pro-reference-to-video").shot("a", 10).shot("b", 6);
        assert!(check(&multi).unwrap_err().to_string().contains("total shot duration of 3 to 15 seconds; got 16"));
        assert!(
            check(&req(Provider::AiHubMix, "veo-3.1-generate-001").image(ImageInput::Url("https://x".into()))).is_err()
        );
    }

    #[test]
    fn valid_and_unknown_models_pass() {
        check(&req(Provider::AiHubMix, "wan2.6-t2v").duration(12).size(Size { width: 1920, height: 1080 })).unwrap();
        check(&req(Provider::AiHubMix, "veo-3.1-fast-generate-001").duration(6)).unwrap();
        check(&req(Provider::Oxen, "some-new-model").duration(99)).unwrap();
        check(&req(Provider::OpenAi, "any-gateway-model").duration(7)).unwrap();
        check(&req(Provider::VideoDb, "").duration(6)).unwrap();
    }

    #[test]
    fn retired_models_are_refused_with_their_date_and_replacement() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let e = check_lifecycle(Provider::AiHubMix, "veo-3.1-generate-preview", day("2026-12-06")).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("2026-10-22") && text.contains("gemini-omni-1.1-flash"), "{text}");
        assert!(matches!(e, Error::ModelRetired { provider: Provider::AiHubMix, .. }));
        // The day before the shutdown it was deprecated, not retired (the date is injectable).
        let sora = check_lifecycle(Provider::OpenAi, "sora-2", day("2026-09-23")).unwrap().unwrap();
        assert_eq!(sora.shutdown, Some(day("2026-09-24")));
        assert!(sora.to_string().contains("shuts down on 2026-09-24"), "{sora}");
        assert!(check_lifecycle(Provider::OpenAi, "sora-2-pro-2025-10-06", day("2026-09-24")).is_err());
        assert!(check_lifecycle(Provider::Oxen, "openai-sora-2-pro", day("2026-12-06")).is_err());
        for provider in Provider::ALL {
            if let Some(model) = default_model(provider) {
                assert_eq!(check_lifecycle(provider, model, day("2026-12-06")).unwrap(), None, "{provider} {model}");
                assert!(lookup(provider, model).is_some(), "the default of {provider} is in the catalogue");
            }
        }
    }

    #[test]
    fn extra_cannot_replace_what_the_request_models() {
        let r = || req(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").duration(5);
        for key in ["model", "prompt", "multi_prompt"] {
            let e = check(&r().extra(key, serde_json::json!("x"))).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains("replace"), "{e}");
        }
        assert!(check(&r().extra("duration", serde_json::json!(99))).is_err(), "a checked duration replaced");
        // Fields the request does not set pass through (Oxen.ai's own parameters, an auto duration).
        check(&r().extra("resolution", serde_json::json!("1080p"))).unwrap();
        check(&req(Provider::Oxen, "some-new-model").extra("duration", serde_json::json!(-1))).unwrap();
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(Durations::OneOf(vec![4, 8, 12]).to_string(), "4, 8 or 12 s");
        assert_eq!(Durations::Range { min: 5, max: 8 }.to_string(), "5–8 s");
        assert_eq!(Durations::Unknown.to_string(), "not documented");
    }

    #[test]
    fn general_rules() {
        assert!(check(&VideoRequest::new(Provider::Oxen, "m")).is_err());
        assert!(check(&req(Provider::Oxen, "m").shot("b", 5)).is_err());
        assert!(
            check(&req(Provider::OpenAi, "gateway-model").aspect_ratio("16:9").size(Size { width: 1, height: 1 }))
                .is_err()
        );
        assert_eq!(family(Provider::OpenAi, "wan2.6-t2v"), Family::OpenAi);
        assert_eq!(family(Provider::AiHubMix, "sora-2"), Family::OpenAi);
        assert_eq!(family(Provider::AiHubMix, "veo-2.0-generate-001"), Family::Veo);
        assert_eq!(family(Provider::AiHubMix, "wan2.5-t2v"), Family::Generic);
        assert_eq!(family(Provider::AiHubMix, "wan2.7-i2v"), Family::Dashscope);
        assert_eq!(family(Provider::AiHubMix, "happyhorse-1.0-i2v"), Family::Dashscope);
        assert_eq!(family(Provider::AiHubMix, "doubao-seedance-1-0-pro-250528"), Family::Seedance);
        assert_eq!(family(Provider::AiHubMix, "jimeng-3.0-pro"), Family::Generic);
    }
}
