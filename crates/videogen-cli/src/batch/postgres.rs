//! The batch ledger on PostgreSQL (`videogen batch FILE --ledger postgres://…`): any number of
//! workers, on any number of machines, run one batch together and every line is paid for once.
//!
//! - **Lines** (`videogen_lines`): one row per line of the batch (keyed by batch id and the
//!   line's fingerprint key), with its state (`pending` → `submitting` → `submitted` → `done`,
//!   or `failed` / `refused` / `unknown`), the create's idempotency key, the jobs, the outputs
//!   written (file, folder, host and worker) and their reported costs.
//! - **Claiming**: a worker takes the first free line with `SELECT … FOR UPDATE SKIP LOCKED`
//!   and holds it under a lease (`owner`, `lease_until`, on the database's clock) that its
//!   heartbeat renews every third of the lease. A line whose lease ran out is free again: the
//!   next worker resumes it from what the ledger says — a `submitted` line from its jobs
//!   (never created again), a `submitting` line through the lookup of a lost create.
//! - **Fencing**: every write of a line's state names its owner; a worker whose line was taken
//!   over gets no row back and stops working on it.
//! - **Outages**: a lost connection is made again with backoff and the statement run again
//!   (every one is safe to repeat), so a database that restarts within a worker's lease costs a
//!   pause, not the batch; jobs in flight go on meanwhile. A worker whose lease ran out unrenewed
//!   refuses every ledger call and ends with exit 1 (its lines go to the others or a rerun).
//! - **Limits**: the intent (`submitting`) is committed under a per-provider advisory lock that
//!   also checks the provider's pause (`videogen_providers.paused_until`, set by any worker
//!   that got a 429) and the cap on creates in flight across all workers.
//! - **Jobs** (`videogen_jobs`): every job some line owns, so a lookup never adopts another
//!   line's job, whatever worker or batch made it.
//! - **Migrations**: versioned (`videogen_migrations`), applied by the first worker under an
//!   advisory lock; a ledger newer than this `videogen` is refused.

use super::Item;
use super::ledger::{BoxFuture, Claimed, CreateSlot, Ledger, LineEvent, LineState, Written};
use crate::exit::CliError;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_postgres::{Client, Transaction};
use videogen::{Job, Provider};

/// The schema, one entry per version; a version once released is never edited.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
CREATE TABLE videogen_batches (
    batch_id text PRIMARY KEY,
    lines integer NOT NULL,
    file text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE videogen_lines (
    batch_id text NOT NULL REFERENCES videogen_batches ON DELETE CASCADE,
    key text NOT NULL,
    line_no integer NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    prompt text,
    outputs integer NOT NULL,
    outs jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending',
    owner text,
    lease_until timestamptz,
    idempotency_key text,
    submitting_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    jobs jsonb NOT NULL DEFAULT '[]',
    done jsonb NOT NULL DEFAULT '{}',
    error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, key)
);
CREATE INDEX videogen_lines_free ON videogen_lines (batch_id, state, line_no);
CREATE INDEX videogen_lines_in_flight ON videogen_lines (provider, state) WHERE state = 'submitting';
CREATE TABLE videogen_jobs (
    provider text NOT NULL,
    job_id text NOT NULL,
    batch_id text NOT NULL,
    key text NOT NULL,
    PRIMARY KEY (provider, job_id)
);
CREATE TABLE videogen_workers (
    batch_id text NOT NULL REFERENCES videogen_batches ON DELETE CASCADE,
    worker_id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    out_dir text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at timestamptz,
    lines_done integer NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, worker_id)
);
CREATE TABLE videogen_providers (
    provider text PRIMARY KEY,
    paused_until timestamptz NOT NULL
);
"#,
)];

/// How often a worker with no free line looks again while other workers hold lines: 0.5 s
/// (or a third of the lease, when shorter).
const HELD_LINES_RECHECK: Duration = Duration::from_millis(500);

/// How a worker runs on the ledger.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How long a claimed line stays this worker's without a heartbeat.
    pub lease: Duration,
    /// At most this many creates in flight per provider, across all workers (`None`: no cap).
    pub max_creates_in_flight: Option<usize>,
    /// Also claim lines whose create was refused (`--retry-failed`).
    pub retry_refused: bool,
    /// Also claim lines whose job failed (`--retry-failed-jobs`).
    pub retry_failed_jobs: bool,
    /// The folder this worker writes its files to (recorded with each file).
    pub out_dir: PathBuf,
}

