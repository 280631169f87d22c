//! Shared pieces of the contract tests: the wire record of a captured request (what the insta
//! snapshots hold), a multipart reader, and spec lookups.
//!
//! A record keeps what a reviewer needs to see and nothing that changes from run to run: method,
//! path, query pairs sorted, allow-listed headers with secrets redacted and the multipart boundary
//! replaced, and the body (JSON as JSON; multipart as its parts' names, file names, content types
//! and sizes, with text values).

use serde_json::{Map, Value, json};
use videogen_spec::{Direction, Spec};
use videogen_transport::capture::CapturedRequest;

/// Headers kept in a record; everything else (user agent, host, content length…) is left out.
pub const ALLOWED_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "cancel-after",
    "content-type",
    "idempotency-key",
    "prefer",
    "range",
    "x-access-token",
];

/// The contract of `api` (`oxen`, `videodb`, `openai`, `replicate`), read from `specs/<api>/openapi.json`.
pub fn spec(api: &str) -> Spec {
    let path = format!("{}/../specs/{api}/openapi.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Spec::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn redact(name: &str, value: &str) -> String {
    match name {
        "authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} [redacted]"),
            None => "[redacted]".into(),
        },
        "x-access-token" => "[redacted]".into(),
        "content-type" if value.starts_with("multipart/form-data") => "multipart/form-data; boundary=[boundary]".into(),
        _ => value.to_string(),
    }
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Splits a `multipart/form-data` body by the boundary in `content_type`.
pub fn multipart_parts(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .ok_or_else(|| format!("no boundary in {content_type:?}"))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, &delimiter).ok_or("no opening boundary")?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or("a boundary without CRLF")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("a part without headers")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|e| e.to_string())?;
        let content = &rest[head_end + 4..];
        let next = find(content, &delimiter).ok_or("a part without a closing boundary")?;
        let bytes = content[..next].strip_suffix(b"\r\n").ok_or("a part without CRLF before the boundary")?.to_vec();
        let mut part = Part { name: String::new(), file_name: None, content_type: None, bytes };
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':').ok_or("a bad part header")?;
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for attr in value.split(';').skip(1) {
                        if let Some((k, v)) = attr.trim().split_once('=') {
                            let v = v.trim_matches('"').to_string();
                            match k {
                                "name" => part.name = v,
                                "filename" => part.file_name = Some(v),
                                _ => {}
                            }
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
        rest = &content[next + delimiter.len()..];
    }
}

/// The snapshot record of a captured request.
pub fn record(request: &CapturedRequest) -> Value {
    let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    pairs.sort();
    let mut headers = Map::new();
    for name in ALLOWED_HEADERS {
        if let Some(value) = request.header(name) {
            headers.insert((*name).to_string(), json!(redact(name, value)));
        }
    }
    let content_type = request.header("content-type").unwrap_or_default();
    let body = if request.body.is_empty() {
        Value::Null
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(&request.body).unwrap_or_else(|e| json!(format!("invalid JSON: {e}")))
    } else if content_type.starts_with("multipart/form-data") {
        match multipart_parts(content_type, &request.body) {
            Ok(parts) => Value::Array(
                parts
                    .iter()
                    .map(|p| {
                        let mut v = json!({"name": p.name, "size": p.bytes.len()});
                        if let Some(f) = &p.file_name {
                            v["filename"] = json!(f);
                        }
                        if let Some(c) = &p.content_type {
                            v["content_type"] = json!(c);
                        }
                        if p.file_name.is_none() {
                            v["text"] = json!(String::from_utf8_lossy(&p.bytes));
                        }
                        v
                    })
                    .collect(),
            ),
            Err(e) => json!(format!("invalid multipart: {e}")),
        }
    } else {
        json!({"bytes": request.body.len()})
    };
    json!({
        "method": request.method,
        "path": path,
        "query": pairs.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "headers": headers,
        "body": body,
    })
}

/// Validates a captured request's body against the operation's `requestBody` schema, with
/// unknown properties rejected (unless the schema declares `additionalProperties`). A multipart
/// body is validated as the object of its parts (file parts as strings, as `format: binary` is).
pub fn validate_request(spec: &Spec, operation: &str, request: &CapturedRequest) -> Result<(), Vec<String>> {
    let content_type = request.header("content-type").unwrap_or_default();
    let strict = Direction::Request { strict: true };
    if content_type.starts_with("application/json") {
        let schema = spec
            .request_schema(operation, "application/json", strict)
            .ok_or(vec!["no JSON request body in the spec".into()])?;
        let body: Value = serde_json::from_slice(&request.body).map_err(|e| vec![e.to_string()])?;
        videogen_spec::validate(&schema, &body)
    } else if content_type.starts_with("multipart/form-data") {
        let schema = spec
            .request_schema(operation, "multipart/form-data", strict)
            .ok_or(vec!["no multipart request body in the spec".into()])?;
        let parts = multipart_parts(content_type, &request.body).map_err(|e| vec![e])?;
        let object: Map<String, Value> =
            parts.into_iter().map(|p| (p.name, json!(String::from_utf8_lossy(&p.bytes)))).collect();
        videogen_spec::validate(&schema, &Value::Object(object))
    } else if request.body.is_empty() {
        Ok(())
    } else {
        Err(vec![format!("unexpected request content type {content_type:?}")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(headers: &[(&str, &str)], body: &[u8], target: &str) -> CapturedRequest {
        CapturedRequest {
            method: "POST".into(),
            target: target.into(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn records_sort_queries_and_redact_secrets() {
        let r = captured(
            &[("authorization", "Bearer sk-live-123"), ("x-access-token", "sk-1"), ("user-agent", "videogen/0.1.0")],
            b"",
            "/a?z=1&b=2",
        );
        let rec = record(&r);
        assert_eq!(rec["query"], json!([["b", "2"], ["z", "1"]]));
        assert_eq!(rec["headers"], json!({"authorization": "Bearer [redacted]", "x-access-token": "[redacted]"}));
        assert!(!rec.to_string().contains("sk-"));
    }

    #[test]
    fn multipart_bodies_become_parts() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nA balloon\r\n--XYZ\r\nContent-Disposition: form-data; name=\"input_reference\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XYZ--\r\n";
        let r = captured(&[("content-type", "multipart/form-data; boundary=XYZ")], body, "/v1/videos");
        assert_eq!(
            record(&r)["body"],
            json!([{"name": "prompt", "size": 9, "text": "A balloon"},
                   {"name": "input_reference", "size": 4, "filename": "a.png", "content_type": "image/png"}])
        );
        assert_eq!(record(&r)["headers"]["content-type"], "multipart/form-data; boundary=[boundary]");
        assert!(multipart_parts("multipart/form-data", body).is_err());
    }
}
