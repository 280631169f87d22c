//! `videogen batch status --ledger postgres://… [--batch-id ID | FILE]`: what a shared batch has
//! reached — totals by state, each worker's progress and last heartbeat, failures with their
//! reasons, the files written (where, by which worker) and the reported cost.

use super::postgres;
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{BatchStatusReport, StatusFailure, StatusFile, WorkerReport};
use serde_json::Value;
use std::collections::BTreeMap;
use videogen::{Cost, Decimal};

/// The batches a ledger holds, newest first: (id, lines, file, created).
async fn batches(client: &tokio_postgres::Client) -> Result<Vec<(String, i32, Option<String>, String)>, CliError> {
    let rows = client
        .query(
            "SELECT batch_id, lines, file, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM videogen_batches ORDER BY created_at DESC",
            &[],
        )
        .await
        .map_err(|e| CliError::failed(format!("the ledger: {e}")))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
}

/// The lines that list a batch's failures, each with its reason (none when there are none),
/// for both ledgers.
pub fn failure_lines(failures: &[StatusFailure]) -> Vec<String> {
    if failures.is_empty() {
        return Vec::new();
    }
    let mut text = vec![format!("failures ({}):", failures.len())];
    text.extend(failures.iter().map(|f| {
        format!(
            "  line {} {}{}: {}",
            f.line,
            f.state,
            if f.content_policy { " (content policy)" } else { "" },
            clean(f.error.as_deref().unwrap_or(""))
        )
    }));
    text
}

/// The status line of a batch's totals by state (the ledger's state words), for both ledgers.
pub fn totals_line(totals: &BTreeMap<String, i64>) -> String {
    let count = |s: &str| totals.get(s).copied().unwrap_or(0);
    format!(
        "  {} done · {} submitted · {} submitting · {} pending · {} failed · {} refused · {} unknown",
        count("done"),
        count("submitted"),
        count("submitting"),
        count("pending"),
        count("failed"),
        count("refused"),
        count("unknown")
    )
}

/// The reported cost's line, per currency; none when nothing was reported.
pub fn cost_line(costs: &BTreeMap<String, Decimal>) -> Option<String> {
    let sums: Vec<String> = costs.iter().map(|(c, a)| format!("{} {c}", a.normalize())).collect();
    (!sums.is_empty()).then(|| format!("  reported cost: {}", sums.join(" + ")))
}

/// Batch `batch_id` of the ledger, or its only batch: (id, lines, file, created).
///
/// # Errors
/// No such batch; none, or several without an id to choose.
pub async fn choose_batch(
    client: &tokio_postgres::Client,
    batch_id: Option<&str>,
) -> Result<(String, i32, Option<String>, String), CliError> {
    let all = batches(client).await?;
    let batch_id = match batch_id {
        Some(id) => id.to_string(),
        None if all.len() == 1 => all[0].0.clone(),
        None if all.is_empty() => return Err(CliError::usage("the ledger holds no batch yet")),
        None => {
            let list: Vec<String> = all
                .iter()
                .map(|(id, n, file, at)| format!("{id} ({n} lines, {}, {at})", file.as_deref().unwrap_or("-")))
                .collect();
            return Err(CliError::usage(format!(
                "the ledger holds {} batches; name one with --batch-id (or give its file):\n  {}",
                all.len(),
                list.join("\n  ")
            )));
        }
    };
    all.into_iter()
        .find(|b| b.0 == batch_id)
        .ok_or_else(|| CliError::usage(format!("the ledger holds no batch {batch_id}")))
}

