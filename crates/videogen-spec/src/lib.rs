//! The vendored contracts (`specs/<api>/openapi.json`) as data: their operations, and each
//! operation's request and response schemas converted from OpenAPI 3.0 to JSON Schema (draft 4)
//! so the `jsonschema` crate can validate bodies against them.
//!
//! The conversion ([`to_json_schema`]):
//! - `$ref: #/components/schemas/X` → `$ref: #/definitions/X`, with every component copied into
//!   `definitions`;
//! - `nullable: true` → `null` added to `type` (and to `enum`), or `anyOf [schema, {type: null}]`
//!   when the schema has no `type` (a `$ref`/`allOf` wrapper);
//! - `readOnly` properties dropped from request schemas, `writeOnly` ones from response schemas;
//! - formats: `date-time` and `uri` are checked by the validator; OpenAPI-only formats (`uuid`,
//!   `binary`, `unixtime`, …) are dropped, as draft 4 does not define them;
//! - optionally ([`Direction::Request`] with `strict`), `additionalProperties: false` on every
//!   object schema that does not say otherwise, so unknown properties are rejected.
//!
//! ```
//! use serde_json::json;
//! use videogen_spec::{Direction, Spec};
//!
//! let spec = Spec::from_value(json!({
//!     "openapi": "3.0.3",
//!     "paths": {"/v": {"get": {"operationId": "getV", "responses": {"200": {"description": "ok",
//!         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V"}}}}}}}},
//!     "components": {"schemas": {"V": {"type": "object", "required": ["id"],
//!         "properties": {"id": {"type": "string"}, "n": {"type": "integer", "nullable": true}}}}}
//! }));
//! let op = spec.operation("getV").unwrap();
//! assert_eq!((op.method.as_str(), op.path.as_str()), ("get", "/v"));
//! let schema = spec.response_schema("getV", 200, "application/json", Direction::Response).unwrap();
//! assert!(videogen_spec::validate(&schema, &json!({"id": "a", "n": null})).is_ok());
//! assert!(videogen_spec::validate(&schema, &json!({"n": 1})).is_err());
//! ```

use serde_json::{Map, Value, json};

/// One operation of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    /// Lower-case HTTP method, e.g. `post`.
    pub method: String,
    /// The path template, e.g. `/api/ai/queue/{generation_id}`.
    pub path: String,
}

/// Which way a body travels; decides whether `readOnly` or `writeOnly` properties are dropped,
/// and whether unknown properties are rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A request body; `strict` rejects properties the schema does not declare (unless it
    /// declares `additionalProperties`).
    Request { strict: bool },
    /// A response body.
    Response,
}

/// A parsed contract.
#[derive(Clone, Debug)]
pub struct Spec {
    doc: Value,
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

impl Spec {
    /// Wraps a parsed OpenAPI 3.0 document.
    pub fn from_value(doc: Value) -> Self {
        Self { doc }
    }

