//! What a batch made, for people and programs to review: `results.jsonl` (one row per line:
//! what was asked, where, the job handles, the outcome, each file with its size, SHA-256,
//! duration and frame size read from the MP4, its cost, simulated or not), the same as CSV
//! (`videogen batch report --csv`), and `index.html`, a gallery page of the videos beside them.
//!
//! Both files are rewritten whole and atomically (a temporary file in the same folder, then a
//! rename) while the batch runs, so a reader never sees half of one. The rows come from the
//! journal's states ([`LineState`]), the ledger of record; the files' durations and sizes are
//! read from the files themselves ([`super::mp4`]).

use super::Item;
use super::ledger::LineState;
use super::mp4;
use crate::exit::CliError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use videogen::{Cost, Job};

/// The manifest's file name in the out folder.
pub const MANIFEST: &str = "results.jsonl";
/// The gallery page's file name in the out folder.
pub const GALLERY: &str = "index.html";

/// One written video of a line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileRow {
    /// Which output of the line, from 1 (as the files are numbered).
    pub output: usize,
    /// The file name inside the out folder.
    pub file: String,
    /// Its size in bytes.
    pub bytes: Option<u64>,
    /// Its SHA-256, lowercase hex.
    pub sha256: Option<String>,
    /// Its duration in seconds, read from the MP4 (`None`: the file is gone or not an MP4 this
    /// reader understands).
    pub duration_seconds: Option<f64>,
    /// Its frame width in pixels, read from the MP4.
    pub width: Option<u32>,
    /// Its frame height in pixels, read from the MP4.
    pub height: Option<u32>,
    /// The cost the provider reported for it (`None`: none reported, or simulated).
    pub cost: Option<Cost>,
    /// Made by the built-in simulator: not a real video, no cost.
    pub simulated: bool,
    /// When it was put in place (RFC 3339 UTC; absent in journals from before it was kept).
    #[serde(default)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The provider's thumbnail beside it (the page's poster), when there is one.
    #[serde(default)]
    pub poster: Option<String>,
}

/// What a line asked for: from the batch file's item, or from a shared ledger's row.
#[derive(Clone, Debug, Default)]
pub struct Asked {
    /// The prompt.
    pub prompt: Option<String>,
    /// A multi-shot line's shots' prompts.
    pub shots: Vec<String>,
    /// Where it runs.
    pub provider: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// How many videos it makes.
    pub outputs: Option<usize>,
}

impl Asked {
    /// What `item` asks for.
    pub fn of(item: &Item) -> Self {
        Self {
            prompt: item.request.prompt.clone(),
            shots: item.request.shots.iter().map(|s| s.prompt.clone()).collect(),
            provider: Some(item.request.provider.as_str().to_string()),
            model: Some(item.request.model.clone()),
            outputs: Some(item.outs.len()),
        }
    }
}

/// One line of a batch and what became of it: a row of `results.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResultRow {
    /// The line number in the batch file, from 1.
    pub line: usize,
    /// The line's key in the journal (its request's fingerprint).
    pub key: String,
    /// The prompt (`None` for a multi-shot line, or when the batch file is not at hand).
    pub prompt: Option<String>,
    /// A multi-shot line's shots' prompts.
    #[serde(default)]
    pub shots: Vec<String>,
    /// Where it runs.
    pub provider: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// The job handles the create made (JSON, as `videogen status` takes them).
    pub jobs: Vec<Job>,
    /// `done`, `failed`, `refused`, `unknown`, `submitted` (a job at the provider, not yet
    /// written), `submitting` (a create in flight), or `pending` (nothing sent yet).
    pub status: String,
    /// Why it failed, was refused or is unknown.
    pub reason: Option<String>,
    /// The failure was the provider's content-policy refusal.
    pub content_policy: bool,
    /// The videos written.
    pub files: Vec<FileRow>,
    /// The costs reported for its videos, by currency (simulated ones excluded).
    pub cost: Vec<Cost>,
    /// Made by the built-in simulator.
    pub simulated: bool,
    /// When its last video was put in place (RFC 3339 UTC), when recorded.
    #[serde(default)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The status word of a line's state with `outputs` outputs.
