//! The document itself: every mounted route, under its prefix, one operation per method.

use std::collections::{BTreeMap, BTreeSet};

use kiln_route::{RoutePath, Segment, Syntax};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::{DescribeFn, ERROR_SCHEMA, Operation, error_schema};

/// The document's `info`: its title and version.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub(crate) title: String,
    pub(crate) version: String,
}

/// A mounted route, as the document needs it.
pub(crate) struct Listed<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) path: &'a str,
    pub(crate) name: &'a str,
    pub(crate) methods: kiln_route::Methods,
    pub(crate) csrf: bool,
    /// Made by a route attribute (its name is the handler's).
    pub(crate) positional: bool,
    pub(crate) describe: Option<DescribeFn>,
}

/// The OpenAPI 3.1 document of `routes` (each with its mount prefix).
///
/// A route whose path or prefix does not parse is left out: the app refuses to start
/// with it anyway, naming it.
pub(crate) fn document<'a>(
    routes: impl IntoIterator<Item = Listed<'a>>,
    info: Option<&Info>,
) -> Value {
    // Requests as they deserialize, responses as they serialize: `components.schemas`
    // holds both, under one name where they agree.
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    let mut inputs = settings.clone().for_deserialize().into_generator();
    let mut outputs = settings.for_serialize().into_generator();
    let mut paths = Map::new();
    let mut ids = BTreeSet::new();
    let mut package = None;
    let mut tags = BTreeSet::new();
    // The first spelling of each path shape: `/books/<id>` and `/books/<book_id>` are
    // one path to the router (parameters are positional), so one to the document.
    let mut shapes: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for def in routes {
        let (Ok(prefix), Ok(path)) = (
            RoutePath::parse_as(def.prefix, Syntax::Runtime),
            RoutePath::parse_as(def.path, Syntax::Runtime),
        ) else {
            continue;
        };
        let full = path.under(&prefix);
        let names: Vec<&str> = full.path_params().collect();
        let (template, first_names) = shapes
            .entry(shape_key(&full))
            .or_insert_with(|| {
                (
                    template(&full),
                    names.iter().map(|n| n.to_string()).collect(),
                )
            })
            .clone();
        // OpenAPI 3.1 has no `connect` operation.
        let methods: Vec<&str> = def.methods.names().filter(|m| *m != "CONNECT").collect();
        for &method in &methods {
            let mut op = Operation::new(&mut inputs, &mut outputs, method, def.csrf);
            match def.describe {
                Some(describe) => describe(&mut op),
                // A route added with `App::route`: its path parameters, as strings.
                None => {
                    for name in &names {
                        op.__path(name, None);
                    }
                }
            }
            if op.hidden {
                continue;
            }
            order_path_params(&mut op, &names, &first_names);
            if package.is_none() {
                package = op.package;
            }
            tags.extend(op.tag.clone());
            let id = unique(
                &mut ids,
                operation_id(&def, method, methods.len() > 1, &template),
            );
            let entry = paths
                .entry(template.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            entry[method.to_ascii_lowercase()] = op.finish(id);
        }
    }
    let mut schemas = inputs.take_definitions(true);
    let mut serialized = outputs.take_definitions(true);
    // A type that serializes otherwise than it deserializes (its own fields, or a type it
    // holds): its response schema as `<Name>Response`, the responses' references to it
    // renamed. Renaming one can make another differ, so until nothing changes.
    let mut renamed = BTreeMap::new();
    loop {
        let mut more = Vec::new();
        for (name, schema) in &serialized {
            let reference = format!("#/components/schemas/{name}");
            if renamed.contains_key(&reference) {
                continue;
            }
            let mut schema = schema.clone();
            rename_refs(&mut schema, &renamed);
            if schemas.get(name).is_some_and(|s| *s != schema) {
                more.push((name.clone(), reference));
            }
        }
        if more.is_empty() {
            break;
        }
        for (name, reference) in more {
            let mut new = format!("{name}Response");
            while schemas.contains_key(&new) || serialized.contains_key(&new) {
                new.push('_');
            }
            renamed.insert(reference, format!("#/components/schemas/{new}"));
        }
    }
    for (name, mut schema) in std::mem::take(&mut serialized) {
        rename_refs(&mut schema, &renamed);
        match renamed.get(&format!("#/components/schemas/{name}")) {
            Some(r) => {
                let new = r.rsplit('/').next().unwrap_or_default().to_string();
                schemas.insert(new, schema);
            }
            // The same both ways, or a response's alone: never in place of a request's.
            None => {
                schemas.entry(name).or_insert(schema);
            }
        }
    }
    if !renamed.is_empty() {
        for item in paths.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                rename_refs(&mut op["responses"], &renamed);
            }
        }
    }
    schemas.insert(ERROR_SCHEMA.into(), error_schema());
    let (title, version) = match (info, package) {
        (Some(i), _) => (i.title.clone(), i.version.clone()),
        (None, Some((name, version))) => (name.to_string(), version.to_string()),
        (None, None) => ("kiln app".to_string(), "0.0.0".to_string()),
    };
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": version },
        "paths": paths,
        "components": { "schemas": schemas },
    });
    if !tags.is_empty() {
        let tags: Vec<Value> = tags.into_iter().map(|t| json!({ "name": t })).collect();
        doc["tags"] = tags.into();
    }
    doc
}