    /// Parses OpenAPI 3.0 JSON text.
    ///
    /// # Errors
    /// The JSON parse error.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(Self::from_value)
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Every operation, in path then method order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        if let Some(paths) = self.doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(id) = item.get(*method).and_then(|op| op.get("operationId")).and_then(Value::as_str) {
                        out.push(Operation { id: id.into(), method: (*method).into(), path: path.clone() });
                    }
                }
            }
        }
        out
    }

    /// The operation with `operation_id`.
    pub fn operation(&self, operation_id: &str) -> Option<Operation> {
        self.operations().into_iter().find(|o| o.id == operation_id)
    }

    fn operation_value(&self, operation_id: &str) -> Option<&Value> {
        let op = self.operation(operation_id)?;
        self.doc.get("paths")?.get(&op.path)?.get(&op.method)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => self.doc.pointer(pointer).map_or(value, |v| self.resolve(v)),
            None => value,
        }
    }

    /// The JSON Schema of the response of `operation_id` for `status` (an exact code, else its
    /// `NXX` range, else `default`) and `content_type`. `None` when the spec declares no schema.
    pub fn response_schema(
        &self,
        operation_id: &str,
        status: u16,
        content_type: &str,
        direction: Direction,
    ) -> Option<Value> {
        let responses = self.operation_value(operation_id)?.get("responses")?;
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
            .or_else(|| responses.get("default"))?;
        let schema = self.resolve(response).get("content")?.get(content_type)?.get("schema")?;
        Some(self.schema_document(schema, direction))
    }

    /// The media types the response of `operation_id` for `status` may have.
    pub fn response_content_types(&self, operation_id: &str, status: u16) -> Vec<String> {
        let Some(responses) = self.operation_value(operation_id).and_then(|o| o.get("responses")) else {
            return vec![];
        };
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
            .or_else(|| responses.get("default"));
        response
            .and_then(|r| self.resolve(r).get("content"))
            .and_then(Value::as_object)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether the spec declares `status` (or its range, or `default`) for `operation_id`.
    pub fn declares_status(&self, operation_id: &str, status: u16) -> bool {
        self.operation_value(operation_id).and_then(|o| o.get("responses")).is_some_and(|r| {
            r.get(status.to_string()).is_some()
                || r.get(format!("{}XX", status / 100)).is_some()
                || r.get("default").is_some()
        })
    }

    /// The JSON Schema of the request body of `operation_id` for `content_type`.
    pub fn request_schema(&self, operation_id: &str, content_type: &str, direction: Direction) -> Option<Value> {
        let body = self.resolve(self.operation_value(operation_id)?.get("requestBody")?);
        let schema = body.get("content")?.get(content_type)?.get("schema")?;
        Some(self.schema_document(schema, direction))
    }

    /// A standalone JSON Schema document for an OpenAPI schema of this spec: the converted schema
    /// with every component under `definitions`.
    pub fn schema_document(&self, schema: &Value, direction: Direction) -> Value {
        let mut root = to_json_schema(schema, direction);
        let mut definitions = Map::new();
        if let Some(schemas) = self.doc.pointer("/components/schemas").and_then(Value::as_object) {
            for (name, s) in schemas {
                definitions.insert(name.clone(), to_json_schema(s, direction));
            }
        }
        if let Value::Object(map) = &mut root {
            map.insert("definitions".into(), Value::Object(definitions));
        }
        root
    }
}