/// A worker's connection to the ledger.
pub struct PgLedger {
    /// The ledger's connection; `None` while it is lost (made again by `through_outages!`).
    client: tokio::sync::Mutex<Option<Client>>,
    url: String,
    /// Set by the heartbeat when this worker's lease ran out unrenewed (the database stayed
    /// unreachable): its lines may be another's now, so every ledger call refuses.
    lease_lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
    batch_id: String,
    worker_id: String,
    host: String,
    options: WorkerOptions,
    /// Item keys → index in the batch.
    index: HashMap<String, usize>,
    /// The keys of this worker's file: it takes only these lines (a batch id given to an
    /// edited file also holds the lines of the earlier version, which this worker leaves).
    keys: Vec<String>,
    /// Lines this worker took in this run; it does not take them again (a line it stopped on
    /// is left to the others, or to a rerun).
    tried: Mutex<HashSet<String>>,
    heartbeat: tokio::task::JoinHandle<()>,
    /// Nanoseconds spent in ledger statements ([`PgLedger::busy_time`]).
    busy_nanos: std::sync::atomic::AtomicU64,
}

/// Adds the time from its making to its drop to a total.
struct Busy<'a> {
    since: Instant,
    total: &'a std::sync::atomic::AtomicU64,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let nanos = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.total.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
    }
}

fn db(context: &str) -> impl Fn(tokio_postgres::Error) -> CliError + '_ {
    move |e| {
        let detail = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
        CliError::failed(format!("the ledger: {context}: {detail}"))
    }
}

/// Connects to the PostgreSQL at `url` (TLS through rustls with the platform's roots when the
/// URL's `sslmode` asks for or prefers it), driving the connection on the runtime.
pub async fn connect(url: &str) -> Result<Client, CliError> {
    videogen_transport::install_crypto_provider();
    use rustls_platform_verifier::ConfigVerifierExt;
    let tls_config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| CliError::failed(format!("the ledger: TLS setup: {e}")))?;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
    let (client, connection) = tokio_postgres::connect(url, tls).await.map_err(db("connecting"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "the ledger's connection ended");
        }
    });
    Ok(client)
}

/// Checks, without changing anything, that the ledger's schema is the one this `videogen`
/// reads (for `batch status`: a read never migrates).
///
/// # Errors
/// No ledger tables yet ("holds no batch"), or a schema older or newer than this `videogen`'s.
pub async fn check_schema(client: &Client) -> Result<(), CliError> {
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    let exists: bool = client
        .query_one("SELECT to_regclass('videogen_migrations') IS NOT NULL", &[])
        .await
        .map_err(db("reading the schema"))?
        .get(0);
    if !exists {
        return Err(CliError::usage("the ledger holds no batch yet (no videogen tables in this database)"));
    }
    let version: Option<i32> = client
        .query_one("SELECT max(version) FROM videogen_migrations", &[])
        .await
        .map_err(db("reading the schema"))?
        .get(0);
    match version.unwrap_or(0) {
        v if v == known => Ok(()),
        v if v > known => Err(CliError::failed(format!(
            "the ledger's schema is version {v}, newer than this videogen knows ({known}); upgrade videogen"
        ))),
        v => Err(CliError::failed(format!(
            "the ledger's schema is version {v}, older than this videogen's ({known}); a worker of this videogen migrates it when it joins a batch"
        ))),
    }
}

