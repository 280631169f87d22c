//! What a client can do with a provider ([`Operation`]). Which provider can do what is each
//! provider's profile ([`crate::Client::supports`]; the crate docs' table is tested against it).

/// What a client can do with a provider; [`crate::Client::supports`] says which provider has which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// Submit a generation and get its job handle ([`crate::Client::submit`]).
    Submit,
    /// One blocking request that returns the video ([`crate::Client::generate_now`]).
    GenerateNow,
    /// Read a job's status, and wait for it ([`crate::Client::status`], [`crate::Client::wait`]).
    Status,
    /// Cancel a job ([`crate::Client::cancel`]).
    Cancel,
    /// List the provider's jobs ([`crate::Client::list`]).
    List,
    /// Download a finished job's video ([`crate::Video::download_to`]).
    Download,
    /// A new job from a finished video and a new prompt ([`crate::Client::remix`]): OpenAI's
    /// and AIHubMix's `POST /videos/{id}/remix`; on Oxen.ai a generation with the finished
    /// video as `input_video`, on models that take one.
    Remix,
    /// Delete a finished job's video at the provider ([`crate::Client::delete`]): OpenAI's and
    /// AIHubMix's `DELETE /videos/{id}`, VideoDB's `DELETE /video/{id}`.
    Delete,
    /// The provider's models, live where it lists them ([`crate::Client::models`]): Oxen.ai's
    /// `GET /api/ai/models` with capabilities, pricing and `json_request_schema`; elsewhere the
    /// model catalogue ([`crate::catalog`]).
    Models,
    /// A cost estimate before submitting, from published prices
    /// ([`crate::Client::estimate_cost`]): Oxen.ai's model `pricing`.
    EstimateCost,
    /// Download a finished video's thumbnail ([`crate::Video::download_variant_to`]): OpenAI's
    /// and AIHubMix's `?variant=thumbnail`, VideoDB's `thumbnail_url`.
    Thumbnail,
    /// Download a finished video's spritesheet: OpenAI's and AIHubMix's `?variant=spritesheet`.
    Spritesheet,
    /// VideoDB's collections: list, create, delete ([`crate::Client::collections`]).
    Collections,
    /// [`Operation::List`] includes jobs that have not finished, so a job whose create answer
    /// was lost can be found while it runs (Oxen.ai's history, `/v1/videos`). VideoDB's list
    /// holds finished videos only: a create in flight is not there until it is done.
    ListUnfinished,
    /// The provider POSTs a finished job's result to a URL of yours
    /// ([`crate::VideoRequest::callback_url`]): VideoDB's `callback_url` (unsigned, read with
    /// [`crate::webhook::parse`]) and Replicate's `webhook` (signed, [`crate::webhook::Verifier`]).
    Callback,
    /// The client learns of a job's end from a stream it opens, without polling
    /// ([`crate::ClientBuilder::push_events`], [`crate::WaitPolicy::push`]): Oxen.ai's
    /// `GET /api/events` (`media_generation_completed`).
    CompletionEvents,
    /// A deadline the provider enforces: the job is cancelled when it runs past it
    /// ([`crate::VideoRequest::cancel_after`]): Replicate's `Cancel-After`.
    Deadline,
}

impl Operation {
    /// Every operation, in the order of the docs' table.
    pub const ALL: [Operation; 17] = [
        Operation::Submit,
        Operation::GenerateNow,
        Operation::Status,
        Operation::Cancel,
        Operation::List,
        Operation::Download,
        Operation::Remix,
        Operation::Delete,
        Operation::Models,
        Operation::EstimateCost,
        Operation::Thumbnail,
        Operation::Spritesheet,
        Operation::Collections,
        Operation::ListUnfinished,
        Operation::Callback,
        Operation::CompletionEvents,
        Operation::Deadline,
    ];

    /// The name used in [`crate::Error::Unsupported`] and the docs: `submit`, `synchronous generate`,
    /// `status`, `cancel`, `list`, `download`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Submit => "submit",
            Operation::GenerateNow => "synchronous generate",
            Operation::Status => "status",
            Operation::Cancel => "cancel",
            Operation::List => "list",
            Operation::Download => "download",
            Operation::Remix => "remix",
            Operation::Delete => "delete",
            Operation::Models => "models",
            Operation::EstimateCost => "estimate cost",
            Operation::Thumbnail => "thumbnail",
            Operation::Spritesheet => "spritesheet",
            Operation::Collections => "collections",
            Operation::ListUnfinished => "list unfinished jobs",
            Operation::Callback => "callback",
            Operation::CompletionEvents => "completion events",
            Operation::Deadline => "deadline",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;
    use crate::providers::supports;

    /// The crate docs' capability table (lib.rs) says exactly what [`supports`] says.
    #[test]
    fn the_documented_capability_table_is_supports() {
        let docs = include_str!("lib.rs");
        let mut rows = 0;
        for line in docs.lines().map(|l| l.trim_start_matches("//!").trim()) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let Some(op) = Operation::ALL.iter().find(|o| cells.first() == Some(&format!("`{}`", o.as_str()).as_str()))
            else {
                continue;
            };
            rows += 1;
            assert_eq!(cells.len(), 6, "{line}");
            for (provider, cell) in
                [Provider::Oxen, Provider::VideoDb, Provider::OpenAi, Provider::AiHubMix, Provider::Replicate]
                    .iter()
                    .zip(&cells[1..])
            {
                let documented = cell.starts_with("yes");
                assert_eq!(documented, supports(*provider, *op), "{op} on {provider}: the docs say {cell:?}");
            }
        }
        assert_eq!(rows, Operation::ALL.len(), "one table row per operation");
    }
}
