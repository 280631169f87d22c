//! The generated types derive `schemars::JsonSchema` (an xtask generation setting). Each
//! component of each spec is compared with its generated type's schema: property names, the
//! required set, and enum values. A generation mistake — a renamed, lost or extra field, a field
//! made optional that the spec requires, an enum value gained or lost — fails here.

use serde_json::Value;
use std::collections::BTreeSet;
use videogen_contract_tests::spec;
use videogen_transport::examples::pascal;

macro_rules! generated {
    ($types:path; $($name:ident),* $(,)?) => {{
        use $types as t;
        vec![$((stringify!($name), serde_json::to_value(schemars::schema_for!(t::$name)).unwrap())),*]
    }};
}

fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        _ => BTreeSet::new(),
    }
}

fn enum_values(v: &Value) -> Option<BTreeSet<String>> {
    v.get("enum").and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
}

/// The differences between a spec component and its generated type's schema.
fn compare(component: &Value, generated: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let spec_props = names(component.get("properties"));
    let gen_props = names(generated.get("properties"));
    if spec_props != gen_props {
        problems.push(format!("properties: spec {spec_props:?}, generated {gen_props:?}"));
    }
    // Required in the spec and not nullable → required in Rust; required but nullable may be
    // either (an Option the server must send); never required in Rust when the spec says optional.
    let spec_required = names(component.get("required"));
    let gen_required = names(generated.get("required"));
    let nullable = |p: &str| component.pointer(&format!("/properties/{p}/nullable")) == Some(&Value::Bool(true));
    let must: BTreeSet<String> = spec_required.iter().filter(|p| !nullable(p)).cloned().collect();
    let defaulted = |p: &str| component.pointer(&format!("/properties/{p}/default")).is_some();
    for p in &must {
        if !gen_required.contains(p) && !defaulted(p) {
            problems.push(format!("{p} is required by the spec but optional in Rust"));
        }
    }
    for p in &gen_required {
        if !spec_required.contains(p) && !defaulted(p) {
            problems.push(format!("{p} is optional in the spec but required in Rust"));
        }
    }
    if let Some(spec_enum) = enum_values(component) {
        let gen_enum = enum_values(generated).unwrap_or_default();
        if spec_enum != gen_enum {
            problems.push(format!("enum: spec {spec_enum:?}, generated {gen_enum:?}"));
        }
    }
    // An untagged Rust enum shows as `anyOf` in schemars; count the branches either way.
    let branches =
        |v: &Value| ["oneOf", "anyOf"].iter().find_map(|k| v.get(*k).and_then(Value::as_array).map(Vec::len));
    if let Some(n) = branches(component)
        && branches(generated) != Some(n)
    {
        problems.push(format!("spec has {n} oneOf/anyOf branches, generated {:?}", branches(generated)));
    }
    problems
}

fn check(api: &str, generated: Vec<(&str, Value)>) {
    let spec = spec(api);
    let components = spec.doc().pointer("/components/schemas").and_then(Value::as_object).unwrap();
    let mut problems = Vec::new();
    for (name, component) in components {
        let rust = pascal(name);
        match generated.iter().find(|(n, _)| *n == rust) {
            None => problems.push(format!("{api}: component {name} has no entry in this test (type {rust})")),
            Some((_, schema)) => {
                for p in compare(component, schema) {
                    problems.push(format!("{api}: {name}: {p}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "generated types differ from the spec:\n{}", problems.join("\n"));
}

#[test]
fn oxen_types_match_the_spec() {
    check(
        "oxen",
        generated!(videogen_oxen::types; GeneratedVideo, GenerationsListResponse, GenerationsShowResponse, InputImage,
            ListModelsResponse, Model, MultiPromptShot, OxenError, OxenErrorEnvelope, OxenMessageError, QueueCreateRequest,
            QueueCreateResponse, QueueDeleteResponse, QueueGenerationResponse, QueueListResponse, VideoGenerateRequest,
            VideoGenerateResponse),
    );
}

#[test]
fn videodb_types_match_the_spec() {
    check(
        "videodb",
        generated!(videogen_videodb::types; AsyncResponse, AsyncResult, AsyncResultWrapper, Collection, Error, SuccessResponse, Video),
    );
}

#[test]
fn openai_types_match_the_spec() {
    check(
        "openai",
        generated!(videogen_openai::types; CreateVideoJsonBody, CreateVideoMultipartBody, CreateVideoRemixBody, DeletedVideoResource,
            Error, Error2, ErrorResponse, ImageRefParam2, OrderEnum, VideoContentVariant, VideoListResource, VideoModel,
            VideoResource, VideoSeconds, VideoSize, VideoStatus),
    );
}

#[test]
fn the_comparison_catches_differences() {
    let component = serde_json::json!({"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"}, "kind": {"type": "string", "enum": ["a", "b"]}}});
    let renamed = serde_json::json!({"type": "object", "required": ["ident"], "properties": {"ident": {}, "kind": {}}});
    let problems = compare(&component, &renamed);
    assert!(problems.iter().any(|p| p.contains("properties")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("id is required")), "{problems:?}");
    let e = serde_json::json!({"type": "string", "enum": ["a", "b"]});
    assert!(!compare(&e, &serde_json::json!({"type": "string", "enum": ["a"]})).is_empty());
}
