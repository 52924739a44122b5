//! `App::openapi_ui`: the document as an HTML page of kiln's own, rendered once at
//! start-up by askama (so escaped), with no script and its stylesheet served beside
//! it, so it works under a `default-src 'self'` content security policy.

use askama::Template;
use serde_json::Value;

/// The stylesheet, served at `<page>/openapi.css`.
pub(crate) const CSS: &str = include_str!("ui.css");

/// A piece of a type: text, or a link to a schema.
struct Piece {
    text: String,
    link: String,
}

/// A piece of prose: text, or what was between backticks.
struct Span {
    text: String,
    code: bool,
}

/// `text` with its `` `code` `` spans marked.
fn prose(text: &str) -> Vec<Span> {
    text.split('`')
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| Span {
            text: t.to_string(),
            code: i % 2 == 1,
        })
        .collect()
}

struct Media {
    media: String,
    ty: Vec<Piece>,
}

struct Param {
    name: String,
    location: String,
    required: bool,
    ty: Vec<Piece>,
    notes: Vec<Span>,
}

struct Reply {
    status: String,
    /// The status's first digit, for its colour.
    class: String,
    description: Vec<Span>,
    media: Vec<Media>,
}

struct Op {
    /// Its tag (the handler's module), empty for none.
    tag: String,
    deprecated: bool,
    method: String,
    path: String,
    id: String,
    summary: Vec<Span>,
    description: Vec<Span>,
    params: Vec<Param>,
    body: Vec<Media>,
    replies: Vec<Reply>,
}

struct Group {
    /// The tag, empty for the operations without one.
    name: String,
    ops: Vec<Op>,
}

struct Field {
    name: String,
    required: bool,
    ty: Vec<Piece>,
    notes: Vec<Span>,
}

struct SchemaView {
    name: String,
    description: Vec<Span>,
    ty: Vec<Piece>,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "openapi_ui.html")]
struct Page<'a> {
    title: &'a str,
    version: &'a str,
    json_url: &'a str,
    css_url: &'a str,
    count: usize,
    /// The operations without a tag, then each tag's.
    groups: Vec<Group>,
    schemas: Vec<SchemaView>,
}

/// The page for `doc`, linking the JSON at `json_url` (if served) and its stylesheet.
pub(crate) fn render(doc: &Value, json_url: Option<&str>, css_url: &str) -> String {
    let str_at = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: str_at(&p["name"]),
                    location: str_at(&p["in"]),
                    required: p["required"] == true,
                    ty: type_of(&p["schema"]),
                    notes: notes(&p["schema"], p["description"].as_str()),
                })
                .collect();
            let mut replies: Vec<(u8, Reply)> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let reply = Reply {
                        status: status.clone(),
                        class: status.chars().take(1).collect(),
                        description: prose(r["description"].as_str().unwrap_or_default()),
                        media: media(&r["content"]),
                    };
                    (rank(status, r), reply)
                })
                .collect();
            // What the handler answers first, then the errors.
            replies.sort_by_key(|(rank, _)| *rank);
            let replies = replies.into_iter().map(|(_, r)| r).collect();
            ops.push(Op {
                tag: str_at(&op["tags"][0]),
                deprecated: op["deprecated"] == true,
                method: method.clone(),
                path: path.clone(),
                id: str_at(&op["operationId"]),
                summary: prose(op["summary"].as_str().unwrap_or_default()),
                description: prose(op["description"].as_str().unwrap_or_default()),
                params,
                body: media(&op["requestBody"]["content"]),
                replies,
            });
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields = s["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, f)| Field {
                    name: field.clone(),
                    required: required.contains(&field.as_str()),
                    ty: type_of(f),
                    notes: notes(f, f["description"].as_str()),
                })
                .collect();
            SchemaView {
                name: name.clone(),
                description: prose(s["description"].as_str().unwrap_or_default()),
                ty: type_of(s),
                fields,
            }
        })
        .collect();
    let page = Page {
        title: doc["info"]["title"].as_str().unwrap_or("API"),
        version: doc["info"]["version"].as_str().unwrap_or_default(),
        json_url: json_url.unwrap_or_default(),
        css_url,
        count: ops.len(),
        groups: groups(ops),
        schemas,
    };
    page.render()
        .unwrap_or_else(|e| format!("the OpenAPI page did not render: {e}"))
}