/// The path in OpenAPI's form: `/book/{id}`, a tail `<rest..>` as `{rest}`.
fn template(path: &RoutePath) -> String {
    let mut out = String::new();
    for seg in &path.segments {
        out.push('/');
        match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param(n) | Segment::Tail(n) => {
                out.push('{');
                out.push_str(n);
                out.push('}');
            }
        }
    }
    if path.segments.is_empty() || path.trailing_slash {
        out.push('/');
    }
    out
}

/// What the router compares: the path with its parameters' names left out.
fn shape_key(path: &RoutePath) -> String {
    let mut out = String::new();
    for seg in &path.segments {
        out.push('/');
        match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param(_) => out.push_str("{}"),
            Segment::Tail(_) => out.push_str("{..}"),
        }
    }
    if path.trailing_slash {
        out.push('/');
    }
    out
}

/// The operation's id: the handler's name (`book`, `Books_get`), with the method when
/// it answers several; for a route added at run time (a closure, a function path), the
/// method and the path: `get_manual_n`.
fn operation_id(def: &Listed<'_>, method: &str, several: bool, template: &str) -> String {
    let method = method.to_ascii_lowercase();
    let name = if def.positional {
        def.name.replace("::", "_")
    } else {
        def.name.rsplit("::").next().unwrap_or_default().to_string()
    };
    let clean = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !clean {
        let words: Vec<&str> = template
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        return format!("{method}_{}", words.join("_"));
    }
    if several {
        format!("{name}_{method}")
    } else {
        name
    }
}

/// The path parameters first, in the path's order (a mount prefix adds none), under
/// the names of the path's first spelling.
fn order_path_params(op: &mut Operation<'_>, names: &[&str], first: &[String]) {
    let position = |p: &Value| {
        names
            .iter()
            .position(|n| p["in"] == "path" && p["name"] == *n)
            .unwrap_or(usize::MAX)
    };
    op.parameters.sort_by_key(|p| {
        if p["in"] == "path" {
            position(p)
        } else {
            usize::MAX
        }
    });
    for p in op.parameters.iter_mut().filter(|p| p["in"] == "path") {
        let at = names.iter().position(|n| p["name"] == *n);
        if let Some(new) = at.and_then(|i| first.get(i)) {
            p["name"] = new.as_str().into();
        }
    }
}

/// Every `$ref` in `value` that `renamed` names, renamed.
fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(r) if key == "$ref" => {
                        if let Some(new) = renamed.get(r.as_str()) {
                            *r = new.clone();
                        }
                    }
                    _ => rename_refs(v, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// `base`, or `base_2`, `base_3`.. if taken.
fn unique(ids: &mut BTreeSet<String>, base: String) -> String {
    let mut id = base.clone();
    let mut n = 2;
    while ids.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    ids.insert(id.clone());
    id
}
