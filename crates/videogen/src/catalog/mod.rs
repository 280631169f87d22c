//! The model catalogue: every model videogen knows, per provider, with its rules, price, status
//! (`active`, `deprecated`, `retired`), dates, replacement and the source of each fact.
//!
//! The data lives in reviewable files beside this module, one per provider
//! (`crates/videogen/src/catalog/{oxen,videodb,aihubmix,openai}.toml`). The build script checks
//! every row (known names, `YYYY-MM-DD` dates, a source for each row and price, a shutdown date
//! for every deprecated or retired model) and embeds the checked copy, so a malformed catalogue
//! is a build error, never a runtime one.
//!
//! **Updating it** when a provider changes its models: edit the provider's file (a new row, or
//! `status`/`announced`/`shutdown`/`replacement` on an old one) with the doc URL or SDK file in
//! `source` or `lifecycle_source` and today's date in `read`; `videogen models --live --provider
//! oxen --drift` lists what the provider's live list and the catalogue disagree on.

#[allow(dead_code)]
pub(crate) mod schema;
mod types;

pub use types::{Durations, Family, Model, ModelInfo, Pricing, lookup};

use crate::Provider;
use chrono::NaiveDate;
use std::sync::LazyLock;

/// A model's state on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelStatus {
    /// Served, with no shutdown announced.
    Active,
    /// Still served, with a shutdown announced ([`Lifecycle::shutdown`]).
    Deprecated,
    /// Shut down: requests for it are refused before sending ([`crate::Error::ModelRetired`]).
    Retired,
}

impl std::fmt::Display for ModelStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ModelStatus::Active => "active",
            ModelStatus::Deprecated => "deprecated",
            ModelStatus::Retired => "retired",
        })
    }
}

/// A model's lifecycle, as the catalogue records it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Lifecycle {
    /// The status on the day the source was read ([`ModelInfo::read`]); for the status on
    /// another day, [`Lifecycle::status_on`].
    pub status: ModelStatus,
    /// When the deprecation was announced.
    pub announced: Option<NaiveDate>,
    /// When the provider shuts (or shut) it down: from this day on it is retired.
    pub shutdown: Option<NaiveDate>,
    /// The model the provider names as its replacement.
    pub replacement: Option<String>,
    /// Where the lifecycle facts come from.
    pub source: String,
}

impl Lifecycle {
    /// The status on `day`: with a shutdown date, retired from that day on and deprecated
    /// before it; without one, as recorded.
    pub fn status_on(&self, day: NaiveDate) -> ModelStatus {
        match self.shutdown {
            Some(shutdown) if day >= shutdown => ModelStatus::Retired,
            Some(_) => ModelStatus::Deprecated,
            None => self.status,
        }
    }
}

static CATALOG: LazyLock<Vec<ModelInfo>> = LazyLock::new(|| {
    let files: Vec<(String, schema::CatalogFile)> =
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/catalog.json")))
            .expect("build.rs wrote and checked this file");
    let mut rows: Vec<ModelInfo> = files
        .into_iter()
        .flat_map(|(_, file)| file.models.into_iter().map(move |row| convert(&file.providers, row)))
        .collect();
    // Exact ids before prefixes, longer prefixes before shorter ones: `lookup` takes the first.
    rows.sort_by_key(|m| (m.prefix, std::cmp::Reverse(m.id.len())));
    rows
});

/// Every model in the catalogue: exact ids first, then prefixes from the longest.
pub fn all() -> &'static [ModelInfo] {
    &CATALOG
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("checked by build.rs")
}

