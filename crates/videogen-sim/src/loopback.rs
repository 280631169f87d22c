//! The simulator's own calls out: VideoDB's callbacks and Replicate's webhooks, to plain-http
//! loopback URLs only (the simulator reaches no other host).

/// Whether `url` is plain `http://` to a loopback host, the only URLs the simulator calls.
pub(crate) fn is_loopback_url(url: &str) -> bool {
    ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:"]
        .iter()
        .any(|p| url.starts_with(p))
}

/// POSTs `body` (JSON) with `headers` to a loopback `http://` URL, one HTTP/1.1 request; the
/// answer's status code.
pub(crate) async fn post(url: &str, body: &str, headers: &[(&str, String)]) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = tokio::net::TcpStream::connect(authority).await?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: videogen-sim\r\n{extra}\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = vec![0u8; 64];
    let n = stream.read(&mut answer).await?;
    let head = String::from_utf8_lossy(&answer[..n]);
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no HTTP status line"))
}
