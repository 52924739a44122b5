//! S2: XSS and template injection. Titles are stored through `POST /books`, then
//! rendered by the list, detail and edit pages (`#[page]` templates, in an element, an
//! attribute and a `<textarea>`). In every place `<`, `>`, `&`, `"` and `'` come out
//! escaped, the text reads back as stored, and template syntax stays literal text.

use kiln::prelude::*;

use crate::{Checks, seed, serial};

const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='x",
    "</textarea><script>x</script>",
    "{{ 7*7 }}",
    "{% include \"x\" %}",
    "${7*7}",
    "a & b &amp; c",
];

/// Undoes HTML escaping: named and numeric character references.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(start) {
        rest = &rest[i + start.len()..];
        let Some(j) = rest.find(end) else { break };
        found.push(&rest[..j]);
        rest = &rest[j + end.len()..];
    }
    found
}

/// `None` if `raw`, as it appears in the page, is `payload` safely escaped.
fn unsafe_rendering(raw: &str, payload: &str) -> Option<String> {
    if raw.contains(['<', '>', '"', '\'']) {
        return Some(format!("unescaped markup in {raw:?}"));
    }
    if unescape(raw) != payload {
        return Some(format!("reads back as {:?}, not as stored", unescape(raw)));
    }
    None
}

#[tokio::test]
async fn s2_xss_and_template_injection() {
    let _serial = serial().await;
    let client = TestClient::new(seed::app(seed::db().await));
    let mut checks = Checks::default();
    let mut ids = Vec::new();
    for payload in PAYLOADS {
        let res = client
            .post("/books")
            .json(&serde_json::json!({ "title": payload }))
            .await;
        checks.check(res.status() == StatusCode::CREATED, || {
            format!("storing {payload:?}: {} {}", res.status(), res.text())
        });
        ids.push(res.json::<i64>());
    }
    let mut renderings = 0;
    let mut unescaped = 0;
    let mut evaluated = 0;
    let mut note = |checks: &mut Checks, page: &str, payload: &str, found: Option<&str>| {
        renderings += 1;
        let problem = match found {
            None => Some("not found in the page".to_string()),
            Some(raw) => unsafe_rendering(raw, payload),
        };
        if problem.is_some() {
            unescaped += 1;
        }
        checks.check(problem.is_none(), || {
            format!(
                "{page}, {payload:?}: {}",
                problem.clone().unwrap_or_default()
            )
        });
    };
    for (payload, id) in PAYLOADS.iter().zip(&ids) {
        let detail = client.get(&format!("/book/{id}")).await.text();
        let h1 = between(&detail, "\">", "</h1>");
        note(&mut checks, "detail <h1>", payload, h1.first().copied());
        let attr = between(&detail, "data-title=\"", "\"");
        note(
            &mut checks,
            "detail data-title=",
            payload,
            attr.first().copied(),
        );
        let edit = client.get(&format!("/book/{id}/edit")).await.text();
        let value = between(&edit, "value=\"", "\"");
        note(&mut checks, "edit value=", payload, value.first().copied());
        let area = between(&edit, "<textarea name=\"blurb\">", "</textarea>");
        note(
            &mut checks,
            "edit <textarea>",
            payload,
            area.first().copied(),
        );
        for page in [&detail, &edit] {
            if page.contains("49") {
                evaluated += 1;
            }
        }
    }
    let list = client.get("/books").await.text();
    let items = between(&list, "<li data-title=\"", "</li>");
    for payload in PAYLOADS {
        // `<li data-title="X">Y</li>`: find the item whose attribute reads as the payload.
        let item = items.iter().find_map(|item| {
            let (attr, text) = item.split_once("\">")?;
            (unescape(attr) == *payload).then_some((attr, text))
        });
        note(
            &mut checks,
            "list data-title=",
            payload,
            item.map(|(a, _)| a),
        );
        note(&mut checks, "list <li>", payload, item.map(|(_, t)| t));
    }
    if list.contains("49") {
        evaluated += 1;
    }
    checks.check(evaluated == 0, || {
        format!("{evaluated} page(s) show 49: template syntax was evaluated")
    });
    checks.finish(
        "S2",
        serde_json::json!({
            "payloads": PAYLOADS.len(),
            "pages": 3,
            "renderings_checked": renderings,
            "unescaped": unescaped,
            "evaluated": evaluated,
        }),
    );
}
