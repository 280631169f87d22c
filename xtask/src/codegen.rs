//! From the contract `specs/<api>/openapi.json` to `crates/videogen-<api>/src/generated.rs`.
//!
//! progenitor 0.15 generates one method per operation for a JSON (or octet-stream, text, form)
//! request body, and stops with a `todo!` on a body with several media types or a multipart one.
//! Before generation those bodies are set aside: a body that offers JSON beside other media types
//! keeps only JSON; an operation without a JSON body is left out. Each set-aside (operation, media
//! type) must be on [`HANDWRITTEN`], which names the hand-written replacement; anything set aside and
//! not listed, or listed and no longer set aside, fails the run.

use crate::spec::{Api, sha256_hex};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;

/// A request body media type that progenitor cannot generate, with the hand-written code that
/// covers it.
pub struct Handwritten {
    pub api: &'static str,
    pub operation_id: &'static str,
    pub media_type: &'static str,
    /// Where the replacement lives, for the generated header and error messages.
    pub replacement: &'static str,
}

/// The explicit list of hand-written operations (see the module docs).
pub const HANDWRITTEN: &[Handwritten] = &[
    Handwritten {
        api: "openai",
        operation_id: "createVideo",
        media_type: "multipart/form-data",
        replacement: "videogen_openai::Client::create_video_multipart (src/multipart.rs)",
    },
    Handwritten {
        api: "openai",
        operation_id: "CreateVideoRemix",
        media_type: "multipart/form-data",
        replacement: "videogen_openai::Client::create_video_remix_multipart (src/multipart.rs)",
    },
];

/// One request body media type removed before generation.
#[derive(Debug, PartialEq, Eq)]
pub struct SetAside {
    pub operation_id: String,
    pub media_type: String,
    /// True when the whole operation was left out (no JSON alternative).
    pub whole_operation: bool,
}

pub(crate) const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Removes request body media types progenitor cannot generate; returns what was removed.
pub fn set_aside_unsupported(doc: &mut Value) -> Result<Vec<SetAside>, String> {
    let mut removed = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(removed);
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let operation_id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{method} {path} has no operationId"))?
                .to_string();
            let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) else {
                if op.pointer("/requestBody/$ref").is_some() {
                    return Err(format!("{operation_id}: $ref request bodies are not supported by the xtask"));
                }
                continue;
            };
            let supported = |mt: &str| mt == "application/json" || mt.starts_with("application/json;");
            if content.len() == 1 && content.keys().all(|mt| supported(mt) || mt == "application/octet-stream") {
                continue;
            }
            let has_json = content.keys().any(|mt| supported(mt));
            let unsupported: Vec<String> = content.keys().filter(|mt| !supported(mt)).cloned().collect();
            for media_type in unsupported {
                removed.push(SetAside { operation_id: operation_id.clone(), media_type, whole_operation: !has_json });
            }
            if has_json {
                let content = item[*method]["requestBody"]["content"].as_object_mut().expect("checked above");
                content.retain(|mt, _| supported(mt));
            } else {
                item.remove(*method);
            }
        }
    }
    Ok(removed)
}