/// Applies the migrations this ledger lacks, one worker at a time.
///
/// # Errors
/// A ledger whose schema is newer than this `videogen`'s, or a failed statement.
pub async fn migrate(client: &mut Client) -> Result<(), CliError> {
    let tx = client.transaction().await.map_err(db("migrating"))?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('videogen.migrate'))", &[]).await.map_err(db("migrating"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS videogen_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(db("migrating"))?;
    let applied: HashSet<i32> = tx
        .query("SELECT version FROM videogen_migrations", &[])
        .await
        .map_err(db("migrating"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if let Some(newer) = applied.iter().filter(|v| **v > known).max() {
        return Err(CliError::failed(format!(
            "the ledger's schema is version {newer}, newer than this videogen knows ({known}); upgrade videogen"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !applied.contains(v)) {
        tx.batch_execute(sql).await.map_err(db("migrating"))?;
        tx.execute("INSERT INTO videogen_migrations (version) VALUES ($1)", &[version])
            .await
            .map_err(db("migrating"))?;
    }
    tx.commit().await.map_err(db("migrating"))
}

/// This machine's host name (for the ledger's record of who wrote which file).
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    if name.is_empty() { "localhost".into() } else { name }
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// How long one attempt to connect to the ledger may take during an outage: 2 seconds.
const RECONNECT_LIMIT: Duration = Duration::from_secs(2);

/// Runs `$body` (an async call on `$client: &mut Client`) on the ledger's connection. When the
/// connection is lost (the database restarted, crashed or is unreachable), it is made again
/// with backoff (0.25 s doubling to 2 s) and `$body` runs again, for as long as this worker's
/// lease lasts; past it the last error is returned. Every statement run this way is safe to run
/// again: writes are fenced by ownership and set states rather than add to them.
macro_rules! through_outages {
    ($self:ident, |$client:ident| $body:expr) => {{
        let mut outage: Option<Instant> = None;
        let mut pause = Duration::from_millis(250);
        loop {
            $self.check_lease()?;
            let mut guard = $self.client.lock().await;
            if guard.as_ref().is_none_or(Client::is_closed) {
                *guard = tokio::time::timeout(RECONNECT_LIMIT, connect(&$self.url)).await.ok().and_then(Result::ok);
            }
            let lost = match guard.as_mut() {
                Some($client) => {
                    let result = $body.await;
                    match result {
                        Err(e) if $client.is_closed() => e,
                        other => break other,
                    }
                }
                None => CliError::failed("the ledger: the database is unreachable"),
            };
            *guard = None;
            drop(guard);
            let since = *outage.get_or_insert_with(Instant::now);
            if since.elapsed() >= $self.options.lease {
                break Err(lost);
            }
            tracing::warn!(error = %lost.message, "the ledger's connection is lost; reconnecting");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }};
}

/// What one claim attempt found.
enum Claim {
    /// A line for this worker.
    Line(Claimed),
    /// Other workers hold the lines left: look again soon.
    Held,
    /// Nothing left for this worker.
    Done,
}

impl PgLedger {
    /// Fails once the heartbeat found this worker's lease run out.
    fn check_lease(&self) -> Result<(), CliError> {
        if self.lease_lost.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CliError::failed(format!(
                "the ledger: this worker's lease ran out while the database was unreachable (over {:.0} s); its lines are left to the other workers or a rerun",
                self.options.lease.as_secs_f64()
            )));
        }
        Ok(())
    }

    /// Joins batch `batch_id` (registering it and its lines if this worker is the first) as a
    /// new worker, and starts the heartbeat.
    pub async fn join(
        url: &str,
        batch_id: &str,
        file: &str,
        items: &[Item],
        options: WorkerOptions,
    ) -> Result<Self, CliError> {
        let mut client = connect(url).await?;
        migrate(&mut client).await?;
        let host = host_name();
        let worker_id = format!("{host}-{}-{:04x}", std::process::id(), rand_u16());
        let tx = client.transaction().await.map_err(db("registering the batch"))?;
        let count = items.len() as i32;
        tx.execute(
            "INSERT INTO videogen_batches (batch_id, lines, file) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&batch_id, &count, &file],
        )
        .await
        .map_err(db("registering the batch"))?;
        let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
        let numbers: Vec<i32> = items.iter().map(|i| i.number as i32).collect();
        let providers: Vec<&str> = items.iter().map(|i| i.request.provider.as_str()).collect();
        let models: Vec<&str> = items.iter().map(|i| i.request.model.as_str()).collect();
        let prompts: Vec<Option<&str>> = items.iter().map(|i| i.request.prompt.as_deref()).collect();
        let outputs: Vec<i32> = items.iter().map(|i| i.outs.len() as i32).collect();
        let outs: Vec<Value> = items.iter().map(|i| json!(i.outs)).collect();
        tx.execute(
            "INSERT INTO videogen_lines (batch_id, key, line_no, provider, model, prompt, outputs, outs)
             SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::jsonb[])
             ON CONFLICT DO NOTHING",
            &[&batch_id, &keys, &numbers, &providers, &models, &prompts, &outputs, &outs],
        )
        .await
        .map_err(db("registering the lines"))?;
        let out_dir = options.out_dir.to_string_lossy().into_owned();
        let pid = std::process::id() as i32;
        tx.execute(
            "INSERT INTO videogen_workers (batch_id, worker_id, host, pid, out_dir) VALUES ($1, $2, $3, $4, $5)",
            &[&batch_id, &worker_id, &host, &pid, &out_dir],
        )
        .await
        .map_err(db("registering the worker"))?;
        tx.commit().await.map_err(db("registering the batch"))?;
        let lease_lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(
            url.to_string(),
            batch_id.to_string(),
            worker_id.clone(),
            options.lease,
            lease_lost.clone(),
        ));
        let index = items.iter().enumerate().map(|(i, item)| (item.key.clone(), i)).collect();
        let keys = items.iter().map(|i| i.key.clone()).collect();
        Ok(Self {
            client: tokio::sync::Mutex::new(Some(client)),
            url: url.to_string(),
            lease_lost,
            batch_id: batch_id.to_string(),
            worker_id,
            host,
            options,
            index,
            keys,
            tried: Mutex::new(HashSet::new()),
            heartbeat,
            busy_nanos: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// This worker's id in the ledger (`host-pid-random`).
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The batch's id.
    pub fn batch_id(&self) -> &str {
        &self.batch_id
    }

    /// The time this worker's lines spent in ledger statements so far (claim, intent, each
    /// step, release; not the waits for a pause or a free slot).
    pub fn busy_time(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn busy(&self) -> Busy<'_> {
        Busy { since: Instant::now(), total: &self.busy_nanos }
    }

    /// The states a line may be claimed in.
    fn claimable(&self) -> Vec<&'static str> {
        let mut states = vec!["pending", "submitting", "submitted", "unknown"];
        if self.options.retry_refused {
            states.push("refused");
        }
        if self.options.retry_failed_jobs {
            states.push("failed");
        }
        states
    }

    /// The next line: the first free one in file order; while none is free but live workers
    /// hold some, waits (their leases may run out).
    pub async fn claim(&self) -> Result<Option<Claimed>, CliError> {
        loop {
            match through_outages!(self, |client| self.claim_once(client))? {
                Claim::Line(claimed) => return Ok(Some(claimed)),
                Claim::Done => return Ok(None),
                // Lines held by other workers end soon, or their leases run out: look again.
                Claim::Held => tokio::time::sleep((self.options.lease / 3).min(HELD_LINES_RECHECK)).await,
            }
        }
    }

    /// One look for a free line. A line this worker owns but has not taken in this run (a claim
    /// whose commit was cut by an outage) is free to it.
    async fn claim_once(&self, client: &mut Client) -> Result<Claim, CliError> {
        let states = self.claimable();
        let lease = seconds(self.options.lease);
        loop {
            let tried: Vec<String> = self.tried.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
            let busy = self.busy();
            let row = client
                .query_opt(
                    "WITH next AS (
                        SELECT key FROM videogen_lines
                        WHERE batch_id = $1 AND state = ANY($2) AND NOT (key = ANY($3)) AND key = ANY($6)
                          AND (owner IS NULL OR lease_until < now() OR owner = $4)
                        ORDER BY line_no
                        LIMIT 1
                        FOR UPDATE SKIP LOCKED)
                     UPDATE videogen_lines l
                        SET owner = $4, lease_until = now() + make_interval(secs => $5), updated_at = now()
                       FROM next
                      WHERE l.batch_id = $1 AND l.key = next.key
                  RETURNING l.key, l.state, l.idempotency_key, l.submitting_at, l.jobs, l.done, l.error",
                    &[&self.batch_id, &states, &tried, &self.worker_id, &lease, &self.keys],
                )
                .await
                .map_err(db("claiming a line"))?;
            if let Some(row) = row {
                let key: String = row.get(0);
                self.tried.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone());
                let Some(&index) = self.index.get(&key) else { continue };
                let state = line_state(
                    row.get(1),
                    row.get(2),
                    row.get(3),
                    row.get(4),
                    row.get(5),
                    row.get(6),
                    &self.options.out_dir,
                );
                return Ok(Claim::Line(Claimed { index, state }));
            }
            let held: i64 = client
                .query_one(
                    "SELECT count(*) FROM videogen_lines
                      WHERE batch_id = $1 AND state = ANY($2) AND NOT (key = ANY($3)) AND key = ANY($4)",
                    &[&self.batch_id, &states, &tried, &self.keys],
                )
                .await
                .map_err(db("reading the batch"))?
                .get(0);
            drop(busy);
            return Ok(if held == 0 { Claim::Done } else { Claim::Held });
        }
    }

    /// Applies `event` to the line's row, fenced by this worker's ownership.
    pub async fn record(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        through_outages!(self, |client| self.record_once(client, item, event))
    }

    async fn record_once(&self, client: &mut Client, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        let _busy = self.busy();
        let tx = client.transaction().await.map_err(db("recording"))?;
        let fence = "batch_id = $1 AND key = $2 AND owner = $3";
        let base: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&self.batch_id, &item.key, &self.worker_id];
        let updated = match event {
            LineEvent::Submitted { jobs } => {
                let n = self.mark_submitted(&tx, item, jobs).await?;
                for job in jobs {
                    if !self.own_job(&tx, item, job).await? {
                        tracing::warn!(job = %job.short_form(), line = item.number, "the job is owned by another line too");
                    }
                }
                n
            }
            LineEvent::RateLimited { .. } => tx
                .execute(
                    &format!(
                        "UPDATE videogen_lines SET state = 'pending', submitting_at = NULL, updated_at = now() WHERE {fence}"
                    ),
                    &base,
                )
                .await
                .map_err(db("recording"))?,
            LineEvent::Refused { error, .. } | LineEvent::Unknown { error } | LineEvent::Failed { error, .. } => {
                let state = match event {
                    LineEvent::Refused { .. } => "refused",
                    LineEvent::Unknown { .. } => "unknown",
                    _ => "failed",
                };
                tx.execute(
                    &format!("UPDATE videogen_lines SET state = $4, error = $5, updated_at = now() WHERE {fence}"),
                    &[base[0], base[1], base[2], &state, error],
                )
                .await
                .map_err(db("recording"))?
            }
            LineEvent::Done { output, file, cost, bytes, sha256, simulated, at, poster } => {
                let entry = json!({
                    "at": at,
                    "poster": poster,
                    "file": file,
                    "out_dir": self.options.out_dir.to_string_lossy(),
                    "host": self.host,
                    "worker": self.worker_id,
                    "cost": cost,
                    "bytes": bytes,
                    "sha256": sha256,
                    "simulated": simulated,
                });
                let output = output.to_string();
                let row = tx
                    .query_opt(
                        &format!(
                            "UPDATE videogen_lines
                                SET done = done || jsonb_build_object($4::text, $5::jsonb),
                                    state = CASE WHEN (SELECT count(*) FROM jsonb_object_keys(done || jsonb_build_object($4::text, $5::jsonb))) >= outputs
                                                 THEN 'done' ELSE state END,
                                    updated_at = now()
                              WHERE {fence}
                          RETURNING state"
                        ),
                        &[base[0], base[1], base[2], &output, &entry],
                    )
                    .await
                    .map_err(db("recording a file"))?;
                // The worker's count is of lines: it counts when the line's last output is written.
                if row.as_ref().is_some_and(|r| r.get::<_, String>(0) == "done") {
                    tx.execute(
                        "UPDATE videogen_workers SET lines_done = lines_done + 1 WHERE batch_id = $1 AND worker_id = $2",
                        &[&self.batch_id, &self.worker_id],
                    )
                    .await
                    .map_err(db("recording a file"))?;
                }
                u64::from(row.is_some())
            }
            // Written by begin_create; the others are not kept.
            LineEvent::Submitting { .. }
            | LineEvent::Skipped
            | LineEvent::Status { .. }
            | LineEvent::Stopped { .. } => 1,
        };
        if updated == 0 {
            // Not ours any more: nothing of this step is kept.
            drop(tx);
            return Err(self.taken_over(item));
        }
        tx.commit().await.map_err(db("recording"))
    }

    fn taken_over(&self, item: &Item) -> CliError {
        CliError::failed(format!(
            "line {}: another worker took it over (this worker's lease ran out); left to it",
            item.number
        ))
    }

    /// Waits for the provider's pause and a free create slot, then commits the intent.
    pub async fn begin_create(&self, item: &Item, idempotency_key: &str) -> Result<CreateSlot, CliError> {
        loop {
            match through_outages!(self, |client| self.begin_create_once(client, item, idempotency_key))? {
                Ok(slot) => return Ok(slot),
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// One try at the intent: the slot, or how long to wait (a pause, or the cap reached).
    async fn begin_create_once(
        &self,
        client: &mut Client,
        item: &Item,
        idempotency_key: &str,
    ) -> Result<Result<CreateSlot, Duration>, CliError> {
        let provider = item.request.provider.as_str();
        let cap = self.options.max_creates_in_flight.map(|c| c as i64);
        {
            let busy = self.busy();
            let tx = client.transaction().await.map_err(db("opening a create"))?;
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('videogen.create:' || $1::text))", &[&provider])
                .await
                .map_err(db("opening a create"))?;
            let paused: Option<f64> = tx
                .query_opt(
                    "SELECT extract(epoch FROM paused_until - now())::float8 FROM videogen_providers WHERE provider = $1 AND paused_until > now()",
                    &[&provider],
                )
                .await
                .map_err(db("opening a create"))?
                .map(|r| r.get(0));
            let wait = if let Some(secs) = paused {
                Some(Duration::from_secs_f64(secs.clamp(0.01, videogen::MAX_RETRY_AFTER.as_secs_f64())))
            } else if let Some(cap) = cap {
                let in_flight: i64 = tx
                    .query_one(
                        "SELECT count(*) FROM videogen_lines WHERE provider = $1 AND state = 'submitting' AND lease_until > now()",
                        &[&provider],
                    )
                    .await
                    .map_err(db("opening a create"))?
                    .get(0);
                (in_flight >= cap).then_some(Duration::from_millis(100))
            } else {
                None
            };
            if let Some(wait) = wait {
                drop(tx);
                drop(busy);
                return Ok(Err(wait));
            }
            let at = Utc::now();
            let n = tx
                .execute(
                    "UPDATE videogen_lines
                        SET state = 'submitting', submitting_at = $4, idempotency_key = $5, attempts = attempts + 1,
                            jobs = '[]', done = '{}', error = NULL, updated_at = now()
                      WHERE batch_id = $1 AND key = $2 AND owner = $3",
                    &[&self.batch_id, &item.key, &self.worker_id, &at, &idempotency_key],
                )
                .await
                .map_err(db("recording a create"))?;
            if n == 0 {
                return Err(self.taken_over(item));
            }
            tx.commit().await.map_err(db("recording a create"))?;
            Ok(Ok(CreateSlot::new(at)))
        }
    }

    /// Pauses `provider`'s creates for every worker for `wait`.
    pub async fn rate_limited(&self, provider: Provider, wait: Duration) -> Result<(), CliError> {
        through_outages!(self, |client| self.rate_limited_once(client, provider, wait))
    }

    async fn rate_limited_once(&self, client: &mut Client, provider: Provider, wait: Duration) -> Result<(), CliError> {
        let _busy = self.busy();
        client
            .execute(
                "INSERT INTO videogen_providers (provider, paused_until) VALUES ($1, now() + make_interval(secs => $2))
                 ON CONFLICT (provider) DO UPDATE SET paused_until = GREATEST(videogen_providers.paused_until, EXCLUDED.paused_until)",
                &[&provider.as_str(), &seconds(wait)],
            )
            .await
            .map_err(db("pausing the provider"))?;
        Ok(())
    }

    /// Takes up to one unowned candidate per output and records them, in one transaction.
    pub async fn adopt(&self, item: &Item, candidates: Vec<Job>) -> Result<Vec<Job>, CliError> {
        through_outages!(self, |client| self.adopt_once(client, item, &candidates))
    }

    async fn adopt_once(&self, client: &mut Client, item: &Item, candidates: &[Job]) -> Result<Vec<Job>, CliError> {
        let _busy = self.busy();
        let tx = client.transaction().await.map_err(db("adopting a job"))?;
        let mut taken = Vec::new();
        for job in candidates.iter().cloned() {
            if taken.len() == item.outs.len() {
                break;
            }
            if self.own_job(&tx, item, &job).await? {
                taken.push(job);
            }
        }
        if taken.is_empty() {
            return Ok(taken);
        }
        if self.mark_submitted(&tx, item, &taken).await? == 0 {
            return Err(self.taken_over(item));
        }
        tx.commit().await.map_err(db("adopting a job"))?;
        Ok(taken)
    }

    /// Moves the line to `submitted` with `jobs`, fenced by this worker's ownership; the rows
    /// changed (0: another worker took the line over).
    async fn mark_submitted(&self, tx: &Transaction<'_>, item: &Item, jobs: &[Job]) -> Result<u64, CliError> {
        tx.execute(
            "UPDATE videogen_lines SET state = 'submitted', jobs = $4, submitting_at = NULL, updated_at = now()
              WHERE batch_id = $1 AND key = $2 AND owner = $3",
            &[&self.batch_id, &item.key, &self.worker_id, &json!(jobs)],
        )
        .await
        .map_err(db("recording the jobs"))
    }

    /// Records that `item`'s line owns `job`, so no lookup adopts it for another line; false
    /// when a line owns it already.
    async fn own_job(&self, tx: &Transaction<'_>, item: &Item, job: &Job) -> Result<bool, CliError> {
        let inserted = tx
            .execute(
                "INSERT INTO videogen_jobs (provider, job_id, batch_id, key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&job.provider.as_str(), &job.id, &self.batch_id, &item.key],
            )
            .await
            .map_err(db("recording the jobs"))?;
        if inserted == 1 {
            return Ok(true);
        }
        // Already this line's (a step run again after its commit was cut by an outage)?
        let mine = tx
            .query_opt(
                "SELECT 1 FROM videogen_jobs WHERE provider = $1 AND job_id = $2 AND batch_id = $3 AND key = $4",
                &[&job.provider.as_str(), &job.id, &self.batch_id, &item.key],
            )
            .await
            .map_err(db("recording the jobs"))?;
        Ok(mine.is_some())
    }

    /// Gives the line back (its state stays as recorded).
    pub async fn release(&self, item: &Item) -> Result<(), CliError> {
        through_outages!(self, |client| self.release_once(client, item))
    }

    async fn release_once(&self, client: &mut Client, item: &Item) -> Result<(), CliError> {
        let _busy = self.busy();
        client
            .execute(
                "UPDATE videogen_lines SET owner = NULL, lease_until = NULL WHERE batch_id = $1 AND key = $2 AND owner = $3",
                &[&self.batch_id, &item.key, &self.worker_id],
            )
            .await
            .map_err(db("releasing a line"))?;
        Ok(())
    }

    /// Stops the heartbeat and marks the worker stopped.
    pub async fn close(&self) -> Result<(), CliError> {
        self.heartbeat.abort();
        through_outages!(self, |client| self.close_once(client))
    }

    async fn close_once(&self, client: &mut Client) -> Result<(), CliError> {
        client
            .execute(
                "UPDATE videogen_lines SET owner = NULL, lease_until = NULL WHERE batch_id = $1 AND owner = $2",
                &[&self.batch_id, &self.worker_id],
            )
            .await
            .map_err(db("stopping"))?;
        client
            .execute(
                "UPDATE videogen_workers SET stopped_at = now(), heartbeat_at = now() WHERE batch_id = $1 AND worker_id = $2",
                &[&self.batch_id, &self.worker_id],
            )
            .await
            .map_err(db("stopping"))?;
        Ok(())
    }
}

impl Ledger for PgLedger {
    fn claim(&self) -> BoxFuture<'_, Result<Option<Claimed>, CliError>> {
        Box::pin(PgLedger::claim(self))
    }

    fn keep<'a>(&'a self, item: &'a Item, event: &'a LineEvent) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(PgLedger::record(self, item, event))
    }

    fn begin_create<'a>(
        &'a self,
        item: &'a Item,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<CreateSlot, CliError>> {
        Box::pin(PgLedger::begin_create(self, item, idempotency_key))
    }

    fn rate_limited(&self, provider: Provider, wait: Duration) -> BoxFuture<'_, Result<(), CliError>> {
        Box::pin(PgLedger::rate_limited(self, provider, wait))
    }

    fn adopt<'a>(&'a self, item: &'a Item, candidates: Vec<Job>) -> BoxFuture<'a, Result<Vec<Job>, CliError>> {
        Box::pin(async move { PgLedger::adopt(self, item, candidates).await })
    }

    fn release<'a>(&'a self, item: &'a Item) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(PgLedger::release(self, item))
    }

    fn describe(&self) -> Option<Value> {
        Some(json!({
            "kind": "postgres",
            "batch_id": self.batch_id(),
            "worker": self.worker_id(),
            "statement_seconds": self.busy_time().as_secs_f64(),
        }))
    }

    fn close(&self) -> BoxFuture<'_, Result<(), CliError>> {
        Box::pin(PgLedger::close(self))
    }
}

