//! The change report of `cargo xtask spec update`: what changed between the committed subset and
//! the new one, per operation and per schema, each change classified as breaking or not for a
//! client of this crate. The rules follow oasdiff's idea — a change breaks a client when a
//! request it sends could now be refused, or an answer it reads could now fail to decode or lose
//! data it uses:
//!
//! | change | in a request | in a response |
//! |---|---|---|
//! | operation removed | breaking | — |
//! | operation added, deprecated | not breaking | — |
//! | property removed | breaking (the client may send it) | breaking (the client may read it) |
//! | property added | breaking if required, else not | not breaking |
//! | property becomes required | breaking | not breaking |
//! | property becomes optional | not breaking | breaking |
//! | type changed, format changed | breaking | breaking |
//! | enum values removed (narrowed) | breaking | not breaking |
//! | enum values added (widened) | not breaking | not breaking |
//! | nullable removed | breaking | not breaking |
//! | nullable added | not breaking | breaking |
//! | parameter added | breaking if required, else not | — |
//! | parameter removed, becomes required | breaking | — |
//! | request media type removed | breaking | — |
//! | 2xx status or its media type removed | — | breaking |
//! | other status or media type added or removed | not breaking | not breaking |

use crate::codegen::METHODS;
use crate::update::{Source, resolve};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether it can break a client of this crate.
    pub breaking: bool,
    /// Where and what, e.g. `POST /videos: request body: .seconds: enum narrowed (removed "12")`.
    pub what: String,
}

/// The whole report.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Per operation (`METHOD /path`).
    pub operations: Vec<Change>,
    /// Per component schema.
    pub schemas: Vec<Change>,
    /// Operations of the new published spec under the watched prefixes that are not kept.
    pub not_kept: Vec<String>,
}

impl Report {
    pub fn breaking(&self) -> usize {
        self.operations.iter().chain(&self.schemas).filter(|c| c.breaking).count()
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let line = |c: &Change| format!("  {} {}\n", if c.breaking { "BREAKING" } else { "ok      " }, c.what);
        out.push_str(&format!("operations ({} changes):\n", self.operations.len()));
        self.operations.iter().for_each(|c| out.push_str(&line(c)));
        out.push_str(&format!("schemas ({} changes):\n", self.schemas.len()));
        self.schemas.iter().for_each(|c| out.push_str(&line(c)));
        out.push_str(&format!(
            "not kept, under the watched prefixes ({}; new upstream operations worth a look):\n",
            self.not_kept.len()
        ));
        self.not_kept.iter().for_each(|o| out.push_str(&format!("  {o}\n")));
        let total = self.operations.len() + self.schemas.len();
        out.push_str(&format!("summary: {} breaking, {} not breaking\n", self.breaking(), total - self.breaking()));
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    Request,
    Response,
}

fn operations(doc: &Value) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            if let Value::Object(item) = item {
                for (method, op) in item {
                    if METHODS.contains(&method.as_str()) {
                        out.insert(format!("{} {path}", method.to_ascii_uppercase()), op);
                    }
                }
            }
        }
    }
    out
}

