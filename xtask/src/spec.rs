//! From `specs/<api>/upstream.yaml` + `overlay.yaml` to the contract `specs/<api>/openapi.json`.
//!
//! Steps: parse the upstream YAML, normalize it to OpenAPI 3.0.3 ([`normalize`]), apply the overlay as
//! a JSON Merge Patch (RFC 7396, through the `json-patch` crate), normalize again (the overlay may
//! use 3.1 forms too), check that the result parses as OpenAPI 3.0 (`openapiv3`), and record the
//! sha256 of both inputs under `info.x-videogen-inputs` so `regen --check` can name the input that
//! changed.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One vendored API: its folder under `specs/` and the crate its client is generated into.
#[derive(Clone, Copy, Debug)]
pub struct Api {
    /// Folder name under `specs/`, e.g. `oxen`.
    pub name: &'static str,
    /// Crate folder under `crates/`, e.g. `videogen-oxen`.
    pub crate_name: &'static str,
}

/// Every vendored API, in the order `regen` processes them.
pub const APIS: &[Api] = &[
    Api { name: "oxen", crate_name: "videogen-oxen" },
    Api { name: "videodb", crate_name: "videogen-videodb" },
    Api { name: "openai", crate_name: "videogen-openai" },
    Api { name: "replicate", crate_name: "videogen-replicate" },
];