impl Drop for PgLedger {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// Renews the worker's leases every third of the lease, on a connection of its own; while it
/// cannot (the database restarting or unreachable), it tries again every second. When a sixth of
/// the lease is all that is left unrenewed, it gives up: it sets `lost`, and every ledger call of
/// the worker refuses from then on (the command ends; no background task exits the process).
/// Before that, nothing stops: jobs in flight go on, and the worker carries on when the
/// database is back.
async fn heartbeat(
    url: String,
    batch_id: String,
    worker_id: String,
    lease: Duration,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let mut client: Option<Client> = None;
    let mut renewed = Instant::now();
    let mut ok = true;
    loop {
        tokio::time::sleep(if ok { lease / 3 } else { (lease / 10).min(Duration::from_secs(1)) }).await;
        // Each try is cut at a quarter of the lease, so a hung connection cannot outlast it.
        let limit = lease / 4;
        if client.as_ref().is_none_or(Client::is_closed) {
            client = tokio::time::timeout(limit, connect(&url)).await.ok().and_then(Result::ok);
        }
        ok = match &client {
            Some(c) => matches!(tokio::time::timeout(limit, renew(c, &batch_id, &worker_id, lease)).await, Ok(Ok(()))),
            None => false,
        };
        if ok {
            renewed = Instant::now();
            continue;
        }
        client = None;
        if renewed.elapsed() > lease.mul_f64(5.0 / 6.0) {
            crate::output::err(&format!(
                "error: the ledger could not renew this worker's lease for {:.0} s; stopping its lines before another worker may take them over",
                renewed.elapsed().as_secs_f64()
            ));
            lost.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        }
    }
}

async fn renew(client: &Client, batch_id: &str, worker_id: &str, lease: Duration) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "UPDATE videogen_lines SET lease_until = now() + make_interval(secs => $3) WHERE batch_id = $1 AND owner = $2",
            &[&batch_id, &worker_id, &seconds(lease)],
        )
        .await?;
    client
        .execute(
            "UPDATE videogen_workers SET heartbeat_at = now() WHERE batch_id = $1 AND worker_id = $2",
            &[&batch_id, &worker_id],
        )
        .await?;
    Ok(())
}

