//! Fault injection: which request gets which fault, deterministically.

use crate::Provider;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::str::FromStr;

/// What goes wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// 429 with `Retry-After: <secs>` and the provider's error body; the request is not processed.
    RateLimited { retry_after_secs: u64 },
    /// A 5xx status (500, 502, 503, …) with the provider's error body; not processed.
    ServerError { status: u16 },
    /// The connection is reset before the request is processed: no side effect, no response.
    ResetBeforeResponse,
    /// The request is processed (a create creates its job) and then the connection is reset
    /// before any response: the client cannot know the outcome.
    ResetAfterProcessing,
    /// Status and headers are sent, then half the body, then nothing more (the connection stays open).
    StallBody,
    /// `Content-Length` announces the whole body, half is sent, then the connection closes.
    TruncatedBody,
    /// A 200 whose JSON body is cut in half.
    MalformedJson,
    /// On a create: the job runs and then fails with the provider's generic error.
    JobFails,
    /// On a create: the job runs and then fails with the provider's content-policy error.
    ContentPolicy,
    /// On a status read of a finished job: 404, as if the job had expired (older Oxen docs: rows
    /// of finished jobs disappear after 24 h).
    GoneWhenFinished,
}

impl FaultKind {
    /// The kind's name in [`crate::Counters::faults_by_kind`]: `rate_limited`, `server_error`,
    /// `reset_before_response`, `reset_after_processing`, `stall_body`, `truncated_body`,
    /// `malformed_json`, `job_fails`, `content_policy`, `gone_when_finished`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimited { .. } => "rate_limited",
            FaultKind::ServerError { .. } => "server_error",
            FaultKind::ResetBeforeResponse => "reset_before_response",
            FaultKind::ResetAfterProcessing => "reset_after_processing",
            FaultKind::StallBody => "stall_body",
            FaultKind::TruncatedBody => "truncated_body",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::JobFails => "job_fails",
            FaultKind::ContentPolicy => "content_policy",
            FaultKind::GoneWhenFinished => "gone_when_finished",
        }
    }
}

/// Which of the matching requests get the fault. Request numbers count, per rule, the requests
/// that match its provider and operation, from 1.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Every matching request.
    Always,
    /// The first `n` matching requests.
    First(u32),
    /// The listed request numbers.
    Nth(Vec<u32>),
    /// Each matching request with this probability, from the seeded random source.
    Probability(f64),
}

/// One fault rule: provider and operation (`None`: any), what happens, and when.
///
/// Operations are the specs' operationIds (`enqueue_generation`, `get_queue_generation`,
/// `generate_video`, `get_async_response`, `createVideo`, `GetVideo`, `RetrieveVideoContent`, …)
/// plus `download` for result URLs and `events` for Oxen.ai's event stream (where `reset-after`
/// accepts the stream and closes it at once).
///
/// Parsed from `<provider|*>:<operation|*>:<kind>[:<schedule>]`, where kind is `429[=secs]`,
/// a 5xx code, `reset-before`, `reset-after`, `stall`, `truncate`, `malformed-json`, `job-fails`,
/// `content-policy` or `gone-when-finished`, and schedule is `always` (default), `first=N`,
/// `nth=A,B` or `p=0.25`:
///
/// ```
/// use videogen_sim::{FaultKind, FaultRule, Provider, Schedule};
/// let rule: FaultRule = "openai:createVideo:reset-after:first=1".parse().unwrap();
/// assert_eq!(rule.provider, Some(Provider::OpenAi));
/// assert_eq!(rule.kind, FaultKind::ResetAfterProcessing);
/// assert_eq!(rule.schedule, Schedule::First(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    pub provider: Option<Provider>,
    pub operation: Option<String>,
    pub kind: FaultKind,
    pub schedule: Schedule,
}

impl FaultRule {
    /// A rule for `provider`'s `operation` that fires on every matching request.
    pub fn new(provider: Provider, operation: &str, kind: FaultKind) -> Self {
        Self { provider: Some(provider), operation: Some(operation.to_string()), kind, schedule: Schedule::Always }
    }

    /// The same rule with another schedule.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }
}

