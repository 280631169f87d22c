//! The client never has more API requests in flight than `max_concurrent_requests`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use videogen::{Client, Job, JobStatus, Provider};

/// A server that answers every request with a queued OpenAI video after 50 ms, counting the
/// requests it is working on at once.
async fn slow_server(in_flight: Arc<AtomicUsize>, peak: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                loop {
                    let mut line = String::new();
                    // The request line and headers (GETs have no body).
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let body = r#"{"id":"video_1","object":"video","status":"queued","progress":0}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_requests_in_flight_are_capped() {
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let base = slow_server(in_flight, peak.clone()).await;
    let client = Client::builder()
        .api_key(Provider::OpenAi, "k")
        .base_url(Provider::OpenAi, base)
        .max_concurrent_requests(3)
        .build()
        .unwrap();
    let job: Job = serde_json::from_value(serde_json::json!({
        "provider": "openai", "model": "sora-2", "id": "video_1", "created_at": "2026-11-21T10:00:00Z"}))
    .unwrap();
    let polls: Vec<_> = (0..20)
        .map(|_| {
            let (client, job) = (client.clone(), job.clone());
            tokio::spawn(async move { client.status(&job).await })
        })
        .collect();
    for poll in polls {
        assert!(matches!(poll.await.unwrap(), Ok(JobStatus::Queued)));
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=3).contains(&peak), "at most 3 requests in flight, saw {peak}");
}
