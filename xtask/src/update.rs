//! `cargo xtask spec update <api> [--from <file-or-url>] [--check] [--commit SHA] [--commit-date DATE]`:
//! take a provider's newly published spec, cut the declared subset, say what changed, regenerate.
//!
//! `specs/<api>/source.toml` declares the subset ([`Source::keep`]: `"METHOD /path"` exactly as
//! published; [`Source::keep_schemas`]: components kept although no kept operation refers to
//! them; [`Source::drop_extensions`]: extension keys removed everywhere) and where the spec comes
//! from. The subset is: `openapi`, `info`, `servers`, `security`, the kept operations (with their
//! path-level keys), the transitive closure of the components they reference, the kept schemas
//! and every security scheme. Written as YAML with sorted keys, under a header generated from
//! `source.toml`, so the same input always gives the same bytes.

use crate::codegen::METHODS;
use crate::report;
use crate::spec::{APIS, Api, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// `specs/<api>/source.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Who publishes it.
    pub provider: String,
    /// Where `spec update` downloads the full published spec when no `--from` is given.
    pub url: String,
    /// The repository the spec is read from, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The file's path in that repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The commit the file was taken at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// That commit's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_date: Option<String>,
    /// The date the spec was downloaded from `url`, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched: Option<String>,
    /// `info.version` of the published spec.
    pub spec_version: String,
    /// sha256 of the whole published file the subset was cut from.
    pub published_sha256: String,
    /// sha256 of `upstream.yaml` (checked by `regen --check`).
    pub sha256: String,
    /// The operations kept, `"METHOD /path"` exactly as published.
    pub keep: Vec<String>,
    /// Components kept although no kept operation refers to them (`schemas/<name>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_schemas: Vec<String>,
    /// Extension keys removed everywhere (e.g. `x-oaiMeta`, code samples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_extensions: Vec<String>,
    /// Path prefixes whose other operations the change report lists as "not kept".
    pub watch_prefixes: Vec<String>,
    /// Lines carried into the header of `upstream.yaml` (known gaps and such).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Source {
    pub fn read(api: &Api, root: &Path) -> Result<Self, String> {
        let path = api.source_path(root);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The file's text, with a comment saying what it is.
    pub fn to_text(&self, api: &Api) -> Result<String, String> {
        let body = toml::to_string_pretty(self).map_err(|e| e.to_string())?;
        Ok(format!(
            "# Where specs/{0}/upstream.yaml comes from, and what of the published spec it keeps.\n\
             # Written by `cargo xtask spec update {0}`; `cargo xtask regen --check` verifies `sha256`.\n{body}",
            api.name
        ))
    }

    /// The operations kept, parsed.
    pub fn kept_operations(&self) -> Result<Vec<(String, String)>, String> {
        self.keep
            .iter()
            .map(|k| {
                let (method, path) =
                    k.split_once(' ').ok_or_else(|| format!("keep entry {k:?} is not \"METHOD /path\""))?;
                Ok((method.to_ascii_lowercase(), path.to_string()))
            })
            .collect()
    }
}

/// Parses a published spec (JSON or YAML, OpenAPI 3.0 or 3.1).
pub fn parse_spec(bytes: &[u8]) -> Result<Value, String> {
    let Lenient(value) = serde_yaml_ng::from_slice(bytes).map_err(|e| format!("the spec does not parse: {e}"))?;
    if value.get("openapi").and_then(Value::as_str).is_none_or(|v| !v.starts_with('3')) {
        return Err("not an OpenAPI 3.x document (no `openapi: 3…`)".into());
    }
    Ok(value)
}

/// A JSON value read leniently from YAML or JSON: integers beyond 64 bits (OpenAI's
/// `seed.minimum: -9223372036854776000`) become floats, and map keys that are not strings
/// (`200:` unquoted) become their text, where deserializing into `serde_json::Value` directly
/// refuses both.
struct Lenient(Value);

impl<'de> serde::Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor).map(Lenient)
    }
}

struct LenientVisitor;