impl FromStr for FaultRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(format!("fault {s:?}: expected <provider|*>:<operation|*>:<kind>[:<schedule>]"));
        }
        let provider = match parts[0] {
            "*" => None,
            p => Some(p.parse::<Provider>()?),
        };
        let operation = (parts[1] != "*").then(|| parts[1].to_string());
        let kind = match parts[2] {
            "reset-before" => FaultKind::ResetBeforeResponse,
            "reset-after" => FaultKind::ResetAfterProcessing,
            "stall" => FaultKind::StallBody,
            "truncate" => FaultKind::TruncatedBody,
            "malformed-json" => FaultKind::MalformedJson,
            "job-fails" => FaultKind::JobFails,
            "content-policy" => FaultKind::ContentPolicy,
            "gone-when-finished" => FaultKind::GoneWhenFinished,
            k if k == "429" || k.starts_with("429=") => FaultKind::RateLimited {
                retry_after_secs: k.strip_prefix("429=").map_or(Ok(1), str::parse).map_err(|e| format!("{k}: {e}"))?,
            },
            k => match k.parse::<u16>() {
                Ok(status @ 500..=599) => FaultKind::ServerError { status },
                _ => return Err(format!("fault {s:?}: unknown kind {k:?}")),
            },
        };
        let schedule = match parts.get(3).copied().unwrap_or("always") {
            "always" => Schedule::Always,
            sch => {
                let bad = |e: String| format!("fault {s:?}: schedule {sch:?}: {e}");
                if let Some(n) = sch.strip_prefix("first=") {
                    Schedule::First(n.parse().map_err(|e| bad(format!("{e}")))?)
                } else if let Some(list) = sch.strip_prefix("nth=") {
                    Schedule::Nth(
                        list.split(',')
                            .map(|n| n.parse().map_err(|e| bad(format!("{e}"))))
                            .collect::<Result<_, _>>()?,
                    )
                } else if let Some(p) = sch.strip_prefix("p=") {
                    let p: f64 = p.parse().map_err(|e| bad(format!("{e}")))?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(bad("a probability is between 0 and 1".into()));
                    }
                    Schedule::Probability(p)
                } else {
                    return Err(bad("expected always, first=N, nth=A,B or p=P".into()));
                }
            }
        };
        Ok(Self { provider, operation, kind, schedule })
    }
}

/// The rules with their per-rule request counts and the seeded random source.
pub(crate) struct FaultBook {
    rules: Vec<(FaultRule, u32)>,
    rng: StdRng,
    injected: u64,
    by_kind: std::collections::BTreeMap<&'static str, u64>,
}

impl FaultBook {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        Self {
            rules: rules.into_iter().map(|r| (r, 0)).collect(),
            rng: StdRng::seed_from_u64(seed),
            injected: 0,
            by_kind: Default::default(),
        }
    }

    pub(crate) fn injected(&self) -> u64 {
        self.injected
    }

    /// Faults injected so far per kind ([`FaultKind::name`]).
    pub(crate) fn injected_by_kind(&self) -> std::collections::BTreeMap<String, u64> {
        self.by_kind.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// The fault for this request, if any: the first matching rule that fires.
    pub(crate) fn pick(&mut self, provider: Provider, operation: &str) -> Option<FaultKind> {
        let mut fired = None;
        for (rule, count) in &mut self.rules {
            if rule.provider.is_some_and(|p| p != provider) || rule.operation.as_deref().is_some_and(|o| o != operation)
            {
                continue;
            }
            *count += 1;
            let fires = match &rule.schedule {
                Schedule::Always => true,
                Schedule::First(n) => *count <= *n,
                Schedule::Nth(list) => list.contains(count),
                Schedule::Probability(p) => self.rng.random::<f64>() < *p,
            };
            if fires && fired.is_none() {
                fired = Some(rule.kind.clone());
            }
        }
        if let Some(kind) = &fired {
            self.injected += 1;
            *self.by_kind.entry(kind.name()).or_default() += 1;
        }
        fired
    }
}

/// Marks a response whose body already carries its stall or truncation fault (media streams).
#[derive(Clone, Copy)]
pub(crate) struct FaultApplied;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let r: FaultRule = "*:*:503:p=0.5".parse().unwrap();
        assert_eq!((r.provider, r.operation, r.kind), (None, None, FaultKind::ServerError { status: 503 }));
        let r: FaultRule = "oxen:get_queue_generation:429=7:nth=2,3".parse().unwrap();
        assert_eq!(r.kind, FaultKind::RateLimited { retry_after_secs: 7 });
        assert_eq!(r.schedule, Schedule::Nth(vec![2, 3]));
        assert!("oxen:x:404".parse::<FaultRule>().is_err());
        assert!("oxen:x".parse::<FaultRule>().is_err());
        assert!("nope:x:500".parse::<FaultRule>().is_err());
        assert!("oxen:x:500:p=2".parse::<FaultRule>().is_err());
    }

    #[test]
    fn schedules_count_matching_requests_only() {
        let mut book = FaultBook::new(
            vec![FaultRule::new(Provider::Oxen, "a", FaultKind::StallBody).schedule(Schedule::Nth(vec![2]))],
            1,
        );
        assert_eq!(book.pick(Provider::Oxen, "b"), None);
        assert_eq!(book.pick(Provider::Oxen, "a"), None);
        assert_eq!(book.pick(Provider::OpenAi, "a"), None);
        assert_eq!(book.pick(Provider::Oxen, "a"), Some(FaultKind::StallBody));
        assert_eq!(book.pick(Provider::Oxen, "a"), None);
        assert_eq!(book.injected(), 1);
    }

    #[test]
    fn probability_is_deterministic_for_a_seed() {
        let run = |seed| {
            let rule = FaultRule {
                provider: None,
                operation: None,
                kind: FaultKind::MalformedJson,
                schedule: Schedule::Probability(0.3),
            };
            let mut book = FaultBook::new(vec![rule], seed);
            (0..100).map(|_| book.pick(Provider::VideoDb, "x").is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let hits = run(7).iter().filter(|h| **h).count();
        assert!((15..=45).contains(&hits), "{hits}");
    }
}