pub fn status_of(state: &LineState, outputs: usize) -> &'static str {
    // Every output written is done, whatever the attempts before it met (a lost create's
    // `unknown`, then its job adopted from the list).
    if outputs > 0 && state.done.len() >= outputs {
        "done"
    } else if state.failed.is_some() {
        "failed"
    } else if state.refused.is_some() {
        "refused"
    } else if state.unknown {
        "unknown"
    } else if !state.jobs.is_empty() {
        "submitted"
    } else if state.submitting_at.is_some() {
        "submitting"
    } else {
        "pending"
    }
}

/// A line's row from its state; `asked` gives what was asked (empty: only the jobs tell the
/// provider and model). Files are read from `out_dir` (their length and frame size), except
/// those a shared ledger's other workers wrote in folders of their own.
pub fn row(line: usize, key: &str, asked: &Asked, state: &LineState, out_dir: &Path) -> ResultRow {
    let outputs = asked.outputs.unwrap_or(state.jobs.len().max(state.done.len()));
    let mut files: Vec<FileRow> = state
        .done
        .iter()
        .map(|(output, written)| {
            let info = if written.elsewhere { None } else { mp4::read(&out_dir.join(&written.file)) };
            FileRow {
                output: output + 1,
                file: written.file.clone(),
                bytes: written.bytes,
                sha256: written.sha256.clone(),
                duration_seconds: info.map(|i| (i.duration_seconds * 1000.0).round() / 1000.0),
                width: info.map(|i| i.width),
                height: info.map(|i| i.height),
                cost: written.cost.clone().filter(|_| !written.simulated),
                simulated: written.simulated,
                finished_at: written.at,
                poster: written.poster.clone().filter(|_| !written.elsewhere),
            }
        })
        .collect();
    files.sort_by_key(|f| f.output);
    let mut by_currency: BTreeMap<String, videogen::Decimal> = BTreeMap::new();
    for cost in files.iter().filter_map(|f| f.cost.as_ref()) {
        *by_currency.entry(cost.currency.clone()).or_default() += cost.amount;
    }
    let reason = state.failed.clone().or_else(|| state.refused.as_ref().map(|(e, _)| e.clone()));
    let first_job = state.jobs.first();
    ResultRow {
        line,
        key: key.to_string(),
        prompt: asked.prompt.clone(),
        shots: asked.shots.clone(),
        provider: asked.provider.clone().or_else(|| first_job.map(|j| j.provider.as_str().to_string())),
        model: asked.model.clone().or_else(|| first_job.map(|j| j.model.clone())),
        jobs: state.jobs.clone(),
        status: status_of(state, outputs).to_string(),
        reason,
        content_policy: state.content_policy,
        simulated: files.iter().any(|f| f.simulated),
        finished_at: files.iter().filter_map(|f| f.finished_at).max(),
        files,
        cost: by_currency.into_iter().map(|(currency, amount)| Cost { amount: amount.normalize(), currency }).collect(),
    }
}

/// Every line's row, in line order, from the batch's items and the journal's states.
pub fn rows(items: &[Item], states: &HashMap<String, LineState>, out_dir: &Path) -> Vec<ResultRow> {
    let empty = LineState::default();
    items.iter().map(|i| row(i.number, &i.key, &Asked::of(i), states.get(&i.key).unwrap_or(&empty), out_dir)).collect()
}

/// Writes `name` in `dir` whole and atomically: a temporary file beside it, synced, renamed
/// over it. A reader sees the old file or the new one, never half of one.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    // Readable as the videos beside it are: a temporary file is made owner-only, so it is
    // created 0644 (less the umask, as any plain create).
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_data()?;
    file.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

/// `results.jsonl`: one row per line.
pub fn manifest(rows: &[ResultRow]) -> String {
    let mut text = String::new();
    for row in rows {
        text.push_str(&serde_json::to_string(row).unwrap_or_default());
        text.push('\n');
    }
    text
}