impl<'de> serde::de::Visitor<'de> for LenientVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::from(v as f64), Value::from))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| Value::from(v as f64), Value::from))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Lenient(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((Lenient(k), Lenient(v))) = map.next_entry()? {
            let key = match k {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Every local `$ref` under `node`.
fn refs(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) if r.starts_with("#/") => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The value a local `$ref` (`#/a/b~1c`) points at.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn drop_keys(node: &mut Value, keys: &[String]) {
    match node {
        Value::Object(map) => {
            map.retain(|k, _| !keys.contains(k));
            map.values_mut().for_each(|v| drop_keys(v, keys));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| drop_keys(v, keys)),
        _ => {}
    }
}

/// Cuts the subset `source` declares out of a full published spec. With `strict`, a kept
/// operation missing from the spec is an error; otherwise it is left out (for reading older
/// versions in a change report).
pub fn subset(full: &Value, source: &Source, strict: bool) -> Result<Value, String> {
    let mut out = Map::new();
    for key in ["openapi", "info", "servers", "security"] {
        if let Some(v) = full.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let mut paths = Map::new();
    let mut missing = Vec::new();
    for (method, path) in source.kept_operations()? {
        let Some(operation) = full.pointer(&format!("/paths/{}/{method}", path.replace('~', "~0").replace('/', "~1")))
        else {
            missing.push(format!("{} {path}", method.to_ascii_uppercase()));
            continue;
        };
        let item = paths.entry(path.clone()).or_insert_with(|| {
            // Path-level keys other than operations (summary, parameters…) come along.
            let mut item = Map::new();
            if let Some(Value::Object(all)) =
                full.pointer(&format!("/paths/{}", path.replace('~', "~0").replace('/', "~1")))
            {
                for (k, v) in all {
                    if !METHODS.contains(&k.as_str()) {
                        item.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(item)
        });
        if let Value::Object(item) = item {
            item.insert(method, operation.clone());
        }
    }
    if strict && !missing.is_empty() {
        return Err(format!(
            "kept operations missing from the new spec: {} (remove them from `keep` in source.toml if that is intended)",
            missing.join(", ")
        ));
    }
    // The transitive closure of the components the kept operations reference.
    let mut todo = BTreeSet::new();
    refs(&Value::Object(paths.clone()), &mut todo);
    for name in &source.keep_schemas {
        todo.insert(format!("#/components/{name}"));
    }
    let mut seen = BTreeSet::new();
    while let Some(r) = todo.pop_first() {
        if !seen.insert(r.clone()) {
            continue;
        }
        let target = resolve(full, &r).ok_or_else(|| format!("{r} does not resolve in the new spec"))?;
        refs(target, &mut todo);
    }
    let mut components = Map::new();
    for r in &seen {
        let Some(rest) = r.strip_prefix("#/components/") else {
            return Err(format!("{r} points outside components: not supported"));
        };
        let Some((kind, name)) = rest.split_once('/') else { continue };
        let name = name.replace("~1", "/").replace("~0", "~");
        let value = resolve(full, r).cloned().unwrap_or(Value::Null);
        let group = components.entry(kind.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(group) = group {
            group.insert(name, value);
        }
    }
    if let Some(schemes) = full.pointer("/components/securitySchemes") {
        components.insert("securitySchemes".into(), schemes.clone());
    }
    out.insert("paths".into(), Value::Object(paths));
    if !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    let mut out = Value::Object(out);
    drop_keys(&mut out, &source.drop_extensions);
    Ok(out)
}

/// `upstream.yaml`'s text: a header generated from `source` and the subset as YAML.
pub fn upstream_text(subset: &Value, source: &Source) -> Result<String, String> {
    let mut header = vec![
        format!("{} — the video-related subset of the published spec (data verbatim, keys sorted).", source.provider),
        format!("Written by `cargo xtask spec update` from {}", source.url),
    ];
    if let (Some(repo), Some(path)) = (&source.repository, &source.path) {
        header.push(format!(
            "  = {repo} {path} at {} ({}); info.version {}.",
            source.commit.as_deref().unwrap_or("?"),
            source.commit_date.as_deref().or(source.fetched.as_deref()).unwrap_or("?"),
            source.spec_version
        ));
    }
    header.push(format!("Published file sha256 {}.", source.published_sha256));
    header.push(format!("Kept: {}.", source.keep.join(", ")));
    if !source.keep_schemas.is_empty() {
        header.push(format!("Also kept: {}.", source.keep_schemas.join(", ")));
    }
    if !source.drop_extensions.is_empty() {
        header.push(format!("Dropped extension keys: {}.", source.drop_extensions.join(", ")));
    }
    header.extend(source.notes.iter().cloned());
    let mut text: String = header.iter().map(|l| format!("# {l}\n")).collect();
    text.push_str(&serde_yaml_ng::to_string(subset).map_err(|e| e.to_string())?);
    Ok(text)
}

/// The overlay entries whose target the new upstream no longer has: an operation
/// (`paths.<path>.<method>`) or a component patched rather than defined anew.
pub fn overlay_targets_missing(overlay: &Value, upstream: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    if let Some(Value::Object(paths)) = overlay.get("paths") {
        for (path, item) in paths {
            let escaped = path.replace('~', "~0").replace('/', "~1");
            if item.is_null() {
                continue;
            }
            if upstream.pointer(&format!("/paths/{escaped}")).is_none() {
                missing.push(format!("paths.{path}"));
                continue;
            }
            if let Value::Object(ops) = item {
                for method in ops.keys().filter(|k| METHODS.contains(&k.as_str())) {
                    if !ops[method].is_null() && upstream.pointer(&format!("/paths/{escaped}/{method}")).is_none() {
                        missing.push(format!("paths.{path}.{method}"));
                    }
                }
            }
        }
    }
    if let Some(Value::Object(groups)) = overlay.get("components") {
        for (kind, group) in groups {
            let Value::Object(entries) = group else { continue };
            for (name, patch) in entries {
                // A new component (a full definition) is fine; a patch of a missing one is not.
                let structural: &[&str] = if kind == "schemas" {
                    &["type", "oneOf", "anyOf", "allOf", "$ref"]
                } else {
                    &["content", "schema", "in", "$ref", "type"]
                };
                let defines = patch.as_object().is_some_and(|p| structural.iter().any(|k| p.contains_key(*k)));
                let exists = upstream
                    .pointer(&format!("/components/{kind}/{}", name.replace('~', "~0").replace('/', "~1")))
                    .is_some();
                if !exists && !defines && !patch.is_null() {
                    missing.push(format!("components.{kind}.{name}"));
                }
            }
        }
    }
    missing
}

/// Reads the published spec from a file, or downloads it from an `http(s)://` URL.
fn read_published(from: &str) -> Result<Vec<u8>, String> {
    if from.starts_with("https://") || from.starts_with("http://") {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("videogen-xtask/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let response = client.get(from).send().map_err(|e| format!("{from}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{from}: HTTP {}", response.status()));
        }
        Ok(response.bytes().map_err(|e| format!("{from}: {e}"))?.to_vec())
    } else {
        std::fs::read(from).map_err(|e| format!("{from}: {e}"))
    }
}

/// Options of `spec update`.
pub struct Options {
    pub from: Option<String>,
    pub check: bool,
    pub commit: Option<String>,
    pub commit_date: Option<String>,
}

/// Parses `spec update <api> [options]`.
pub fn parse_args(args: &[&str]) -> Result<(Api, Options), String> {
    let [name, rest @ ..] = args else {
        return Err("spec update needs an API: oxen, videodb, openai or replicate".into());
    };
    let api = *APIS
        .iter()
        .find(|a| a.name == *name)
        .ok_or_else(|| format!("unknown API {name:?} (oxen, videodb, openai, replicate)"))?;
    let mut options = Options { from: None, check: false, commit: None, commit_date: None };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().map(|v| v.to_string()).ok_or_else(|| format!("{flag} needs a value"));
        match *arg {
            "--from" => options.from = Some(value("--from")?),
            "--check" => options.check = true,
            "--commit" => options.commit = Some(value("--commit")?),
            "--commit-date" => options.commit_date = Some(value("--commit-date")?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok((api, options))
}

/// Today's date, `YYYY-MM-DD` (UTC), from the system clock.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The result of cutting a new published spec, before anything is written.
pub struct Update {
    pub source: Source,
    pub upstream_text: String,
    pub report: report::Report,
}

/// Computes an update of `api` from the published spec `published` (its bytes), without writing.
pub fn prepare(api: &Api, root: &Path, published: &[u8], options: &Options) -> Result<Update, String> {
    let mut source = Source::read(api, root)?;
    let full = parse_spec(published)?;
    let new = subset(&full, &source, true)?;
    let old_text = std::fs::read(api.upstream_path(root)).map_err(|e| format!("reading upstream.yaml: {e}"))?;
    let old = parse_spec(&old_text)?;
    let report = report::compare(&old, &new, &full, &source);
    let overlay_bytes = std::fs::read(api.overlay_path(root)).map_err(|e| format!("reading overlay.yaml: {e}"))?;
    let overlay: Value = serde_yaml_ng::from_slice(&overlay_bytes).map_err(|e| format!("overlay.yaml: {e}"))?;
    let missing = overlay_targets_missing(&overlay, &new);
    if !missing.is_empty() {
        return Err(format!(
            "{}\nspecs/{}/overlay.yaml patches what the new spec no longer has: {} — adjust the overlay first",
            report.text(),
            api.name,
            missing.join(", ")
        ));
    }
    source.spec_version = full.pointer("/info/version").and_then(Value::as_str).unwrap_or("?").to_string();
    source.published_sha256 = sha256_hex(published);
    if let Some(commit) = &options.commit {
        source.commit = Some(commit.clone());
        source.commit_date = options.commit_date.clone();
    } else if options.from.as_deref().is_none_or(|f| f.starts_with("http")) {
        source.fetched = Some(today());
    }
    let upstream_text = upstream_text(&new, &source)?;
    source.sha256 = sha256_hex(upstream_text.as_bytes());
    Ok(Update { source, upstream_text, report })
}

/// `cargo xtask spec update …`.
pub fn run(root: &Path, args: &[&str]) -> Result<(), String> {
    let (api, options) = parse_args(args)?;
    let source = Source::read(&api, root)?;
    let from = options.from.clone().unwrap_or_else(|| source.url.clone());
    let published = read_published(&from)?;
    let update = prepare(&api, root, &published, &options)?;
    println!("spec update {}: {} {} → {}", api.name, from, source.spec_version, update.source.spec_version);
    print!("{}", update.report.text());
    if options.check {
        println!("--check: nothing written");
        return Ok(());
    }
    std::fs::write(api.upstream_path(root), &update.upstream_text)
        .map_err(|e| format!("writing upstream.yaml: {e}"))?;
    std::fs::write(api.source_path(root), update.source.to_text(&api)?)
        .map_err(|e| format!("writing source.toml: {e}"))?;
    println!("wrote specs/{0}/upstream.yaml and specs/{0}/source.toml; regenerating", api.name);
    crate::regen(root, crate::Mode::Write)?;
    println!(
        "next: review `git diff specs crates`, run `INSTA_UPDATE=always cargo test -p videogen-contract-tests` and review the snapshot diffs"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, compare};
    use serde_json::json;
    use std::io::Read;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    /// A published spec from xtask/testdata/upstream (gzipped).
    fn published(file: &str) -> Vec<u8> {
        let path = root().join("xtask/testdata/upstream").join(format!("{file}.gz"));
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_end(&mut bytes).unwrap();
        bytes
    }

    fn api(name: &str) -> Api {
        *APIS.iter().find(|a| a.name == name).unwrap()
    }

    fn report_between(name: &str, old_file: &str, new_file: &str) -> Report {
        let source = Source::read(&api(name), &root()).unwrap();
        let old = subset(&parse_spec(&published(old_file)).unwrap(), &source, false).unwrap();
        let full = parse_spec(&published(new_file)).unwrap();
        let new = subset(&full, &source, true).unwrap();
        compare(&old, &new, &full, &source)
    }

    #[test]
    fn updating_from_the_recorded_commit_reproduces_each_committed_upstream_yaml() {
        for (name, file) in [
            ("oxen", "oxen/oxen_hub_api-f245f137.json"),
            ("videodb", "videodb/openapi-4d93eff8.yaml"),
            ("openai", "openai/openapi-f85dbe22.yaml"),
            ("replicate", "replicate/openapi-1625ee75.json"),
        ] {
            let a = api(name);
            let source = Source::read(&a, &root()).unwrap();
            let bytes = published(file);
            assert_eq!(sha256_hex(&bytes), source.published_sha256, "{name}: the test data is the recorded file");
            let cut = subset(&parse_spec(&bytes).unwrap(), &source, true).unwrap();
            let committed_text = std::fs::read_to_string(a.upstream_path(&root())).unwrap();
            assert_eq!(cut, parse_spec(committed_text.as_bytes()).unwrap(), "{name}: the same document when parsed");
            assert_eq!(upstream_text(&cut, &source).unwrap(), committed_text, "{name}: byte for byte");
            // The committed overlay still finds every target.
            let overlay: Value = serde_yaml_ng::from_slice(&std::fs::read(a.overlay_path(&root())).unwrap()).unwrap();
            assert_eq!(overlay_targets_missing(&overlay, &cut), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn openai_from_the_earliest_videos_spec_to_the_current_one() {
        let report = report_between("openai", "openai/openapi-5162af98.yaml", "openai/openapi-f85dbe22.yaml");
        println!("OpenAI 5162af98 → f85dbe22\n{}", report.text());
        for op in [
            "POST /videos",
            "GET /videos",
            "GET /videos/{video_id}",
            "DELETE /videos/{video_id}",
            "GET /videos/{video_id}/content",
            "POST /videos/{video_id}/remix",
        ] {
            assert!(
                report.operations.iter().any(|c| c.what == format!("{op}: deprecated false → true") && !c.breaking),
                "{op}: {}",
                report.text()
            );
        }
        assert_eq!(report.breaking(), 0, "{}", report.text());
        for op in [
            "POST /videos/edits",
            "POST /videos/extensions",
            "POST /videos/characters",
            "GET /videos/characters/{character_id}",
        ] {
            assert!(report.not_kept.contains(&op.to_string()), "{op}: {:?}", report.not_kept);
        }
    }

    #[test]
    fn videodb_across_its_versions() {
        let report = report_between("videodb", "videodb/openapi-4df7b41c.yaml", "videodb/openapi-810a2298.yaml");
        println!("VideoDB 4df7b41c → 810a2298\n{}", report.text());
        // PATCH /video/{video_id} came in 4d93eff8.
        assert!(
            report.operations.iter().any(|c| c.what == "PATCH /video/{video_id}: operation added"),
            "{}",
            report.text()
        );
        assert!(report.not_kept.iter().any(|o| o.contains("/generate/video/dub")), "{:?}", report.not_kept);
        // The version we vendor to the newest: the generate/text change is not under a kept operation.
        let report = report_between("videodb", "videodb/openapi-4d93eff8.yaml", "videodb/openapi-810a2298.yaml");
        println!("VideoDB 4d93eff8 → 810a2298\n{}", report.text());
        assert_eq!(report.operations.len() + report.schemas.len(), 0, "{}", report.text());
    }

    #[test]
    fn a_removed_response_field_is_breaking_and_named() {
        let source = Source::read(&api("oxen"), &root()).unwrap();
        let mut full = parse_spec(&published("oxen/oxen_hub_api-f245f137.json")).unwrap();
        let old = subset(&full, &source, true).unwrap();
        let props = full.pointer_mut("/components/schemas/QueueGenerationResponse/properties").unwrap();
        props.as_object_mut().unwrap().remove("result_url").unwrap();
        let new = subset(&full, &source, true).unwrap();
        let report = compare(&old, &new, &full, &source);
        assert!(
            report.operations.iter().any(|c| c.breaking
                && c.what.starts_with("GET /api/ai/queue/{generation_id}: response 200")
                && c.what.ends_with("property result_url removed")),
            "{}",
            report.text()
        );
        assert!(
            report
                .schemas
                .iter()
                .any(|c| c.breaking && c.what == "QueueGenerationResponse (in responses): property result_url removed"),
            "{}",
            report.text()
        );
    }

    #[test]
    fn a_kept_operation_missing_from_the_new_spec_fails_loudly() {
        let source = Source::read(&api("oxen"), &root()).unwrap();
        let mut full = parse_spec(&published("oxen/oxen_hub_api-f245f137.json")).unwrap();
        full.pointer_mut("/paths").unwrap().as_object_mut().unwrap().remove("/api/ai/queue/{generation_id}");
        let err = subset(&full, &source, true).unwrap_err();
        assert!(
            err.contains("GET /api/ai/queue/{generation_id}") && err.contains("DELETE /api/ai/queue/{generation_id}"),
            "{err}"
        );
    }

    #[test]
    fn an_overlay_entry_whose_target_is_gone_is_named() {
        let upstream = json!({"paths": {"/a": {"get": {}}}, "components": {"schemas": {"A": {"type": "object"}}}});
        let overlay = json!({
            "paths": {"/a": {"get": {"operationId": "a"}, "post": {"operationId": "b"}}, "/gone": {"get": {}}},
            "components": {"schemas": {"A": {"properties": {}}, "Gone": {"properties": {}}, "New": {"type": "string"}},
                           "responses": {"Fresh": {"description": "d", "content": {}}}}
        });
        assert_eq!(
            overlay_targets_missing(&overlay, &upstream),
            ["paths./a.post", "paths./gone", "components.schemas.Gone"]
        );
    }

    /// A one-operation spec whose request and response bodies are `req` and `resp`.
    fn spec(req: Value, resp: Value, params: Value) -> Value {
        json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": {
            "parameters": params,
            "requestBody": {"content": {"application/json": {"schema": req}}},
            "responses": {"200": {"content": {"application/json": {"schema": resp}}}}}}}})
    }

    fn rules(old: Value, new: Value) -> Vec<(bool, String)> {
        let source: Source = toml::from_str(
            "provider='t'\nurl='u'\nspec_version='1'\npublished_sha256=''\nsha256=''\nkeep=['POST /x']\nwatch_prefixes=['/']",
        )
        .unwrap();
        compare(&old, &new, &new, &source).operations.into_iter().map(|c| (c.breaking, c.what)).collect()
    }

    fn obj(props: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": props, "required": required})
    }

    #[test]
    fn each_rule_is_classified() {
        let s = |t: &str| json!({"type": t});
        let none = json!([]);
        let base_req = obj(json!({"a": s("string"), "e": {"type": "string", "enum": ["x", "y"]}}), &["a"]);
        let base_resp =
            obj(json!({"r": s("string"), "o": s("string"), "e": {"type": "string", "enum": ["x", "y"]}}), &["r"]);
        let base = spec(base_req.clone(), base_resp.clone(), none.clone());
        let check = |new: Value, want: &[(bool, &str)]| {
            let got = rules(base.clone(), new);
            let want: Vec<(bool, String)> = want.iter().map(|(b, w)| (*b, w.to_string())).collect();
            assert_eq!(got, want);
        };
        let at_req = "POST /x: request body (application/json)";
        let at_resp = "POST /x: response 200 (application/json)";
        // Request: a new required field breaks; a new optional one does not.
        check(
            spec(
                obj(
                    json!({"a": s("string"), "e": {"type": "string", "enum": ["x", "y"]}, "n": s("string")}),
                    &["a", "n"],
                ),
                base_resp.clone(),
                none.clone(),
            ),
            &[(true, &format!("{at_req}: property n added (required)"))],
        );
        check(
            spec(
                obj(json!({"a": s("string"), "e": {"type": "string", "enum": ["x", "y"]}, "n": s("string")}), &["a"]),
                base_resp.clone(),
                none.clone(),
            ),
            &[(false, &format!("{at_req}: property n added"))],
        );
        // Request enum narrowed breaks, widened does not; response widened does not, narrowed does not.
        check(
            spec(
                obj(json!({"a": s("string"), "e": {"type": "string", "enum": ["x"]}}), &["a"]),
                base_resp.clone(),
                none.clone(),
            ),
            &[(true, &format!("{at_req}.e: enum narrowed (removed \"y\")"))],
        );
        check(
            spec(
                obj(json!({"a": s("string"), "e": {"type": "string", "enum": ["x", "y", "z"]}}), &["a"]),
                base_resp.clone(),
                none.clone(),
            ),
            &[(false, &format!("{at_req}.e: enum widened (added \"z\")"))],
        );
        check(
            spec(
                base_req.clone(),
                obj(
                    json!({"r": s("string"), "o": s("string"), "e": {"type": "string", "enum": ["x", "y", "z"]}}),
                    &["r"],
                ),
                none.clone(),
            ),
            &[(false, &format!("{at_resp}.e: enum widened (added \"z\")"))],
        );
        // Response: a removed field breaks; a new one does not; required → optional breaks.
        check(
            spec(
                base_req.clone(),
                obj(json!({"r": s("string"), "e": {"type": "string", "enum": ["x", "y"]}}), &["r"]),
                none.clone(),
            ),
            &[(true, &format!("{at_resp}: property o removed"))],
        );
        check(
            spec(
                base_req.clone(),
                obj(
                    json!({"r": s("string"), "o": s("string"), "e": {"type": "string", "enum": ["x", "y"]}, "n": s("string")}),
                    &["r"],
                ),
                none.clone(),
            ),
            &[(false, &format!("{at_resp}: property n added"))],
        );
        check(
            spec(
                base_req.clone(),
                obj(json!({"r": s("string"), "o": s("string"), "e": {"type": "string", "enum": ["x", "y"]}}), &[]),
                none.clone(),
            ),
            &[(true, &format!("{at_resp}: property r becomes optional"))],
        );
        // A type change breaks either way; nullable added breaks a response, not a request.
        check(
            spec(
                obj(json!({"a": s("integer"), "e": {"type": "string", "enum": ["x", "y"]}}), &["a"]),
                base_resp.clone(),
                none.clone(),
            ),
            &[(true, &format!("{at_req}.a: type {{\"string\"}} → {{\"integer\"}}"))],
        );
        check(
            spec(
                base_req.clone(),
                obj(
                    json!({"r": {"type": "string", "nullable": true}, "o": s("string"), "e": {"type": "string", "enum": ["x", "y"]}}),
                    &["r"],
                ),
                none.clone(),
            ),
            &[(true, &format!("{at_resp}.r: becomes nullable"))],
        );
        check(
            spec(
                obj(json!({"a": {"type": ["string", "null"]}, "e": {"type": "string", "enum": ["x", "y"]}}), &["a"]),
                base_resp.clone(),
                none.clone(),
            ),
            &[(false, &format!("{at_req}.a: becomes nullable"))],
        );
        // Parameters: a new required one breaks, an optional one does not.
        check(
            spec(
                base_req.clone(),
                base_resp.clone(),
                json!([{"in": "query", "name": "q", "required": true, "schema": s("string")}]),
            ),
            &[(true, "POST /x: parameter query q added (required)")],
        );
        check(
            spec(base_req.clone(), base_resp.clone(), json!([{"in": "query", "name": "q", "schema": s("string")}])),
            &[(false, "POST /x: parameter query q added")],
        );
        // Operations: removed breaks, added does not; deprecated does not.
        let mut deprecated = base.clone();
        deprecated.pointer_mut("/paths/~1x/post").unwrap()["deprecated"] = json!(true);
        check(deprecated, &[(false, "POST /x: deprecated false → true")]);
        let mut moved = base.clone();
        let op = moved.pointer("/paths/~1x/post").unwrap().clone();
        moved["paths"] = json!({"/y": {"post": op}});
        check(moved, &[(true, "POST /x: operation removed"), (false, "POST /y: operation added")]);
    }
}