impl Api {
    pub fn spec_dir(&self, root: &Path) -> PathBuf {
        root.join("specs").join(self.name)
    }
    pub fn upstream_path(&self, root: &Path) -> PathBuf {
        self.spec_dir(root).join("upstream.yaml")
    }
    pub fn overlay_path(&self, root: &Path) -> PathBuf {
        self.spec_dir(root).join("overlay.yaml")
    }
    pub fn source_path(&self, root: &Path) -> PathBuf {
        self.spec_dir(root).join("source.toml")
    }
    pub fn contract_path(&self, root: &Path) -> PathBuf {
        self.spec_dir(root).join("openapi.json")
    }
    pub fn generated_path(&self, root: &Path) -> PathBuf {
        root.join("crates").join(self.crate_name).join("src/generated.rs")
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The inputs of one API, read from disk.
pub struct Inputs {
    pub upstream: Vec<u8>,
    pub overlay: Vec<u8>,
}

impl Inputs {
    pub fn read(api: &Api, root: &Path) -> Result<Self, String> {
        let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("reading {}: {e}", p.display()));
        Ok(Self { upstream: read(api.upstream_path(root))?, overlay: read(api.overlay_path(root))? })
    }
}

/// Builds the contract document for `api` from its inputs.
pub fn build_contract(api: &Api, inputs: &Inputs) -> Result<Value, String> {
    let upstream: Value =
        serde_yaml_ng::from_slice(&inputs.upstream).map_err(|e| format!("specs/{}/upstream.yaml: {e}", api.name))?;
    let overlay: Value =
        serde_yaml_ng::from_slice(&inputs.overlay).map_err(|e| format!("specs/{}/overlay.yaml: {e}", api.name))?;
    if !overlay.is_object() {
        return Err(format!("specs/{}/overlay.yaml: a JSON Merge Patch must be a mapping", api.name));
    }
    let mut doc = upstream;
    normalize(&mut doc);
    json_patch::merge(&mut doc, &overlay);
    normalize(&mut doc);
    doc["openapi"] = json!("3.0.3");
    doc["info"]["x-videogen-inputs"] = json!({
        "upstream.yaml": sha256_hex(&inputs.upstream),
        "overlay.yaml": sha256_hex(&inputs.overlay),
    });
    // The contract must be valid OpenAPI 3.0 as progenitor's parser reads it.
    serde_json::from_value::<openapiv3::OpenAPI>(doc.clone())
        .map_err(|e| format!("specs/{}: upstream + overlay is not OpenAPI 3.0: {e}", api.name))?;
    check_refs(&doc, &doc, "#").map_err(|e| format!("specs/{}: {e}", api.name))?;
    Ok(doc)
}

/// Serializes a contract the way it is committed: pretty JSON, keys sorted, trailing newline.
pub fn contract_text(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Rewrites OpenAPI 3.1 constructs into their 3.0.3 equivalents, in place. Idempotent.
///
/// - `anyOf`/`oneOf` with a `{type: 'null'}` branch: the branch is dropped and the schema gets
///   `nullable: true`; a single remaining inline branch is merged into the schema, a single
///   remaining `$ref` becomes `allOf: [$ref]` (3.0 ignores siblings of `$ref`).
/// - `type: [X, 'null']` → `type: X, nullable: true`.
/// - `const: v` → `enum: [v]`.
/// - schema `examples: [a, …]` (3.1, an array) → `example: a`.
/// - numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` + boolean flag.
pub fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            normalize_schema_object(map);
            for (_, v) in map.iter_mut() {
                normalize(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn normalize_schema_object(map: &mut Map<String, Value>) {
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = map.get(key) else { continue };
        if !branches.iter().any(is_null_schema) {
            continue;
        }
        let rest: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
        map.remove(key);
        map.insert("nullable".into(), Value::Bool(true));
        match rest.len() {
            0 => {}
            1 => {
                let only = rest.into_iter().next().expect("one branch");
                if only.get("$ref").is_some() {
                    map.insert("allOf".into(), Value::Array(vec![only]));
                } else if let Value::Object(inner) = only {
                    for (k, v) in inner {
                        // The outer schema's own keys (description, …) win over the branch's.
                        map.entry(k).or_insert(v);
                    }
                }
            }
            _ => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }
    if let Some(Value::Array(types)) = map.get("type") {
        let non_null: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
        let had_null = non_null.len() != types.len();
        if non_null.len() == 1 {
            map.insert("type".into(), non_null.into_iter().next().expect("one type"));
        }
        if had_null {
            map.insert("nullable".into(), Value::Bool(true));
        }
    }
    if let Some(c) = map.remove("const") {
        map.insert("enum".into(), Value::Array(vec![c]));
    }
    if let Some(Value::Array(examples)) = map.get("examples")
        && is_schema_like(map)
    {
        let first = examples.first().cloned();
        map.remove("examples");
        if let Some(first) = first {
            map.entry("example").or_insert(first);
        }
    }
    for (excl, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(n @ Value::Number(_)) = map.get(excl).cloned() {
            map.insert(bound.into(), n);
            map.insert(excl.into(), Value::Bool(true));
        }
    }
}

/// A schema carries `type`, `properties`, `items` or a composition keyword; a media type object
/// (whose `examples` is a map in 3.0) does not.
fn is_schema_like(map: &Map<String, Value>) -> bool {
    ["type", "properties", "items", "allOf", "anyOf", "oneOf", "enum"].iter().any(|k| map.contains_key(*k))
}

/// Every local `$ref` must resolve; an overlay typo would otherwise surface as a confusing
/// generator error.
fn check_refs(root: &Value, value: &Value, at: &str) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r.strip_prefix('#').ok_or_else(|| format!("{at}: non-local $ref {r}"))?;
                if root.pointer(pointer).is_none() {
                    return Err(format!("{at}: $ref {r} does not resolve"));
                }
            }
            for (k, v) in map {
                check_refs(root, v, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_refs(root, v, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The `sha256` that `source.toml` records for `upstream.yaml`.
pub fn recorded_upstream_sha(source_toml: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(source_toml).ok()?;
    table.get("sha256")?.as_str().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_branch_of_inline_schema_becomes_nullable() {
        let mut v = json!({"anyOf": [{"type": "integer", "format": "unixtime"}, {"type": "null"}], "description": "d"});
        normalize(&mut v);
        assert_eq!(v, json!({"type": "integer", "format": "unixtime", "nullable": true, "description": "d"}));
    }

    #[test]
    fn null_branch_of_ref_becomes_nullable_all_of() {
        let mut v = json!({"anyOf": [{"$ref": "#/components/schemas/E"}, {"type": "null"}]});
        normalize(&mut v);
        assert_eq!(v, json!({"allOf": [{"$ref": "#/components/schemas/E"}], "nullable": true}));
    }

    #[test]
    fn type_arrays_const_examples_and_exclusive_bounds() {
        let mut v = json!({
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"const": "video"},
                "c": {"type": "integer", "examples": [3, 4], "exclusiveMinimum": 0}
            },
            "type": "object"
        });
        normalize(&mut v);
        assert_eq!(v["properties"]["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(v["properties"]["b"], json!({"enum": ["video"]}));
        assert_eq!(
            v["properties"]["c"],
            json!({"type": "integer", "example": 3, "minimum": 0, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn normalize_is_idempotent_and_keeps_media_type_examples() {
        let mut v = json!({"content": {"application/json": {"examples": {"one": {"value": 1}}}},
                           "x": {"anyOf": [{"type": "string"}, {"type": "null"}]}});
        normalize(&mut v);
        let once = v.clone();
        normalize(&mut v);
        assert_eq!(v, once);
        assert_eq!(v["content"]["application/json"]["examples"]["one"]["value"], 1);
    }

    #[test]
    fn unresolved_ref_is_reported() {
        let doc = json!({"a": {"$ref": "#/components/schemas/Missing"}});
        let err = check_refs(&doc, &doc, "#").unwrap_err();
        assert!(err.contains("Missing"), "{err}");
    }

    #[test]
    fn reads_recorded_sha() {
        assert_eq!(recorded_upstream_sha("a = 1\nsha256 = \"abc\"\n").as_deref(), Some("abc"));
    }
}
