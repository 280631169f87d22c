//! The job handle, its status, and the finished video.

use crate::Provider;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The handle of a submitted job: enough to find it again, in this process or another.
///
/// It is returned by [`crate::Client::submit`] as soon as the provider accepted the create,
/// before any waiting. Store it (it is `Serialize + Deserialize`) and resume with
/// [`crate::Client::job`] after a crash.
///
/// ```
/// let json = r#"{"provider":"oxen","model":"kling-video-v2-6-pro-text-to-video",
///                "id":"9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e","created_at":"2026-11-21T10:00:00Z"}"#;
/// let job: videogen::Job = serde_json::from_str(json).unwrap();
/// assert_eq!(job.provider, videogen::Provider::Oxen);
/// assert_eq!(job.short_form(), "oxen:9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Job {
    /// Where the job runs.
    pub provider: Provider,
    /// The model it runs on.
    pub model: String,
    /// The provider's job id (Oxen generation id, VideoDB async response id, OpenAI video id).
    pub id: String,
    /// When the create was accepted.
    pub created_at: DateTime<Utc>,
    /// The `Idempotency-Key` the create carried (a UUID, the same on every try of one submit).
    /// A provider that honours the header answers a repeated key with the same job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// VideoDB: the absolute `output_url` to poll (the provider's answer, kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_url: Option<String>,
}

impl Job {
    /// `provider:id`, the short form the command line accepts.
    pub fn short_form(&self) -> String {
        format!("{}:{}", self.provider, self.id)
    }

    /// Parses the short form `provider:id` (model unknown, created time now).
    ///
    /// # Errors
    /// A message when the text is not `provider:id`.
    pub fn from_short_form(text: &str) -> Result<Self, String> {
        let (provider, id) = text.split_once(':').ok_or_else(|| format!("{text:?} is not provider:id"))?;
        if id.is_empty() {
            return Err(format!("{text:?} has an empty job id"));
        }
        Ok(Self {
            provider: provider.parse()?,
            model: String::new(),
            id: id.to_string(),
            created_at: Utc::now(),
            poll_url: None,
            idempotency_key: None,
        })
    }
}

/// One row of a provider's job list ([`crate::Client::list`]). `Serialize + Deserialize` with
/// these field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobSummary {
    /// The job's handle.
    pub job: Job,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled` (or the provider's own word).
    pub status: String,
    /// The prompt, when the provider lists it.
    pub prompt: Option<String>,
    /// What the job cost, when the provider lists it (Oxen.ai's history `cost`); `null` when
    /// it does not.
    #[serde(default)]
    pub cost: Option<crate::Cost>,
}

/// A VideoDB collection: the folder its videos live in ([`crate::Client::collections`]).
/// `Serialize + Deserialize` with these field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Collection {
    /// Its id (`c-…`, or `default`); give it to [`crate::VideoRequest::collection`] and
    /// [`crate::ListOptions::collection`].
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Whether it is the account's default collection.
    pub is_default: bool,
}

/// Why a job failed, as the provider said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// The provider's error code, when it sends one (OpenAI `error.code`, VideoDB `error_code`).
    pub code: Option<String>,
    /// The provider's message.
    pub message: String,
    /// Whether the provider refused the content (OpenAI `moderation_blocked`, messages naming the
    /// content policy or moderation).
    pub content_policy: bool,
}

impl JobError {
    pub(crate) fn new(code: Option<String>, message: String) -> Self {
        let content_policy = code.as_deref().is_some_and(|c| c.contains("moderation") || c.contains("content_policy"))
            || looks_like_content_policy(&message);
        Self { code, message, content_policy }
    }
}

/// Whether a provider's failure message describes a content-policy refusal (the rule
/// [`JobError::content_policy`] follows when the provider sends no code saying so): it names the
/// content policy, moderation, a safety system, a policy violation, or content flagged as
/// sensitive (Replicate's E005).
///
/// ```
/// assert!(videogen::looks_like_content_policy("The request was rejected by the model's content policy"));
/// assert!(!videogen::looks_like_content_policy("The model failed to generate the video."));
/// ```
pub fn looks_like_content_policy(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    // Replicate: "The input or output was flagged as sensitive … (E005)".
    ["content policy", "content_policy", "moderation", "safety system", "policy violation", "flagged as sensitive"]
        .iter()
        .any(|k| m.contains(k))
}

