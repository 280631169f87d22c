//! The `example` values of an OpenAPI 3.0 document, assembled per generated type, so each provider
//! crate can prove that every example decodes into its generated types (feature `test-support`).
//!
//! For each component schema, and each inline request body (`<OperationId>Body`) and inline 200
//! JSON response (`<OperationId>Response`) schema, the example is the schema's own `example`, or
//! else an object built from its properties' examples (recursively, through `$ref` and one-item
//! `allOf`). An object whose required properties do not all have an example yields none.
//! Names follow progenitor/typify: `ImageRefParam-2` → `ImageRefParam2`,
//! `get_video` → `GetVideoResponse`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Type name (as generated) → assembled example.
pub fn collect(spec: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            if let Some(example) = assemble(spec, schema, 0) {
                out.insert(pascal(name), example);
            }
        }
    }
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for op in item.values().filter(|op| op.get("operationId").is_some()) {
                let id = pascal(op["operationId"].as_str().unwrap_or_default());
                let inline = [
                    (format!("{id}Body"), op.pointer("/requestBody/content/application~1json/schema")),
                    (format!("{id}Response"), op.pointer("/responses/200/content/application~1json/schema")),
                ];
                for (name, schema) in inline {
                    let Some(schema) = schema.filter(|s| s.get("$ref").is_none()) else { continue };
                    if let Some(example) = assemble(spec, schema, 0) {
                        out.insert(name, example);
                    }
                }
            }
        }
    }
    out
}

fn assemble(spec: &Value, schema: &Value, depth: usize) -> Option<Value> {
    if depth > 16 {
        return None;
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return assemble(spec, spec.pointer(r.strip_prefix('#')?)?, depth + 1);
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return assemble(spec, only, depth + 1);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let mut obj = Map::new();
        for (name, prop) in props {
            if let Some(v) = assemble(spec, prop, depth + 1) {
                obj.insert(name.clone(), v);
            }
        }
        let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        let complete = required.iter().filter_map(Value::as_str).all(|r| obj.contains_key(r));
        return (!obj.is_empty() && complete).then_some(Value::Object(obj));
    }
    if let Some(items) = schema.get("items") {
        return assemble(spec, items, depth + 1).map(|v| Value::Array(vec![v]));
    }
    None
}

/// typify's type naming, for the names in specs: split on non-alphanumerics, capitalize each part.
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// JSON equality with every number compared as `f64` (a `number` example `5` re-encodes as `5.0`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Decodes `example` as `T` and re-encodes it; `Err` names what failed.
pub fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(example: &Value) -> Result<(), String> {
    let decoded: T = serde_json::from_value(example.clone()).map_err(|e| format!("decode: {e}"))?;
    let encoded = serde_json::to_value(&decoded).map_err(|e| format!("encode: {e}"))?;
    if same_json(example, &encoded) { Ok(()) } else { Err(format!("re-encoded as {encoded}, example was {example}")) }
}

/// A decoder for one generated type: usually `round_trip::<types::Name>`.
pub type Decoder = fn(&Value) -> Result<(), String>;

/// Checks every assembled example of `spec` with `decoders` (type name → [`round_trip`] of that
/// type) and panics listing each failure and each example type without a decoder.
pub fn assert_examples_round_trip(spec: &Value, decoders: &[(&str, Decoder)]) {
    let examples = collect(spec);
    let mut problems = Vec::new();
    for (name, example) in &examples {
        match decoders.iter().find(|(n, _)| n == name) {
            None => problems.push(format!("{name}: example {example} has no decoder in the test")),
            Some((_, decode)) => {
                if let Err(e) = decode(example) {
                    problems.push(format!("{name}: {e}"));
                }
            }
        }
    }
    for (name, _) in decoders {
        if !examples.contains_key(*name) {
            problems.push(format!("{name}: listed in the test, but the spec has no complete example for it"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assembles_from_properties_refs_and_items() {
        let spec = json!({
            "components": {"schemas": {
                "A": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "example": "m-1"},
                    "b": {"$ref": "#/components/schemas/B"},
                    "list": {"type": "array", "items": {"type": "integer", "example": 3}}}},
                "B": {"type": "object", "properties": {"n": {"type": "number", "example": 1.5}}},
                "NoExample": {"type": "object", "required": ["x"], "properties": {"y": {"example": 1}}},
                "Image-2": {"type": "object", "properties": {"u": {"example": "x"}}}
            }},
            "paths": {"/a": {"get": {"operationId": "get_a", "responses": {"200": {"content": {"application/json":
                {"schema": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/A"}}}}}}}}}}
        });
        let got = collect(&spec);
        assert_eq!(got["A"], json!({"id": "m-1", "b": {"n": 1.5}, "list": [3]}));
        assert_eq!(got["GetAResponse"], json!({"data": got["A"]}));
        assert!(got.contains_key("Image2"));
        assert!(!got.contains_key("NoExample"));
    }

    #[test]
    fn numbers_compare_as_f64() {
        assert!(same_json(&json!({"a": [5]}), &json!({"a": [5.0]})));
        assert!(!same_json(&json!({"a": 5}), &json!({"a": 6})));
        assert!(!same_json(&json!({"a": 5}), &json!({"a": 5, "b": null})));
    }
}