/// Checks the set-aside list of `api` against [`HANDWRITTEN`].
pub fn check_handwritten(api: &Api, set_aside: &[SetAside]) -> Result<(), String> {
    let listed: Vec<&Handwritten> = HANDWRITTEN.iter().filter(|h| h.api == api.name).collect();
    let mut problems = Vec::new();
    for s in set_aside {
        if !listed.iter().any(|h| h.operation_id == s.operation_id && h.media_type == s.media_type) {
            problems.push(format!(
                "specs/{}: operation {} has a {} request body that progenitor cannot generate{}, and it is not on \
                 xtask's HANDWRITTEN list: hand-write it in crates/{}/src and add it to the list",
                api.name,
                s.operation_id,
                s.media_type,
                if s.whole_operation { " (the whole operation was left out)" } else { "" },
                api.crate_name
            ));
        }
    }
    for h in listed {
        if !set_aside.iter().any(|s| s.operation_id == h.operation_id && s.media_type == h.media_type) {
            problems.push(format!(
                "xtask HANDWRITTEN lists {} {} for specs/{}, but the spec no longer has it: remove the entry ({})",
                h.operation_id, h.media_type, api.name, h.replacement
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

/// Generates the formatted Rust source of `generated.rs` for `api` from its contract.
pub fn generate(api: &Api, contract: &Value, contract_text: &str) -> Result<String, String> {
    let mut doc = contract.clone();
    let set_aside = set_aside_unsupported(&mut doc)?;
    check_handwritten(api, &set_aside)?;
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc).map_err(|e| format!("specs/{}/openapi.json: {e}", api.name))?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The crate's hand-written `ClientHooks` impl adds the auth header (only on requests to the
        // API's own origin) and removes progenitor's `api-version` header.
        .with_inner_type(quote::quote!(crate::ClientState))
        .with_hooks(HooksMode::Expected)
        // Deterministic serialization of pass-through maps (wire snapshots depend on it).
        .with_map_type("::std::collections::BTreeMap")
        // The contract tests compare each generated type's schema with the spec's component.
        .with_derive("::schemars::JsonSchema");
    let mut generator = Generator::new(&settings);
    let tokens = generator.generate_tokens(&spec).map_err(|e| format!("progenitor on specs/{}: {e}", api.name))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("progenitor output for specs/{} does not parse: {e}", api.name))?;
    let body = prettyplease::unparse(&file);

    let mut header = format!(
        "// @generated by `cargo xtask regen`. Do not edit by hand: change specs/{name}/overlay.yaml\n\
         // or the xtask, then run `cargo xtask regen`.\n\
         //\n\
         // Spec: specs/{name}/openapi.json (sha256 {sha}), OpenAPI {oas}, {title} {version}.\n\
         // Generator: progenitor 0.15 (positional interface), formatted with prettyplease.\n",
        name = api.name,
        sha = sha256_hex(contract_text.as_bytes()),
        oas = contract["openapi"].as_str().unwrap_or("?"),
        title = contract["info"]["title"].as_str().unwrap_or("?"),
        version = contract["info"]["version"].as_str().unwrap_or("?"),
    );
    for s in &set_aside {
        let replacement = HANDWRITTEN
            .iter()
            .find(|h| h.api == api.name && h.operation_id == s.operation_id && h.media_type == s.media_type)
            .map(|h| h.replacement)
            .unwrap_or("?");
        header.push_str(&format!(
            "// Set aside: {} {} request body, hand-written as {}.\n",
            s.operation_id, s.media_type, replacement
        ));
    }
    header.push('\n');
    Ok(header + &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(content: Value) -> Value {
        json!({"paths": {"/x": {"post": {"operationId": "createThing", "requestBody": {"content": content},
                "responses": {"200": {"description": "ok"}}}}}})
    }

    #[test]
    fn json_alternative_is_kept_and_multipart_recorded() {
        let mut doc = op(json!({"multipart/form-data": {}, "application/json": {}}));
        let removed = set_aside_unsupported(&mut doc).unwrap();
        assert_eq!(
            removed,
            vec![SetAside {
                operation_id: "createThing".into(),
                media_type: "multipart/form-data".into(),
                whole_operation: false
            }]
        );
        let content = doc.pointer("/paths/~1x/post/requestBody/content").unwrap();
        assert_eq!(content, &json!({"application/json": {}}));
    }

    #[test]
    fn multipart_only_operation_is_left_out_and_fails_when_not_listed() {
        let mut doc = op(json!({"multipart/form-data": {}}));
        let removed = set_aside_unsupported(&mut doc).unwrap();
        assert!(removed[0].whole_operation);
        assert!(doc.pointer("/paths/~1x/post").is_none());
        let api = Api { name: "oxen", crate_name: "videogen-oxen" };
        let err = check_handwritten(&api, &removed).unwrap_err();
        assert!(err.contains("createThing") && err.contains("not on"), "{err}");
    }

    #[test]
    fn stale_handwritten_entry_fails() {
        let api = Api { name: "openai", crate_name: "videogen-openai" };
        let err = check_handwritten(&api, &[]).unwrap_err();
        assert!(err.contains("createVideo") && err.contains("no longer"), "{err}");
    }
}
