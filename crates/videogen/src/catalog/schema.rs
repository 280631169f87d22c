//! The file format of the model catalogue (`src/catalog/*.toml`), shared by `build.rs` (which
//! reads and checks every file when the crate is built, so a malformed catalogue is a build
//! error) and by the crate (which loads the checked copy the build script writes).
//!
//! Dates are `YYYY-MM-DD` strings here; the crate turns them into `chrono::NaiveDate`.

use serde::{Deserialize, Serialize};

/// One catalogue file: the models one provider serves.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// The providers that serve every model of this file unless a row says otherwise
    /// (`oxen`, `videodb`, `aihubmix`, `openai`).
    pub providers: Vec<String>,
    /// The models.
    #[serde(rename = "model")]
    pub models: Vec<ModelRow>,
}

/// One model (or, with `prefix`, every model whose id starts with `id`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRow {
    /// The model id as the provider's API takes it, or an id prefix.
    pub id: String,
    /// Whether `id` is a prefix (the provider routes a family of ids the same way).
    #[serde(default)]
    pub prefix: bool,
    /// The providers that serve it, when not the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Vec<String>>,
    /// The wire family (`oxen`, `videodb`, `openai`, `veo`, `generic`, `seedance`, `dashscope`).
    pub family: String,
    /// What it makes from what: `text-to-video`, `image-to-video`, `reference-to-video`,
    /// `video-edit`, `video-extend`, `video-upscale`, or a combination such as `text+image-to-video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Allowed durations in seconds: a list (`[4, 8, 12]`) or a range (`{ min = 3, max = 15 }`);
    /// absent when not documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durations: Option<DurationsRow>,
    /// Allowed `WIDTHxHEIGHT` sizes; absent when the model takes no size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<String>>,
    /// Allowed aspect ratios; absent when not documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratios: Option<Vec<String>>,
    /// Allowed resolutions (`720p`, `1080P`…, as the provider spells them); absent when not
    /// documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolutions: Option<Vec<String>>,
    /// Whether it takes reference images.
    #[serde(default)]
    pub images: bool,
    /// Whether it takes a reference video.
    #[serde(default)]
    pub video_input: bool,
    /// Whether it takes multi-shot requests.
    #[serde(default)]
    pub multi_shot: bool,
    /// Whether it can generate audio.
    #[serde(default)]
    pub audio: bool,
    /// The longest prompt in characters, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_prompt_chars: Option<usize>,
    /// Model-specific request fields the provider documents (passed through with
    /// `VideoRequest::extra`), for example `resolution`, `fps`, `camera_motion`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Published price, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<PricingRow>,
    /// `active`, `deprecated` (announced to shut down; still works) or `retired` (shut down), as
    /// of `read`. The status on another day follows from the dates (see `shutdown`).
    pub status: String,
    /// When the deprecation was announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<String>,
    /// When the provider shuts (or shut) it down: from this day on, it is retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown: Option<String>,
    /// The model the provider names as its replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// The source of the lifecycle facts (status, dates, replacement), when not `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_source: Option<String>,
    /// The source of the rules: a doc URL, or a repository file at a commit.
    pub source: String,
    /// The day the sources were read.
    pub read: String,
}

/// Durations as a list or a range.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DurationsRow {
    /// Exactly these, in seconds.
    List(Vec<u32>),
    /// Any whole number of seconds from `min` to `max`.
    Range {
        /// Shortest, in seconds.
        min: u32,
        /// Longest, in seconds.
        max: u32,
    },
}

/// A published price per second of video.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingRow {
    /// ISO 4217.
    pub currency: String,
    /// Per second of video, as a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_second: Option<String>,
    /// Per second of video with generated audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_second_with_audio: Option<String>,
    /// Per second, by resolution.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub per_second_by_resolution: std::collections::BTreeMap<String, String>,
    /// Where the price is published.
    pub source: String,
    /// The day it was read.
    pub read: String,
}

/// The providers a file may name.
pub const PROVIDERS: &[&str] = &["oxen", "videodb", "aihubmix", "openai", "replicate"];
/// The wire families a row may name.
pub const FAMILIES: &[&str] = &["oxen", "videodb", "openai", "veo", "generic", "seedance", "dashscope", "replicate"];
/// The statuses a row may have.
pub const STATUSES: &[&str] = &["active", "deprecated", "retired"];

/// Every problem with `file` (named `name` in messages): unknown names, unparsable dates or
/// prices, a retired or deprecated row without a shutdown date, a row without a source, a
/// duplicate id. `parse_date` parses a `YYYY-MM-DD` date.
pub fn problems(name: &str, file: &CatalogFile, parse_date: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in &file.providers {
        if !PROVIDERS.contains(&p.as_str()) {
            out.push(format!("{name}: unknown provider {p:?}"));
        }
    }
    for row in &file.models {
        let at = format!("{name}: model {:?}", row.id);
        if !seen.insert((row.id.clone(), row.prefix)) {
            out.push(format!("{at}: listed twice"));
        }
        for p in row.providers.iter().flatten() {
            if !PROVIDERS.contains(&p.as_str()) {
                out.push(format!("{at}: unknown provider {p:?}"));
            }
        }
        if !FAMILIES.contains(&row.family.as_str()) {
            out.push(format!("{at}: unknown family {:?} (one of {FAMILIES:?})", row.family));
        }
        if !STATUSES.contains(&row.status.as_str()) {
            out.push(format!("{at}: unknown status {:?} (one of {STATUSES:?})", row.status));
        }
        if row.status != "active" && row.shutdown.is_none() {
            out.push(format!("{at}: a {} model needs its shutdown date", row.status));
        }
        if row.source.trim().is_empty() {
            out.push(format!("{at}: no source"));
        }
        let dates =
            [("read", Some(&row.read)), ("announced", row.announced.as_ref()), ("shutdown", row.shutdown.as_ref())];
        for (field, date) in dates {
            if let Some(d) = date
                && !parse_date(d)
            {
                out.push(format!("{at}: {field} {d:?} is not a YYYY-MM-DD date"));
            }
        }
        if let Some(DurationsRow::Range { min, max }) = &row.durations
            && min > max
        {
            out.push(format!("{at}: durations min {min} > max {max}"));
        }
        if let Some(pricing) = &row.pricing {
            let amounts = pricing
                .per_second
                .iter()
                .chain(&pricing.per_second_with_audio)
                .chain(pricing.per_second_by_resolution.values());
            for amount in amounts {
                if amount.parse::<f64>().is_err() {
                    out.push(format!("{at}: price {amount:?} is not a decimal"));
                }
            }
            if pricing.source.trim().is_empty() || !parse_date(&pricing.read) {
                out.push(format!("{at}: a price needs its source and the date it was read"));
            }
        }
    }
    out
}