/// Converts one OpenAPI 3.0 schema to JSON Schema draft 4 (see the crate docs).
pub fn to_json_schema(schema: &Value, direction: Direction) -> Value {
    let Value::Object(input) = schema else { return schema.clone() };
    let mut out = Map::new();
    for (key, value) in input {
        match key.as_str() {
            "$ref" => {
                let r = value.as_str().unwrap_or_default();
                let converted = r.replace("#/components/schemas/", "#/definitions/");
                out.insert(key.clone(), Value::String(converted));
            }
            "properties" => {
                let mut props = Map::new();
                for (name, prop) in value.as_object().into_iter().flatten() {
                    let drop = match direction {
                        Direction::Request { .. } => prop.get("readOnly") == Some(&Value::Bool(true)),
                        Direction::Response => prop.get("writeOnly") == Some(&Value::Bool(true)),
                    };
                    if !drop {
                        props.insert(name.clone(), to_json_schema(prop, direction));
                    }
                }
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" => {
                out.insert(key.clone(), to_json_schema(value, direction));
            }
            "additionalProperties" if value.is_object() => {
                out.insert(key.clone(), to_json_schema(value, direction));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value.as_array().into_iter().flatten().map(|s| to_json_schema(s, direction)).collect();
                out.insert(key.clone(), Value::Array(list));
            }
            "format" => {
                if matches!(value.as_str(), Some("date-time" | "uri" | "email" | "ipv4" | "ipv6" | "hostname")) {
                    out.insert(key.clone(), value.clone());
                }
            }
            // OpenAPI-only keywords with no JSON Schema meaning.
            "nullable" | "readOnly" | "writeOnly" | "discriminator" | "xml" | "externalDocs" | "example"
            | "deprecated" => {}
            k if k.starts_with("x-") => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // Required properties dropped above (readOnly in requests, writeOnly in responses) stop being required.
    if let (Some(Value::Array(required)), Some(Value::Object(props)), Some(Value::Object(original))) =
        (out.get("required").cloned(), out.get("properties"), input.get("properties"))
    {
        let kept: Vec<Value> = required
            .into_iter()
            .filter(|r| r.as_str().is_none_or(|n| props.contains_key(n) || !original.contains_key(n)))
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
    // Draft 4 requires a non-empty `required`; OpenAPI documents often carry `required: []`.
    if out.get("required").and_then(Value::as_array).is_some_and(Vec::is_empty) {
        out.remove("required");
    }
    if matches!(direction, Direction::Request { strict: true })
        && (out.get("type") == Some(&json!("object")) || out.contains_key("properties"))
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if input.get("nullable") == Some(&Value::Bool(true)) {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(values)) = out.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
        }
    }
    Value::Object(out)
}

/// Validates `instance` against a JSON Schema document (draft 4); `Err` lists every violation as
/// `<instance path>: <message>`.
pub fn validate(schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
    let validator = match jsonschema::draft4::options().should_validate_formats(true).build(schema) {
        Ok(v) => v,
        Err(e) => return Err(vec![format!("the schema itself is invalid: {e}")]),
    };
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(schema: &Value, instance: Value) -> bool {
        validate(schema, &instance).is_ok()
    }

    #[test]
    fn nullable_types_enums_and_refs() {
        let s = to_json_schema(&json!({"type": "string", "enum": ["a"], "nullable": true}), Direction::Response);
        assert!(v(&s, json!("a")) && v(&s, Value::Null) && !v(&s, json!("b")));
        let spec = Spec::from_value(json!({"components": {"schemas": {"E": {"type": "object", "required": ["code"],
            "properties": {"code": {"type": "string"}}}}}}));
        let doc = spec.schema_document(
            &json!({"allOf": [{"$ref": "#/components/schemas/E"}], "nullable": true}),
            Direction::Response,
        );
        assert!(v(&doc, Value::Null) && v(&doc, json!({"code": "x"})) && !v(&doc, json!({})));
    }

    #[test]
    fn read_only_and_write_only() {
        let schema = json!({"type": "object", "required": ["id", "secret"], "properties": {
            "id": {"type": "string", "readOnly": true}, "secret": {"type": "string", "writeOnly": true}}});
        let request = to_json_schema(&schema, Direction::Request { strict: true });
        assert!(v(&request, json!({"secret": "s"})));
        assert!(!v(&request, json!({"secret": "s", "id": "i"})), "readOnly properties are not sent");
        let response = to_json_schema(&schema, Direction::Response);
        assert!(v(&response, json!({"id": "i"})));
    }

    #[test]
    fn strict_requests_reject_unknown_properties_unless_the_schema_allows_them() {
        let closed = to_json_schema(
            &json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
            Direction::Request { strict: true },
        );
        assert!(v(&closed, json!({"a": 1})) && !v(&closed, json!({"a": 1, "b": 2})));
        let open = to_json_schema(
            &json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {}}),
            Direction::Request { strict: true },
        );
        assert!(v(&open, json!({"a": 1, "b": 2})));
        let lenient =
            to_json_schema(&json!({"type": "object", "properties": {"a": {"type": "integer"}}}), Direction::Response);
        assert!(v(&lenient, json!({"a": 1, "b": 2})));
    }

    #[test]
    fn formats() {
        let s = to_json_schema(&json!({"type": "string", "format": "date-time"}), Direction::Response);
        assert!(v(&s, json!("2026-04-02T00:41:48Z")) && !v(&s, json!("yesterday")));
        let u = to_json_schema(&json!({"type": "string", "format": "uuid"}), Direction::Response);
        assert!(v(&u, json!("not-a-uuid-but-openapi-only-format")));
        let b =
            to_json_schema(&json!({"type": "integer", "minimum": 5, "exclusiveMinimum": true}), Direction::Response);
        assert!(!v(&b, json!(5)) && v(&b, json!(6)));
    }

    #[test]
    fn status_lookup_falls_back_to_ranges() {
        let spec = Spec::from_value(json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "200": {"content": {"application/json": {"schema": {"type": "integer"}}}},
            "4XX": {"$ref": "#/components/responses/E"}}}}},
            "components": {"responses": {"E": {"content": {"application/json": {"schema": {"type": "string"}}}}}}}));
        assert!(spec.declares_status("a", 404) && !spec.declares_status("a", 500));
        let e = spec.response_schema("a", 404, "application/json", Direction::Response).unwrap();
        assert!(v(&e, json!("x")) && !v(&e, json!(1)));
        assert_eq!(spec.response_content_types("a", 200), vec!["application/json".to_string()]);
    }
}