/// The rows as CSV (RFC 4180): one record per written file, and one for a line without any.
pub fn csv(rows: &[ResultRow]) -> String {
    let field = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into() }
    };
    let mut out = String::from(
        "line,prompt,provider,model,job,status,reason,content_policy,output,file,bytes,sha256,duration_seconds,width,height,cost,currency,simulated\r\n",
    );
    for row in rows {
        let prompt = row.prompt.clone().unwrap_or_else(|| row.shots.join(" | "));
        let head = [
            row.line.to_string(),
            field(&prompt),
            field(row.provider.as_deref().unwrap_or("")),
            field(row.model.as_deref().unwrap_or("")),
        ];
        let job = |i: usize| row.jobs.get(i).map(Job::short_form).unwrap_or_default();
        let tail = |output: Option<&FileRow>, i: usize| {
            let o = |v: Option<String>| v.unwrap_or_default();
            [
                field(&job(i)),
                row.status.clone(),
                field(row.reason.as_deref().unwrap_or("")),
                row.content_policy.to_string(),
                o(output.map(|f| f.output.to_string())),
                field(&o(output.map(|f| f.file.clone()))),
                o(output.and_then(|f| f.bytes).map(|b| b.to_string())),
                o(output.and_then(|f| f.sha256.clone())),
                o(output.and_then(|f| f.duration_seconds).map(|d| d.to_string())),
                o(output.and_then(|f| f.width).map(|w| w.to_string())),
                o(output.and_then(|f| f.height).map(|h| h.to_string())),
                o(output.and_then(|f| f.cost.as_ref()).map(|c| c.amount.normalize().to_string())),
                field(&o(output.and_then(|f| f.cost.as_ref()).map(|c| c.currency.clone()))),
                output.map_or(row.simulated, |f| f.simulated).to_string(),
            ]
        };
        let records: Vec<[String; 14]> = if row.files.is_empty() {
            vec![tail(None, 0)]
        } else {
            row.files.iter().map(|f| tail(Some(f), f.output - 1)).collect()
        };
        for record in records {
            out.push_str(&head.iter().chain(record.iter()).cloned().collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// Writes `results.jsonl` and `index.html` in `out_dir` (atomically); `live`: the batch is still
/// running, so the page reloads itself.
///
/// # Errors
/// The folder could not be written.
pub fn write(out_dir: &Path, rows: &[ResultRow], live: bool) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::failed(format!("{}: {e}", out_dir.display()));
    write_atomically(out_dir, MANIFEST, manifest(rows).as_bytes()).map_err(io)?;
    write_atomically(out_dir, GALLERY, super::gallery::page(rows, live).as_bytes()).map_err(io)
}

/// Reads `results.jsonl` (rows a run wrote), for the prompts a journal does not keep.
pub fn read_manifest(out_dir: &Path) -> Vec<ResultRow> {
    std::fs::read_to_string(out_dir.join(MANIFEST))
        .map(|text| text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
        .unwrap_or_default()
}

/// The rows of the batch in `out_dir` from its journal alone (read, not locked: a batch may be
/// running there): each journaled line's state, with the prompt, provider and model from the
/// `results.jsonl` a run wrote, and the manifest's lines the journal has not reached as pending.
///
/// # Errors
/// No journal in `out_dir`, or it could not be read.
pub fn from_journal(out_dir: &Path) -> Result<Vec<ResultRow>, CliError> {
    let states = super::journal::read_states(&out_dir.join(super::JOURNAL))?;
    let written: HashMap<String, ResultRow> = read_manifest(out_dir).into_iter().map(|r| (r.key.clone(), r)).collect();
    let mut rows: Vec<ResultRow> = states
        .iter()
        .map(|(key, line, state)| {
            let mut row = row(*line, key, &Asked::default(), state, out_dir);
            if let Some(known) = written.get(key) {
                row.line = known.line;
                row.prompt.clone_from(&known.prompt);
                row.shots.clone_from(&known.shots);
                row.provider = known.provider.clone().or(row.provider);
                row.model = known.model.clone().or(row.model);
                if row.status == "pending" || row.status == "submitted" {
                    // The manifest knows the line's output count; the journal alone does not.
                    let outputs = known.files.len().max(1);
                    row.status = status_of(state, outputs.max(state.jobs.len())).to_string();
                }
            }
            row
        })
        .collect();
    for (key, known) in &written {
        if !states.iter().any(|(k, _, _)| k == key) {
            rows.push(ResultRow { status: "pending".into(), ..known.clone() });
        }
    }
    rows.sort_by_key(|r| r.line);
    Ok(rows)
}

/// `batch status --out-dir DIR`: the journal's batch in the shape of the shared ledger's status
/// (`batch_id`, `file`, `created_at`, `lines`, `totals` by state, `in_flight`, `workers`,
/// `failures`, `files`, `reported_cost`); the embedded journal has no id, file or workers.
pub fn status_report(out_dir: &Path, rows: &[ResultRow]) -> crate::output::Report {
    use crate::vocabulary::{BatchStatusReport, StatusFailure, StatusFile};
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut files = Vec::new();
    let mut costs: BTreeMap<String, videogen::Decimal> = BTreeMap::new();
    let shown_dir = out_dir.display().to_string();
    for row in rows {
        *totals.entry(row.status.clone()).or_default() += 1;
        if matches!(row.status.as_str(), "failed" | "refused" | "unknown") {
            failures.push(StatusFailure {
                line: row.line as i64,
                state: row.status.clone(),
                error: row.reason.clone(),
                content_policy: row.content_policy,
            });
        }
        for f in &row.files {
            files.push(StatusFile {
                line: row.line as i64,
                output: f.output,
                file: Some(f.file.clone()),
                out_dir: Some(shown_dir.clone()),
                host: None,
                worker: None,
            });
        }
        for c in &row.cost {
            *costs.entry(c.currency.clone()).or_default() += c.amount;
        }
    }
    let shown = crate::output::clean(&shown_dir);
    let mut text = vec![format!("batch in {shown} ({} lines, embedded journal)", rows.len())];
    text.push(super::status::totals_line(&totals));
    text.extend(super::status::cost_line(&costs));
    text.extend(super::status::failure_lines(&failures));
    text.push(format!("files: {} written (the list: --json; the page: {shown}/{GALLERY})", files.len()));
    let report = BatchStatusReport {
        batch_id: None,
        file: None,
        created_at: None,
        lines: rows.len() as i64,
        totals,
        in_flight: 0,
        workers: Vec::new(),
        failures,
        files,
        total_cost: crate::vocabulary::totals(&costs),
    };
    crate::output::Report::typed(text, &report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResultRow {
        ResultRow {
            line: 3,
            key: "k".into(),
            prompt: Some("A \"kite\", at dusk".into()),
            shots: Vec::new(),
            provider: Some("oxen".into()),
            model: Some("m".into()),
            jobs: Vec::new(),
            status: "done".into(),
            reason: None,
            content_policy: false,
            files: vec![FileRow {
                output: 1,
                file: "0003-a.mp4".into(),
                bytes: Some(10),
                sha256: Some("ab".into()),
                duration_seconds: Some(2.0),
                width: Some(320),
                height: Some(180),
                cost: Some(Cost { amount: "0.35".parse().unwrap(), currency: "USD".into() }),
                simulated: false,
                finished_at: None,
                poster: None,
            }],
            cost: Vec::new(),
            simulated: false,
            finished_at: None,
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_has_a_record_per_file() {
        let text = csv(&[sample()]);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0].starts_with("line,prompt,provider"));
        assert_eq!(
            lines[1],
            "3,\"A \"\"kite\"\", at dusk\",oxen,m,,done,,false,1,0003-a.mp4,10,ab,2,320,180,0.35,USD,false"
        );
        assert_eq!(lines.len(), 3, "header, one record, the final CRLF");
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[sample()], true).unwrap();
        write(dir.path(), &[sample(), ResultRow { line: 4, key: "k2".into(), ..sample() }], false).unwrap();
        assert_eq!(read_manifest(dir.path()).len(), 2);
        let page = std::fs::read_to_string(dir.path().join(GALLERY)).unwrap();
        assert!(!page.contains("http-equiv=\"refresh\""), "a finished batch's page stays still");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(GALLERY)).unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044, "readable by others, as the videos are: {mode:o}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).collect();
        assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");
    }
}