/// Every line of batch `batch_id` (or of the only batch) as a results row, in line order, the
/// files read from `out_dir` where this folder holds them. Returns the batch's id and its rows.
///
/// # Errors
/// The ledger could not be read; no such batch.
pub async fn result_rows(
    url: &str,
    batch_id: Option<&str>,
    out_dir: &std::path::Path,
) -> Result<(String, Vec<super::results::ResultRow>), CliError> {
    let client = postgres::connect(url).await?;
    postgres::check_schema(&client).await?;
    let (batch_id, ..) = choose_batch(&client, batch_id).await?;
    let out_dir = std::fs::canonicalize(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    let rows = client
        .query(
            "SELECT line_no, key, provider, model, prompt, outputs, state, idempotency_key, submitting_at, jobs, done, error
               FROM videogen_lines WHERE batch_id = $1 ORDER BY line_no",
            &[&batch_id],
        )
        .await
        .map_err(|e| CliError::failed(format!("the ledger: {e}")))?;
    let rows = rows
        .iter()
        .map(|r| {
            let line: i32 = r.get(0);
            let key: String = r.get(1);
            let outputs: i32 = r.get(5);
            let error: Option<String> = r.get(11);
            let mut state = postgres::line_state(r.get(6), r.get(7), r.get(8), r.get(9), r.get(10), error, &out_dir);
            state.content_policy = state.failed.as_deref().is_some_and(videogen::looks_like_content_policy);
            let asked = super::results::Asked {
                prompt: r.get(4),
                shots: Vec::new(),
                provider: Some(r.get(2)),
                model: Some(r.get(3)),
                outputs: usize::try_from(outputs).ok(),
            };
            super::results::row(usize::try_from(line).unwrap_or(0), &key, &asked, &state, &out_dir)
        })
        .collect();
    Ok((batch_id, rows))
}

/// The status of batch `batch_id` (or of the only batch in the ledger).
pub async fn status(url: &str, batch_id: Option<&str>, lease_seconds: f64) -> Result<Report, CliError> {
    let client = postgres::connect(url).await?;
    // A read changes nothing: the schema is checked, never migrated (workers migrate it).
    postgres::check_schema(&client).await?;
    let err = |e: tokio_postgres::Error| CliError::failed(format!("the ledger: {e}"));
    let (batch_id, lines, file, created) = choose_batch(&client, batch_id).await?;
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for row in client
        .query("SELECT state, count(*) FROM videogen_lines WHERE batch_id = $1 GROUP BY state", &[&batch_id])
        .await
        .map_err(err)?
    {
        totals.insert(row.get(0), row.get(1));
    }
    let in_flight: i64 = client
        .query_one(
            "SELECT count(*) FROM videogen_lines WHERE batch_id = $1 AND owner IS NOT NULL AND lease_until > now()",
            &[&batch_id],
        )
        .await
        .map_err(err)?
        .get(0);
    let mut workers = Vec::new();
    for row in client
        .query(
            "SELECT worker_id, host, pid, out_dir, lines_done,
                    extract(epoch FROM now() - heartbeat_at)::float8, stopped_at IS NOT NULL,
                    (SELECT count(*) FROM videogen_lines l WHERE l.batch_id = w.batch_id AND l.owner = w.worker_id AND l.lease_until > now())
               FROM videogen_workers w WHERE batch_id = $1 ORDER BY started_at",
            &[&batch_id],
        )
        .await
        .map_err(err)?
    {
        let age: f64 = row.get(5);
        let stopped: bool = row.get(6);
        let state = if stopped {
            "stopped"
        } else if age <= lease_seconds {
            "alive"
        } else {
            "lost"
        };
        workers.push(WorkerReport {
            worker: row.get(0),
            host: row.get(1),
            pid: row.get(2),
            out_dir: row.get(3),
            lines_done: row.get(4),
            lines_held: row.get(7),
            last_heartbeat_seconds_ago: (age * 10.0).round() / 10.0,
            state: state.to_string(),
        });
    }
    let mut failures = Vec::new();
    let mut files = Vec::new();
    let mut costs: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in client
        .query(
            "SELECT line_no, state, error, done FROM videogen_lines WHERE batch_id = $1 AND (state IN ('failed', 'refused', 'unknown') OR done <> '{}') ORDER BY line_no",
            &[&batch_id],
        )
        .await
        .map_err(err)?
    {
        let line: i32 = row.get(0);
        let state: String = row.get(1);
        if matches!(state.as_str(), "failed" | "refused" | "unknown") {
            let error: Option<String> = row.get(2);
            let content_policy = error.as_deref().is_some_and(videogen::looks_like_content_policy);
            failures.push(StatusFailure { line: line.into(), state: state.clone(), error, content_policy });
        }
        if let Value::Object(done) = row.get::<_, Value>(3) {
            let mut outputs: Vec<(usize, Value)> =
                done.into_iter().filter_map(|(k, v)| Some((k.parse::<usize>().ok()?, v))).collect();
            outputs.sort_by_key(|(k, _)| *k);
            for (output, entry) in outputs {
                if let Ok(cost) = serde_json::from_value::<Cost>(entry["cost"].clone()) {
                    *costs.entry(cost.currency.clone()).or_default() += cost.amount;
                }
                let text = |key: &str| entry[key].as_str().map(str::to_string);
                files.push(StatusFile {
                    line: line.into(),
                    // Numbered from 1, as the files are (the ledger keys them from 0).
                    output: output + 1,
                    file: text("file"),
                    out_dir: text("out_dir"),
                    host: text("host"),
                    worker: text("worker"),
                });
            }
        }
    }
    let mut text =
        vec![format!("batch {batch_id} ({}, {lines} lines, since {created})", clean(file.as_deref().unwrap_or("-")))];
    text.push(format!("{} · {in_flight} held by workers", totals_line(&totals)));
    text.extend(cost_line(&costs));
    text.push(format!("workers ({}):", workers.len()));
    for w in &workers {
        text.push(format!(
            "  {} {} on {} (pid {}): {} lines done, {} held, last heartbeat {} s ago, files in {}",
            w.state,
            clean(&w.worker),
            clean(&w.host),
            w.pid,
            w.lines_done,
            w.lines_held,
            w.last_heartbeat_seconds_ago,
            clean(&w.out_dir)
        ));
    }
    text.extend(failure_lines(&failures));
    text.push(format!("files: {} written (the list: --json)", files.len()));
    let report = BatchStatusReport {
        batch_id: Some(batch_id),
        file,
        created_at: created.parse().ok(),
        lines: lines.into(),
        totals,
        in_flight,
        workers,
        failures,
        files,
        total_cost: crate::vocabulary::totals(&costs),
    };
    Ok(Report::typed(text, &report))
}