/// Compares the committed subset `old` with the new one `new` (cut from `full`).
pub fn compare(old: &Value, new: &Value, full: &Value, source: &Source) -> Report {
    let mut report = Report::default();
    let (old_ops, new_ops) = (operations(old), operations(new));
    for name in old_ops.keys().filter(|k| !new_ops.contains_key(*k)) {
        report.operations.push(Change { breaking: true, what: format!("{name}: operation removed") });
    }
    for name in new_ops.keys().filter(|k| !old_ops.contains_key(*k)) {
        report.operations.push(Change { breaking: false, what: format!("{name}: operation added") });
    }
    for (name, o) in &old_ops {
        if let Some(n) = new_ops.get(name) {
            let mut d = Differ { old, new, out: Vec::new(), seen: BTreeSet::new() };
            d.operation(name, o, n);
            report.operations.extend(d.out);
        }
    }
    // Per schema, in the direction(s) the kept operations use it.
    let usage = |doc: &Value| {
        let mut request = BTreeSet::new();
        let mut response = BTreeSet::new();
        for op in operations(doc).values() {
            let mut r = BTreeSet::new();
            collect(doc, op.get("requestBody"), &mut r);
            if let Some(Value::Array(params)) = op.get("parameters") {
                params.iter().for_each(|p| collect(doc, Some(p), &mut r));
            }
            request.extend(r);
            let mut s = BTreeSet::new();
            collect(doc, op.get("responses"), &mut s);
            response.extend(s);
        }
        (request, response)
    };
    let (req_old, resp_old) = usage(old);
    let (req_new, resp_new) = usage(new);
    let schemas = |doc: &Value| -> BTreeMap<String, Value> {
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    let (old_schemas, new_schemas) = (schemas(old), schemas(new));
    for name in old_schemas.keys().filter(|k| !new_schemas.contains_key(*k)) {
        report
            .schemas
            .push(Change { breaking: false, what: format!("{name}: no longer referenced by a kept operation") });
    }
    for name in new_schemas.keys().filter(|k| !old_schemas.contains_key(*k)) {
        report.schemas.push(Change { breaking: false, what: format!("{name}: newly referenced by a kept operation") });
    }
    for (name, o) in &old_schemas {
        let Some(n) = new_schemas.get(name) else { continue };
        let r = format!("#/components/schemas/{name}");
        for (dir, used) in [
            (Dir::Request, req_old.contains(&r) || req_new.contains(&r)),
            (Dir::Response, resp_old.contains(&r) || resp_new.contains(&r)),
        ] {
            if used {
                let mut d = Differ { old, new, out: Vec::new(), seen: BTreeSet::new() };
                let label = match dir {
                    Dir::Request => format!("{name} (in requests)"),
                    Dir::Response => format!("{name} (in responses)"),
                };
                d.schema(&label, o, n, dir);
                report.schemas.extend(d.out);
            }
        }
    }
    // Not kept, under the watched prefixes.
    let kept: BTreeSet<String> = source.keep.iter().cloned().collect();
    for name in operations(full).keys() {
        let path = name.split_once(' ').map_or("", |(_, p)| p);
        if !kept.contains(name) && source.watch_prefixes.iter().any(|p| path.starts_with(p.as_str())) {
            report.not_kept.push(name.clone());
        }
    }
    report
}

/// The component `$ref`s reachable from `node`.
fn collect(doc: &Value, node: Option<&Value>, out: &mut BTreeSet<String>) {
    let Some(node) = node else { return };
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(r) = v.as_str()
                {
                    if out.insert(r.to_string()) {
                        collect(doc, resolve(doc, r), out);
                    }
                } else {
                    collect(doc, Some(v), out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(doc, Some(v), out)),
        _ => {}
    }
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    out: Vec<Change>,
    /// `$ref` pairs already compared (schemas can be recursive).
    seen: BTreeSet<(String, String)>,
}

fn types(schema: &Value) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = match schema.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(String::from)).collect(),
        _ => BTreeSet::new(),
    };
    set.remove("null");
    set
}

/// Whether a schema admits null: 3.0 `nullable`, a 3.1 `type` list with "null", or a null branch.
fn nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool).unwrap_or(false)
        || schema.get("type").and_then(Value::as_array).is_some_and(|ts| ts.iter().any(|t| t == "null"))
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|bs| bs.iter().any(|b| b.get("type") == Some(&Value::from("null"))))
        })
}

fn strings(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), |s| format!("{s:?}"))).collect())
        .unwrap_or_default()
}