/// `ops` by tag, in the document's order within each: those without one first.
fn groups(ops: Vec<Op>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for op in ops {
        match groups.iter_mut().find(|g| g.name == op.tag) {
            Some(g) => g.ops.push(op),
            None => groups.push(Group {
                name: op.tag.clone(),
                ops: vec![op],
            }),
        }
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups
}

/// Where a response shows: successes and redirects, the handler's `default`, the
/// errors, and last a `default` that is an error body.
fn rank(status: &str, response: &Value) -> u8 {
    let error_ref = format!("#/components/schemas/{}", super::ERROR_SCHEMA);
    let is_error = response["content"]["application/json"]["schema"]["$ref"] == error_ref.as_str();
    match status.as_bytes().first() {
        Some(b'1' | b'2' | b'3') => 0,
        _ if status == "default" && !is_error => 1,
        _ if status == "default" => 3,
        _ => 2,
    }
}

/// Each media type of a `content` map, with its schema's type; kiln's error body (JSON,
/// text or HTML by `Accept`) on one line.
fn media(content: &Value) -> Vec<Media> {
    let error_ref = format!("#/components/schemas/{}", super::ERROR_SCHEMA);
    if content["application/json"]["schema"]["$ref"] == error_ref.as_str()
        && content.as_object().is_some_and(|c| c.len() == 3)
    {
        return vec![Media {
            media: "application/json, text/plain, text/html".into(),
            ty: type_of(&content["application/json"]["schema"]),
        }];
    }
    content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media, m)| Media {
            media: media.clone(),
            ty: if m["schema"].is_null() {
                Vec::new()
            } else {
                type_of(&m["schema"])
            },
        })
        .collect()
}

fn text(out: &mut Vec<Piece>, text: &str) {
    out.push(Piece {
        text: text.to_string(),
        link: String::new(),
    });
}

/// A schema as a short type: `string | null`, `array of Book`, `integer (int64)`.
fn type_of(schema: &Value) -> Vec<Piece> {
    let mut out = Vec::new();
    write_type(schema, &mut out);
    out
}

fn write_type(schema: &Value, out: &mut Vec<Piece>) {
    let alternatives = |list: &Vec<Value>, out: &mut Vec<Piece>| {
        for (i, s) in list.iter().enumerate() {
            if i > 0 {
                text(out, " | ");
            }
            write_type(s, out);
        }
    };
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        out.push(Piece {
            text: name.to_string(),
            link: name.to_string(),
        });
    } else if let Some(values) = schema["enum"].as_array() {
        let shown: Vec<String> = values.iter().map(Value::to_string).collect();
        text(out, &shown.join(" | "));
    } else if !schema["const"].is_null() {
        text(out, &schema["const"].to_string());
    } else if let Some(list) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()) {
        alternatives(list, out);
    } else if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for (i, t) in types.iter().enumerate() {
            if i > 0 {
                text(out, " | ");
            }
            match *t {
                "array" => {
                    text(out, "array of ");
                    write_type(&schema["items"], out);
                }
                "object" if schema["additionalProperties"].is_object() => {
                    text(out, "map of ");
                    write_type(&schema["additionalProperties"], out);
                }
                other => text(out, other),
            }
        }
        if let Some(f) = schema["format"].as_str() {
            text(out, &format!(" ({f})"));
        }
    } else {
        text(out, "any");
    }
}

/// A parameter's or field's description and constraints, in one line.
fn notes(schema: &Value, description: Option<&str>) -> Vec<Span> {
    let mut parts: Vec<String> = description.map(str::to_string).into_iter().collect();
    let rules = [
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minimum", "≥ {}"),
        ("maximum", "≤ {}"),
        ("exclusiveMinimum", "> {}"),
        ("exclusiveMaximum", "< {}"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
        ("pattern", "matches {}"),
        ("default", "default {}"),
    ];
    for (key, shape) in rules {
        if let Some(v) = schema.get(key) {
            parts.push(shape.replace("{}", &v.to_string()));
        }
    }
    prose(&parts.join("; "))
}
