//! Retries of reads (status polls, downloads) with jittered exponential backoff (the `backon`
//! crate), honouring `Retry-After`. Creates are never retried.

use crate::{Error, Result};
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// How reads are retried on 429, 5xx, transport errors and unreadable answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try (default 4).
    pub max_retries: usize,
    /// The first delay (default 500 ms); it doubles, with jitter, up to `max_delay`.
    pub min_delay: Duration,
    /// The longest delay (default 30 s). A longer `Retry-After` is honoured up to 5 minutes.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 4, min_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

/// The longest `Retry-After` honoured: 5 minutes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
    }
}

/// Runs a read, retrying retryable errors; a `Retry-After` replaces the computed delay.
pub(crate) async fn read<T, F, Fut>(policy: &RetryPolicy, f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    f.retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(Error::is_retryable)
        .adjust(|e: &Error, delay| delay.map(|d| e.retry_after().map_or(d, |ra| ra.min(MAX_RETRY_AFTER))))
        .notify(|e: &Error, delay| tracing::warn!(error = %e, ?delay, "retrying read"))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn retries_retryable_errors_then_gives_up() {
        let policy =
            RetryPolicy { max_retries: 2, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
        let calls = AtomicUsize::new(0);
        let result: Result<()> = read(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::Transport { provider: Provider::Oxen, message: "reset".into(), job: None })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<()> = read(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::invalid("no"))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "non-retryable errors are not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let policy =
            RetryPolicy { max_retries: 1, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
        let start = tokio::time::Instant::now();
        let calls = AtomicUsize::new(0);
        let result: Result<u8> = read(&policy, || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(Error::RateLimited {
                    provider: Provider::OpenAi,
                    retry_after: Some(Duration::from_secs(7)),
                    message: String::new(),
                    body: String::new(),
                    job: None,
                })
            } else {
                Ok(1)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 1);
        assert!(start.elapsed() >= Duration::from_secs(7), "{:?}", start.elapsed());
    }
}
