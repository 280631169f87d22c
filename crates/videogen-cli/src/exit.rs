//! How `videogen` ends: one [`ExitCode`] per class of outcome, documented once (the `--help`
//! text and the README print [`exit_code_help`]), and the [`CliError`] every command returns.

use videogen::{Error, Job};

/// The process exit codes, one per class of outcome. Scripts can rely on them: they are printed
/// by `videogen --help` and listed in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Done.
    Done = 0,
    /// Failed: an API error, the network, a download, a redirect.
    Failed = 1,
    /// Refused before anything was sent: bad arguments, request, model (unknown or retired), an
    /// operation the provider lacks, batch file or output path (an existing file included).
    Usage = 2,
    /// Configuration or authentication.
    Config = 3,
    /// The job failed at the provider (content policy included) or was cancelled.
    JobFailed = 4,
    /// `--timeout` passed: the job goes on; a partial download is kept for a resume.
    Timeout = 5,
    /// A create's outcome is unknown: look the job up before submitting again.
    OutcomeUnknown = 6,
    /// `models --drift`: the provider's live model list and the catalogue differ.
    Drift = 7,
    /// The provider refused the request (HTTP 400 or 422, or a model it does not know): it was
    /// sent and nothing was created.
    Refused = 8,
    /// Interrupted (Ctrl-C): the job goes on; the command that resumes it is printed.
    Interrupted = 130,
    /// Terminated (SIGTERM, from a supervisor): as 130.
    Terminated = 143,
}

impl ExitCode {
    /// Every code, in order.
    pub const ALL: [ExitCode; 11] = [
        ExitCode::Done,
        ExitCode::Failed,
        ExitCode::Usage,
        ExitCode::Config,
        ExitCode::JobFailed,
        ExitCode::Timeout,
        ExitCode::OutcomeUnknown,
        ExitCode::Drift,
        ExitCode::Refused,
        ExitCode::Interrupted,
        ExitCode::Terminated,
    ];

    /// The code whose number is `n`.
    pub fn from_u8(n: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u8 == n)
    }

    /// What the code means, in one line.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Done => "done",
            ExitCode::Failed => "failed (API, network, download, redirect)",
            ExitCode::Usage => {
                "refused before sending: bad arguments, request, model (unknown or retired), unsupported operation, batch file or output path (an existing file included)"
            }
            ExitCode::Config => "configuration or authentication",
            ExitCode::JobFailed => "the job failed at the provider (content policy included) or was cancelled",
            ExitCode::Timeout => "--timeout passed (the job goes on; a partial download is kept for a resume)",
            ExitCode::OutcomeUnknown => "a create's outcome is unknown (look the job up before submitting again)",
            ExitCode::Drift => "models --drift: the provider's live model list and the catalogue differ",
            ExitCode::Refused => {
                "the provider refused the request (HTTP 400/422, or a model it does not know): sent, nothing created"
            }
            ExitCode::Interrupted => "interrupted (the job goes on; the command to resume is printed)",
            ExitCode::Terminated => {
                "terminated by SIGTERM, a supervisor's stop (as 130: the command to resume is printed)"
            }
        }
    }

    /// The code of a library error.
    pub fn of(e: &Error) -> Self {
        match e {
            Error::InvalidRequest { status: Some(_), .. } | Error::ModelNotFound { .. } => ExitCode::Refused,
            Error::InvalidRequest { .. } | Error::ModelRetired { .. } | Error::Unsupported { .. } => ExitCode::Usage,
            Error::Config { .. } | Error::Auth { .. } => ExitCode::Config,
            Error::JobFailed { .. } | Error::ContentPolicy { .. } | Error::Cancelled { .. } => ExitCode::JobFailed,
            Error::Timeout { .. } => ExitCode::Timeout,
            Error::OutcomeUnknown { .. } => ExitCode::OutcomeUnknown,
            _ => ExitCode::Failed,
        }
    }
}

/// The exit codes as the `--help` text and the README show them.
pub fn exit_code_help() -> String {
    let mut text = String::from("Exit codes:\n");
    for code in ExitCode::ALL {
        text.push_str(&format!("  {:>3}  {}\n", code as u8, code.meaning()));
    }
    text.push_str(
        "A batch exits with the first code one of its lines has, in this order: 6, 3, 1, 8, 2, 5, 4 (a signal: 130 or 143).\n",
    );
    text.push_str("After a create, every error also prints `job: <handle>`.");
    text
}

/// A failure with its exit code, and the job it concerns when a create already happened.
#[derive(Debug)]
pub struct CliError {
    /// How the process ends.
    pub code: ExitCode,
    /// What went wrong.
    pub message: String,
    /// Lines that detail `message` (a batch file's bad lines), each printed on its own line and
    /// escaped on its own.
    pub details: Vec<String>,
    /// The job, so no paid job handle is lost to an error.
    pub job: Option<Box<Job>>,
    /// With `--json`: the command already printed its JSON (a summary that says what failed),
    /// so the error goes to standard error only and standard output stays one JSON value.
    pub reported: bool,
}

impl CliError {
    /// A failure of `code`.
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new(), job: None, reported: false }
    }

    /// Bad input: exit 2, nothing was sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    /// The message and its details, one per line (for tests and logs).
    pub fn full_text(&self) -> String {
        std::iter::once(self.message.as_str())
            .chain(self.details.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `self` with `details`, one per line.
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }

    /// Exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Failed, message)
    }

    /// [`CliError::reported`] when `json` (the JSON was printed).
    pub fn reported_if(self, json: bool) -> Self {
        if json { self.reported() } else { self }
    }

    /// Marks the error as said in the JSON already printed (see [`CliError::reported`]).
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }

    /// Attaches `job` when the error has none (every error after a create carries the job).
    pub fn with_job(mut self, job: &Job) -> Self {
        if self.job.is_none() {
            self.job = Some(Box::new(job.clone()));
        }
        self
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let message = match &e {
            Error::OutcomeUnknown { provider, attempt: Some(attempt), .. } => format!(
                "{e}; look for the job with `videogen list -p {provider}` (created after {}, idempotency key {}) before submitting again",
                attempt.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                attempt.idempotency_key
            ),
            _ => e.to_string(),
        };
        Self {
            code: ExitCode::of(&e),
            job: e.job().map(|j| Box::new(j.clone())),
            message,
            details: Vec::new(),
            reported: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_once() {
        let help = exit_code_help();
        for code in ExitCode::ALL {
            assert_eq!(help.matches(&format!(" {}  ", code as u8)).count(), 1, "{help}");
        }
        let invalid = Error::InvalidRequest { message: "x".into(), status: None, body: None };
        assert_eq!(ExitCode::of(&invalid), ExitCode::Usage, "a local refusal: nothing was sent");
        let refused = Error::InvalidRequest { message: "x".into(), status: Some(422), body: Some("{}".into()) };
        assert_eq!(ExitCode::of(&refused), ExitCode::Refused, "the provider's refusal has its own code");
        let order: Vec<u8> = crate::batch::progress::BATCH_PRECEDENCE.iter().map(|c| *c as u8).collect();
        assert!(
            help.contains(&format!(
                "in this order: {}",
                order.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
            )),
            "{help}"
        );
        for code in ExitCode::ALL {
            assert_eq!(ExitCode::from_u8(code as u8), Some(code));
        }
    }
}