/// Where a job is.
///
/// `Serialize + Deserialize`, tagged by `state`: `{"state":"queued"}`,
/// `{"state":"running","progress":40}`, `{"state":"succeeded", …the [`crate::VideoInfo`] fields}`,
/// `{"state":"failed", …the [`JobError`] fields}`, `{"state":"cancelled"}`, `{"state":"aborted"}`,
/// `{"state":"unrecognized","status":"<the provider's word>"}`.
///
/// ```
/// let status: videogen::JobStatus = serde_json::from_str(r#"{"state":"running","progress":40}"#).unwrap();
/// assert_eq!(status.progress(), Some(40));
/// assert_eq!(serde_json::to_string(&videogen::JobStatus::Queued).unwrap(), r#"{"state":"queued"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobStatus {
    /// Accepted, not started.
    Queued,
    /// Running; `progress` in percent when the provider reports it (OpenAI does; Oxen and VideoDB do not).
    Running {
        /// Percent, 0–100.
        #[serde(default)]
        progress: Option<u8>,
    },
    /// Finished: the video is ready to download ([`crate::Client::video`] binds it to a client).
    Succeeded(crate::VideoInfo),
    /// Finished with an error.
    Failed(JobError),
    /// Cancelled.
    Cancelled,
    /// Stopped by its deadline before it started running, so it never ran (Replicate's
    /// `aborted`, after a `Cancel-After` passed; not billed, replicate.com/changelog
    /// 2025-10-16-prediction-deadlines). A deadline that passes while it runs is `Cancelled`.
    Aborted,
    /// The provider reported a status word videogen does not know (kept as sent). The job is
    /// taken as unfinished: a wait keeps polling until it finishes or the deadline passes.
    Unrecognized {
        /// The provider's word.
        status: String,
    },
}

impl JobStatus {
    /// Whether the job is finished (succeeded, failed or cancelled).
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Succeeded(_) | JobStatus::Failed(_) | JobStatus::Cancelled | JobStatus::Aborted)
    }

    /// `queued`, `running`, `succeeded`, `failed`, `cancelled`, or `unknown` for
    /// [`JobStatus::Unrecognized`].
    pub fn name(&self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running { .. } => "running",
            JobStatus::Succeeded(_) => "succeeded",
            JobStatus::Failed(_) => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Aborted => "aborted",
            JobStatus::Unrecognized { .. } => "unknown",
        }
    }

    /// Progress in percent, when known (100 once succeeded).
    pub fn progress(&self) -> Option<u8> {
        match self {
            JobStatus::Running { progress } => *progress,
            JobStatus::Succeeded(_) => Some(100),
            _ => None,
        }
    }
}

impl JobStatus {
    /// The provider's own status word, for [`JobStatus::Unrecognized`].
    pub fn raw_status(&self) -> Option<&str> {
        match self {
            JobStatus::Unrecognized { status } => Some(status),
            _ => None,
        }
    }

    /// The status a provider's status word stands for: the common words map to `Queued` or
    /// `Running`; anything else is [`JobStatus::Unrecognized`] (shown as sent, waited on).
    #[cfg_attr(not(any(feature = "oxen", feature = "videodb", feature = "openai")), allow(dead_code))]
    pub(crate) fn unfinished(word: &str, progress: Option<u8>) -> Self {
        match word {
            "queued" | "pending" | "waiting" | "submitted" => JobStatus::Queued,
            "" | "processing" | "in_progress" | "in progress" | "running" | "started" => {
                JobStatus::Running { progress }
            }
            other => JobStatus::Unrecognized { status: other.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_round_trips_and_short_form() {
        let job = Job {
            provider: Provider::VideoDb,
            model: "videodb".into(),
            id: "job-1".into(),
            created_at: Utc::now(),
            poll_url: Some("https://api.videodb.io/async-response/job-1".into()),
            idempotency_key: Some("5b0c8a4e-3f7e-4a53-9a57-0f7d2f1e9c11".into()),
        };
        let back: Job = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
        assert_eq!(back, job);
        let short = Job::from_short_form("openai:video_1").unwrap();
        assert_eq!((short.provider, short.id.as_str()), (Provider::OpenAi, "video_1"));
        assert!(Job::from_short_form("nope").is_err() && Job::from_short_form("x:1").is_err());
    }

    #[test]
    fn statuses_round_trip_with_stable_names() {
        let job = Job::from_short_form("openai:video_1").unwrap();
        let mut info = crate::VideoInfo::at_url(&job, "https://r/v.mp4");
        info.cost = Some(crate::Cost { amount: "0.35".parse().unwrap(), currency: "USD".into() });
        for (status, tag) in [
            (JobStatus::Queued, "queued"),
            (JobStatus::Running { progress: Some(40) }, "running"),
            (JobStatus::Succeeded(info), "succeeded"),
            (JobStatus::Failed(JobError::new(Some("x".into()), "boom".into())), "failed"),
            (JobStatus::Cancelled, "cancelled"),
            (JobStatus::Aborted, "aborted"),
            (JobStatus::Unrecognized { status: "paused".into() }, "unrecognized"),
        ] {
            let json = serde_json::to_value(&status).unwrap();
            assert_eq!(json["state"], tag, "{json}");
            assert_eq!(serde_json::from_value::<JobStatus>(json).unwrap(), status);
        }
        let summary = JobSummary { job, status: "running".into(), prompt: None, cost: None };
        let back: JobSummary = serde_json::from_str(&serde_json::to_string(&summary).unwrap()).unwrap();
        assert_eq!(back, summary);
    }

    #[test]
    fn content_policy_detection() {
        assert!(JobError::new(Some("moderation_blocked".into()), "blocked".into()).content_policy);
        assert!(JobError::new(None, "rejected by the model's content policy".into()).content_policy);
        assert!(!JobError::new(Some("internal_error".into()), "failed".into()).content_policy);
    }
}
