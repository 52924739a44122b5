//! `#[page]`: askama templates from `templates/`, HTML-escaped, with layouts.

use std::fmt;

use kiln::prelude::*;

#[page("book.html")]
struct BookPage {
    title: String,
    author: String,
    chapters: Vec<String>,
    blurb: String,
}

fn dune() -> BookPage {
    BookPage {
        title: "Dune".into(),
        author: "Herbert".into(),
        chapters: vec!["Arrakis".into(), "Muad'Dib".into()],
        blurb: String::new(),
    }
}

#[get("/book")]
async fn book() -> BookPage {
    dune()
}

#[get("/book/<title>")]
async fn book_titled(title: String) -> BookPage {
    BookPage {
        title: title.clone(),
        blurb: title,
        ..dune()
    }
}

/// A value whose `Display` fails: rendering it is a render error.
struct Broken;

impl fmt::Display for Broken {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[page("broken_value.html")]
struct BrokenPage {
    value: Broken,
}

#[get("/broken")]
async fn broken() -> BrokenPage {
    BrokenPage { value: Broken }
}

#[page(source = "<p>{{ n }} items</p>", ext = "html")]
struct Inline {
    n: usize,
}

#[get("/inline")]
async fn inline() -> Result<Inline> {
    Ok(Inline { n: 3 })
}

#[catch(500)]
async fn sorry() -> Html<&'static str> {
    Html("<h1>Sorry</h1>")
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .mount("/", routes![book, book_titled, broken, inline])
            .catch(catchers![sorry]),
    )
}

#[tokio::test]
async fn a_page_answers_html_through_its_layout() {
    let res = client().get("/book").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let html = res.text();
    // The layout, its include, and the blocks the page filled in.
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("<title>Dune | kiln</title>"), "{html}");
    assert!(
        html.contains(r#"<nav><a href="/">Home</a></nav>"#),
        "{html}"
    );
    // Filters, loops and conditions.
    assert!(html.contains("<p>by HERBERT, 2 chapters</p>"), "{html}");
    assert!(
        html.contains("<li>1. Arrakis</li><li>2. Muad&#39;Dib</li>"),
        "{html}"
    );
    assert!(html.contains("<p>No blurb.</p>"), "{html}");
}

#[tokio::test]
async fn values_are_escaped_and_template_syntax_in_data_is_text() {
    let client = client();
    let payloads = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='x",
        "</textarea><script>x</script>",
        "{{ 7*7 }}",
        "{% include \"nav.html\" %}",
        "${7*7}",
    ];
    for payload in payloads {
        let html = client.get(&book_titled::uri(payload)).await.text();
        assert!(
            !html.contains(payload) || !payload.contains(['<', '>', '"', '\'']),
            "unescaped {payload}: {html}"
        );
        assert!(!html.contains("<script>"), "{payload}: {html}");
        assert!(!html.contains("onerror=alert(1)>"), "{payload}");
        assert!(!html.contains("49"), "{payload} was evaluated: {html}");
    }
    let html = client.get(&book_titled::uri("<b>&\"'</b>")).await.text();
    assert!(
        html.contains("<h1 data-title=\"&#60;b&#62;&#38;&#34;&#39;&#60;/b&#62;\">"),
        "{html}"
    );
    let html = client.get(&book_titled::uri("{{ 7*7 }}")).await.text();
    assert!(
        html.contains("<h1 data-title=\"{{ 7*7 }}\">{{ 7*7 }}</h1>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_render_error_is_a_500_through_the_catchers() {
    let res = client().get("/broken").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "<h1>Sorry</h1>");
}

#[tokio::test]
async fn pages_render_outside_handlers_and_inside_results() {
    assert_eq!(Inline { n: 2 }.render().unwrap(), "<p>2 items</p>");
    let html = dune().render().unwrap();
    assert!(html.contains("<h1 data-title=\"Dune\">Dune</h1>"));
    assert_eq!(client().get("/inline").await.text(), "<p>3 items</p>");
}