/// A line's state from its row. Outputs written in another folder count as done (another
/// worker wrote them, perhaps on another machine); those written in this worker's folder
/// count when the file is still there.
pub(crate) fn line_state(
    state: String,
    idempotency_key: Option<String>,
    submitting_at: Option<DateTime<Utc>>,
    jobs: Value,
    done: Value,
    error: Option<String>,
    out_dir: &std::path::Path,
) -> LineState {
    let mut line =
        LineState { idempotency_key, jobs: serde_json::from_value(jobs).unwrap_or_default(), ..LineState::default() };
    match state.as_str() {
        "submitting" => line.submitting_at = submitting_at.or(Some(Utc::now())),
        "unknown" => {
            line.submitting_at = submitting_at;
            line.unknown = true;
        }
        "failed" => line.failed = Some(error.unwrap_or_default()),
        "refused" => line.refused = Some((error.unwrap_or_default(), crate::exit::ExitCode::Failed)),
        _ => {}
    }
    if let Value::Object(outputs) = done {
        for (output, entry) in outputs {
            let (Ok(output), Some(file)) = (output.parse::<usize>(), entry["file"].as_str()) else { continue };
            let here = entry["out_dir"].as_str().is_some_and(|d| std::path::Path::new(d) == out_dir);
            // Whether a file in this folder still holds the output is the runner's check.
            line.done.insert(
                output,
                Written {
                    file: file.to_string(),
                    cost: serde_json::from_value(entry["cost"].clone()).ok(),
                    bytes: entry["bytes"].as_u64(),
                    sha256: entry["sha256"].as_str().map(str::to_string),
                    simulated: entry["simulated"].as_bool().unwrap_or(false),
                    elsewhere: !here,
                    at: serde_json::from_value(entry["at"].clone()).ok(),
                    poster: entry["poster"].as_str().map(str::to_string),
                },
            );
        }
    }
    line
}

/// A random 16-bit number (for worker ids), from the clock and the process id.
fn rand_u16() -> u16 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    (nanos ^ std::process::id().rotate_left(16)) as u16
}
