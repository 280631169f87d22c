//! `videogen batch`: a JSON Lines file of requests, run with bounded concurrency, resumable
//! after a crash without paying twice.
//!
//! - [`Item`]s: each line parsed into the same [`RequestFields`] `generate` fills and checked by
//!   the same rules before anything is sent, identified by the fingerprint of its whole request
//!   (plus `#n` for the n-th identical line), so an edited line is new work and an unchanged one
//!   is the same work whatever its position.
//! - [`ledger`]: where the lines' states are kept, before the step each records goes on: the
//!   [`journal`] in the output folder (one worker), or [`postgres`] (many workers, many
//!   machines, lines claimed under leases); [`status`] reads a shared ledger.
//! - [`runner`]: the [`runner::Runner`] that creates (retrying 429s in the run), waits (each
//!   provider at its own interval, or through its events) and downloads.
//! - [`progress`]: the live display, the steady summary line without a terminal, `--events`
//!   JSON lines, and the final summary.

/// The embedded journal's file name in the out folder.
pub const JOURNAL: &str = "videogen-journal.jsonl";

pub mod files;
pub mod gallery;
pub mod journal;
pub mod ledger;
pub mod mp4;
pub mod postgres;
pub mod progress;
pub mod results;
pub mod runner;
pub mod status;

use crate::exit::CliError;
use crate::request::RequestFields;
use std::collections::{HashMap, HashSet};
use videogen::{Provider, VideoRequest};

/// A parsed, checked line of the batch file.
#[derive(Debug)]
pub struct Item {
    /// Its line number (from 1), for messages.
    pub number: usize,
    /// What identifies its work in the journal: the request's fingerprint, `#n` for the n-th
    /// identical request in the file.
    pub key: String,
    /// The line as written.
    pub fields: RequestFields,
    /// The request it sends.
    pub request: VideoRequest,
    /// The output file names inside the out folder, one per output (`count`): the line's `out`,
    /// else `NNNN-<fingerprint's first 8 hex digits>.mp4`. A name that is taken when the output
    /// is written is not replaced: the next free one is used ([`files::free_name`]).
    pub outs: Vec<String>,
}

impl Item {
    /// What it asks for, shortened for a display line.
    pub fn title(&self) -> String {
        let text = match (&self.fields.prompt, self.fields.shots.first()) {
            (Some(p), _) => p.clone(),
            (None, Some(s)) => format!("{} (+{} shots)", s.prompt, self.fields.shots.len() - 1),
            (None, None) => String::new(),
        };
        let short: String = text.chars().take(40).collect();
        if short.len() < text.len() { format!("{short}…") } else { short }
    }
}