fn convert(file_providers: &[String], row: schema::ModelRow) -> ModelInfo {
    let providers = row
        .providers
        .as_deref()
        .unwrap_or(file_providers)
        .iter()
        .map(|p| p.parse::<Provider>().expect("checked by build.rs"))
        .collect();
    let family = match row.family.as_str() {
        "oxen" => Family::Oxen,
        "videodb" => Family::VideoDb,
        "openai" => Family::OpenAi,
        "veo" => Family::Veo,
        "seedance" => Family::Seedance,
        "dashscope" => Family::Dashscope,
        "replicate" => Family::Replicate,
        _ => Family::Generic,
    };
    let durations = match row.durations {
        Some(schema::DurationsRow::List(values)) => Durations::OneOf(values),
        Some(schema::DurationsRow::Range { min, max }) => Durations::Range { min, max },
        None => Durations::Unknown,
    };
    let status = match row.status.as_str() {
        "retired" => ModelStatus::Retired,
        "deprecated" => ModelStatus::Deprecated,
        _ => ModelStatus::Active,
    };
    let pricing = row.pricing.map(|p| Pricing {
        method: Some("per_video_output_second".into()),
        currency: p.currency,
        per_second: p.per_second.and_then(|a| a.parse().ok()),
        per_second_with_audio: p.per_second_with_audio.and_then(|a| a.parse().ok()),
        per_second_by_resolution: p.per_second_by_resolution,
    });
    ModelInfo {
        providers,
        lifecycle: Lifecycle {
            status,
            announced: row.announced.as_deref().map(date),
            shutdown: row.shutdown.as_deref().map(date),
            replacement: row.replacement,
            source: row.lifecycle_source.unwrap_or_else(|| row.source.clone()),
        },
        id: row.id,
        prefix: row.prefix,
        family,
        kind: row.kind,
        durations,
        sizes: row.sizes,
        aspect_ratios: row.aspect_ratios,
        resolutions: row.resolutions,
        images: row.images,
        video_input: row.video_input,
        multi_shot: row.multi_shot,
        audio: row.audio,
        max_prompt_chars: row.max_prompt_chars,
        fields: row.fields,
        pricing,
        source: row.source,
        read: date(&row.read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_loads_with_a_source_and_a_date() {
        assert!(all().len() >= 5, "{} rows", all().len());
        for m in all() {
            assert!(!m.source.trim().is_empty() && !m.lifecycle.source.trim().is_empty(), "{}", m.id);
            assert!(!m.providers.is_empty(), "{}", m.id);
            if m.lifecycle.status != ModelStatus::Active {
                assert!(m.lifecycle.shutdown.is_some(), "{}", m.id);
            }
        }
    }

    #[test]
    fn status_follows_the_dates() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let life = Lifecycle {
            status: ModelStatus::Deprecated,
            announced: Some(d("2026-03-24")),
            shutdown: Some(d("2026-09-24")),
            replacement: None,
            source: "s".into(),
        };
        assert_eq!(life.status_on(d("2026-09-23")), ModelStatus::Deprecated);
        assert_eq!(life.status_on(d("2026-09-24")), ModelStatus::Retired);
        let active = Lifecycle { status: ModelStatus::Active, shutdown: None, ..life.clone() };
        assert_eq!(active.status_on(d("2030-01-01")), ModelStatus::Active);
        let announced = Lifecycle { status: ModelStatus::Active, ..life };
        assert_eq!(announced.status_on(d("2026-01-01")), ModelStatus::Deprecated);
    }

    #[test]
    fn a_broken_file_is_refused_with_every_problem() {
        let text = r#"
            providers = ["oxen", "nobody"]
            [[model]]
            id = "m"
            family = "martian"
            status = "retired"
            source = ""
            read = "yesterday"
        "#;
        let file: schema::CatalogFile = toml::from_str(text).unwrap();
        let problems = schema::problems("x.toml", &file, &|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
        let all = problems.join("\n");
        for expected in [
            "unknown provider \"nobody\"",
            "unknown family",
            "needs its shutdown date",
            "no source",
            "read \"yesterday\"",
        ] {
            assert!(all.contains(expected), "{expected} missing from:\n{all}");
        }
    }
}