impl Differ<'_> {
    fn push(&mut self, breaking: bool, what: String) {
        self.out.push(Change { breaking, what });
    }

    fn operation(&mut self, name: &str, o: &Value, n: &Value) {
        let flag = |v: &Value| v.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        if flag(o) != flag(n) {
            self.push(false, format!("{name}: deprecated {} → {}", flag(o), flag(n)));
        }
        // Parameters, by (in, name).
        let params = |doc: &Value, op: &Value| -> BTreeMap<String, Value> {
            op.get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| {
                            let p = match p.get("$ref").and_then(Value::as_str) {
                                Some(r) => resolve(doc, r)?,
                                None => p,
                            };
                            Some((format!("{} {}", p.get("in")?.as_str()?, p.get("name")?.as_str()?), p.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (po, pn) = (params(self.old, o), params(self.new, n));
        let required = |p: &Value| p.get("required").and_then(Value::as_bool).unwrap_or(false);
        for (k, p) in &pn {
            match po.get(k) {
                None => self.push(
                    required(p),
                    format!("{name}: parameter {k} added{}", if required(p) { " (required)" } else { "" }),
                ),
                Some(old) => {
                    if !required(old) && required(p) {
                        self.push(true, format!("{name}: parameter {k} becomes required"));
                    }
                    if let (Some(a), Some(b)) = (old.get("schema"), p.get("schema")) {
                        self.schema(&format!("{name}: parameter {k}"), a, b, Dir::Request);
                    }
                }
            }
        }
        for k in po.keys().filter(|k| !pn.contains_key(*k)) {
            self.push(true, format!("{name}: parameter {k} removed"));
        }
        // Request body.
        let body = |doc: &Value, op: &Value| -> Option<Value> {
            let b = op.get("requestBody")?;
            Some(match b.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(doc, r)?.clone(),
                None => b.clone(),
            })
        };
        match (body(self.old, o), body(self.new, n)) {
            (None, Some(b)) => {
                let req = required(&b);
                self.push(req, format!("{name}: request body added{}", if req { " (required)" } else { "" }));
            }
            (Some(_), None) => self.push(false, format!("{name}: request body removed")),
            (Some(a), Some(b)) => {
                if !required(&a) && required(&b) {
                    self.push(true, format!("{name}: request body becomes required"));
                }
                self.content(&format!("{name}: request body"), a.get("content"), b.get("content"), Dir::Request, true);
            }
            (None, None) => {}
        }
        // Responses, by status.
        let empty = serde_json::Map::new();
        let ro = o.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        let rn = n.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        for status in rn.keys().filter(|s| !ro.contains_key(*s)) {
            self.push(false, format!("{name}: response {status} added"));
        }
        for status in ro.keys().filter(|s| !rn.contains_key(*s)) {
            self.push(status.starts_with('2'), format!("{name}: response {status} removed"));
        }
        for (status, a) in ro {
            let Some(b) = rn.get(status) else { continue };
            let deref = |doc: &Value, v: &Value| match v.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(doc, r).cloned().unwrap_or(Value::Null),
                None => v.clone(),
            };
            let (a, b) = (deref(self.old, a), deref(self.new, b));
            self.content(
                &format!("{name}: response {status}"),
                a.get("content"),
                b.get("content"),
                Dir::Response,
                status.starts_with('2'),
            );
        }
    }

    fn content(&mut self, at: &str, o: Option<&Value>, n: Option<&Value>, dir: Dir, removal_breaks: bool) {
        let empty = serde_json::Map::new();
        let o = o.and_then(Value::as_object).unwrap_or(&empty);
        let n = n.and_then(Value::as_object).unwrap_or(&empty);
        for media in n.keys().filter(|m| !o.contains_key(*m)) {
            self.push(false, format!("{at}: media type {media} added"));
        }
        for media in o.keys().filter(|m| !n.contains_key(*m)) {
            self.push(removal_breaks, format!("{at}: media type {media} removed"));
        }
        for (media, a) in o {
            if let (Some(sa), Some(sb)) = (a.get("schema"), n.get(media).and_then(|b| b.get("schema"))) {
                self.schema(&format!("{at} ({media})"), sa, sb, dir);
            }
        }
    }

    /// Compares two schemas met at `at` in direction `dir`.
    fn schema(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let request = dir == Dir::Request;
        let (o, n) = match (o.get("$ref").and_then(Value::as_str), n.get("$ref").and_then(Value::as_str)) {
            (Some(ro), Some(rn)) => {
                if !self.seen.insert((format!("{dir:?}{ro}"), rn.to_string())) {
                    return;
                }
                let (Some(a), Some(b)) = (resolve(self.old, ro), resolve(self.new, rn)) else { return };
                (a, b)
            }
            (Some(ro), None) => match resolve(self.old, ro) {
                Some(a) => (a, n),
                None => return,
            },
            (None, Some(rn)) => match resolve(self.new, rn) {
                Some(b) => (o, b),
                None => return,
            },
            (None, None) => (o, n),
        };
        let (to, tn) = (types(o), types(n));
        if !to.is_empty() && !tn.is_empty() && to != tn {
            self.push(true, format!("{at}: type {to:?} → {tn:?}"));
        }
        let format = |s: &Value| s.get("format").and_then(Value::as_str).map(String::from);
        if let (Some(a), Some(b)) = (format(o), format(n))
            && a != b
        {
            self.push(true, format!("{at}: format {a} → {b}"));
        }
        if nullable(o) != nullable(n) {
            let now = nullable(n);
            self.push(
                if request { !now } else { now },
                format!("{at}: {}", if now { "becomes nullable" } else { "no longer nullable" }),
            );
        }
        let flag = |v: &Value| v.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        if flag(o) != flag(n) {
            self.push(false, format!("{at}: deprecated {} → {}", flag(o), flag(n)));
        }
        let (eo, en) = (strings(o.get("enum")), strings(n.get("enum")));
        if !eo.is_empty() || !en.is_empty() {
            let removed: Vec<&String> = eo.difference(&en).collect();
            let added: Vec<&String> = en.difference(&eo).collect();
            if !removed.is_empty() && !en.is_empty() {
                self.push(request, format!("{at}: enum narrowed (removed {})", join(&removed)));
            }
            if !added.is_empty() && !eo.is_empty() {
                self.push(false, format!("{at}: enum widened (added {})", join(&added)));
            }
            if eo.is_empty() && !en.is_empty() {
                self.push(request, format!("{at}: now restricted to {}", join(&en.iter().collect::<Vec<_>>())));
            }
        }
        // Properties and the required set.
        let (ro, rn) = (strings(o.get("required")), strings(n.get("required")));
        let empty = serde_json::Map::new();
        let po = o.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let pn = n.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        for (k, _) in pn.iter().filter(|(k, _)| !po.contains_key(*k)) {
            let required = rn.contains(&format!("{k:?}"));
            self.push(
                request && required,
                format!("{at}: property {k} added{}", if required { " (required)" } else { "" }),
            );
        }
        for k in po.keys().filter(|k| !pn.contains_key(*k)) {
            self.push(true, format!("{at}: property {k} removed"));
        }
        for k in pn.keys().filter(|k| po.contains_key(*k)) {
            let key = format!("{k:?}");
            match (ro.contains(&key), rn.contains(&key)) {
                (false, true) => self.push(request, format!("{at}: property {k} becomes required")),
                (true, false) => self.push(!request, format!("{at}: property {k} becomes optional")),
                _ => {}
            }
            self.schema(&format!("{at}.{k}"), &po[k], &pn[k], dir);
        }
        if let (Some(a), Some(b)) = (o.get("items"), n.get("items")) {
            self.schema(&format!("{at}[]"), a, b, dir);
        }
        if let (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) =
            (o.get("additionalProperties"), n.get("additionalProperties"))
        {
            self.schema(&format!("{at}{{*}}"), a, b, dir);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let (a, b) = (o.get(key).and_then(Value::as_array), n.get(key).and_then(Value::as_array));
            match (a, b) {
                (Some(a), Some(b)) => {
                    if a.len() != b.len() {
                        // Fewer choices in a request, or more in an answer, can break a client.
                        let breaking = if request { b.len() < a.len() } else { b.len() > a.len() };
                        self.push(breaking, format!("{at}: {key} has {} branches, was {}", b.len(), a.len()));
                    }
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        self.schema(&format!("{at}<{key} {i}>"), x, y, dir);
                    }
                }
                (None, Some(_)) | (Some(_), None) => self.push(true, format!("{at}: {key} added or removed")),
                (None, None) => {}
            }
        }
    }
}

fn join(values: &[&String]) -> String {
    values.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}