/// The batch's id on a shared ledger: the first 16 hex digits of the SHA-256 of its lines'
/// keys in file order, so every worker given the same file (and default provider) joins the
/// same batch, and an edited file is a batch of its own.
pub fn batch_id(items: &[Item]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for item in items {
        hash.update(item.key.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Parses every line; all bad lines are reported at once with their number and field, so a bad
/// line costs nothing and a good line is not run before the whole file is known to be good.
pub fn parse(text: &str, default: Provider) -> Result<Vec<Item>, CliError> {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(raw);
        let fields: RequestFields = match serde_path_to_error::deserialize(&mut de) {
            Ok(l) => l,
            Err(e) => {
                let field = e.path().to_string();
                let field = if field == "." { String::new() } else { format!(", field {field}") };
                // serde's own "at line 1 column N" counts within the line; the line number says more.
                let inner = e.inner().to_string();
                let inner = inner.split(" at line ").next().unwrap_or(&inner).to_string();
                problems.push(format!("line {number}{field}: {inner}"));
                continue;
            }
        };
        match item(number, fields, default, &mut seen) {
            Ok(item) => items.push(item),
            Err(e) => problems.push(format!("line {number}, {e}")),
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        let what = if n == 1 { "a bad line".to_string() } else { format!("{n} bad lines") };
        return Err(CliError::usage(format!("the batch file has {what} (nothing was sent):")).with_details(problems));
    }
    let mut outs = HashSet::new();
    for i in &items {
        for out in &i.outs {
            if !outs.insert(out.clone()) {
                return Err(CliError::usage(format!("line {}: out {out:?} is used twice", i.number)));
            }
        }
    }
    Ok(items)
}

fn item(
    number: usize,
    fields: RequestFields,
    default: Provider,
    seen: &mut HashMap<String, usize>,
) -> Result<Item, String> {
    let request = fields.build(default)?;
    let fingerprint = fields.fingerprint(default)?;
    let n = seen.entry(fingerprint.clone()).or_default();
    *n += 1;
    let key = format!("{fingerprint}#{n}");
    // The number orders the files; the fingerprint's start keeps other work's files apart.
    let base = fields.out.clone().unwrap_or_else(|| format!("{number:04}-{}.mp4", &fingerprint[..8]));
    if base.is_empty() || base.contains('/') || base.contains('\\') || base.starts_with('.') {
        return Err(format!("field out: {base:?} must be a plain file name"));
    }
    let count = request.outputs().map_err(|e| format!("field count: {e}"))? as usize;
    let outs = (0..count)
        .map(|i| crate::waiting::numbered(std::path::Path::new(&base), i, count).to_string_lossy().into_owned())
        .collect();
    Ok(Item { number, key, fields, request, outs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_name_their_number_and_field() {
        let text = "{\"prompt\": \"ok\"}\n\n{\"prompt\": 5}\n{\"prompt\": \"x\", \"duraton\": 5}\n{\"prompt\": \"x\", \"size\": \"big\"}\n";
        let err = parse(text, Provider::Oxen).unwrap_err().full_text();
        assert!(err.contains("line 3, field prompt: invalid type"), "{err}");
        assert!(err.contains("line 4") && err.contains("duraton"), "{err}");
        assert!(err.contains("line 5, field size"), "{err}");
        assert!(!err.contains("line 1") && !err.contains("column"), "{err}");
    }

    #[test]
    fn lines_take_every_generate_field_with_the_same_checks() {
        let text =
            "{\"prompt\": \"x\", \"provider\": \"aihubmix\", \"model\": \"wan2.5-t2v-preview\", \"duration\": 7}\n";
        let err = parse(text, Provider::Oxen).unwrap_err().full_text();
        assert!(err.contains("line 1, rule") && err.contains("5, 10"), "{err}");
        let retired = "{\"prompt\": \"x\", \"provider\": \"aihubmix\", \"model\": \"sora-2\"}\n";
        let err = parse(retired, Provider::Oxen).unwrap_err().full_text();
        assert!(err.contains("line 1, field model") && err.contains("retired since 2026-09-24"), "{err}");
        let ok = parse("{\"prompt\": \"x\", \"out\": \"a.mp4\"}\n{\"prompt\": \"y\"}\n", Provider::Oxen).unwrap();
        assert_eq!(ok[0].outs, ["a.mp4"]);
        assert_eq!(ok[1].outs, [format!("0002-{}.mp4", &ok[1].key[..8])]);
        assert!(parse("{\"prompt\": \"x\", \"out\": \"../a.mp4\"}\n", Provider::Oxen).is_err());
        let shots = r#"{"model": "a-multi-shot-model", "shots": [{"prompt": "a", "duration": 5}, {"prompt": "b"}], "audio": true}"#;
        let items = parse(shots, Provider::Oxen).unwrap();
        assert_eq!(items[0].request.shots.len(), 2);
        assert_eq!(items[0].request.audio, Some(true));
        let err = parse(r#"{"prompt": "a", "extra": {"multi_prompt": [{"prompt": "b"}]}}"#, Provider::Oxen)
            .unwrap_err()
            .full_text();
        assert!(err.contains("line 1, field extra"), "{err}");
        let err = parse(
            r#"{"prompt": "a", "provider": "videodb", "callback_url": "http://example.com/hook"}"#,
            Provider::Oxen,
        )
        .unwrap_err()
        .full_text();
        assert!(err.contains("callback_url"), "{err}");
    }

    #[test]
    fn identical_lines_are_separate_work_and_counts_get_a_file_each() {
        let items = parse(
            "{\"prompt\": \"x\"}\n{\"prompt\": \"x\"}\n{\"prompt\": \"y\", \"count\": 2, \"out\": \"y.mp4\"}\n",
            Provider::Oxen,
        )
        .unwrap();
        assert_ne!(items[0].key, items[1].key);
        assert_eq!(items[0].key.split('#').next(), items[1].key.split('#').next());
        assert_eq!(items[2].outs, ["y-1.mp4", "y-2.mp4"]);
        let moved = parse("{\"prompt\": \"new\"}\n{\"prompt\": \"x\"}\n", Provider::Oxen).unwrap();
        assert_eq!(moved[1].key, items[0].key, "a line keeps its identity when lines are inserted above it");
        let other = parse("{\"prompt\": \"z\"}\n", Provider::Oxen).unwrap();
        assert_ne!(
            other[0].outs,
            parse("{\"prompt\": \"x\"}\n", Provider::Oxen).unwrap()[0].outs,
            "another batch's line 1 has another name"
        );
    }
}
