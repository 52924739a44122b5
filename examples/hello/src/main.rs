//! The smallest kiln app: a few routes, a page with a layout, a stylesheet and a
//! catcher.
//!
//! ```text
//! cargo run -p hello        # then open http://127.0.0.1:8000/
//! PORT=3000 cargo run -p hello
//! ```

use kiln::prelude::*;

/// The home page, linking to the other routes through their typed reverse routes.
#[page("index.html")]
struct Index {
    links: Vec<(&'static str, String)>,
}

/// A greeting page: the name is escaped by the template.
#[page("greet.html")]
struct Greet {
    name: String,
}

#[get("/")]
async fn index() -> Index {
    Index {
        links: vec![
            ("a greeting", greet::uri("Kay")),
            ("some arithmetic", add::uri(2, 3)),
            ("plain text", hello::uri("Kay")),
        ],
    }
}

/// Greets by name, as a page: `/greet/Kay`.
#[get("/greet/<name>")]
async fn greet(name: String) -> Greet {
    Greet { name }
}

/// Greets by name, as text: `/hello/Kay`.
#[get("/hello/<name>")]
async fn hello(name: String) -> String {
    format!("Hello, {name}!")
}

/// Adds two numbers from the path; anything that isn't a number is a 404.
#[get("/add/<a>/<b>")]
async fn add(a: i64, b: i64) -> Result<Json<serde_json::Value>> {
    let sum = a
        .checked_add(b)
        .ok_or_else(|| Error::bad_request("the sum does not fit in 64 bits"))?;
    Ok(Json(serde_json::json!({ "a": a, "b": b, "sum": sum })))
}

/// Shown for every path that does not exist.
#[catch(404)]
async fn not_found(uri: Uri) -> Html<String> {
    Html(format!(
        "<h1>Nothing at {}</h1>\n<p><a href=\"/\">Home</a></p>\n",
        uri.path()
    ))
}

/// Where the stylesheet lives: `$STATIC_DIR`, else `static/` next to this crate.
fn static_dir() -> String {
    std::env::var("STATIC_DIR").unwrap_or_else(|_| kiln::relative!("static").to_string())
}

/// The application, built apart from `main` so that tests can use it.
fn app() -> App {
    App::new()
        .mount("/", routes![index, greet, hello, add])
        .static_files("/static", static_dir())
        .catch(catchers![not_found])
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    app().run().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_route_answers() {
        let client = TestClient::new(app());
        let home = client.get("/").await;
        assert_eq!(home.status(), StatusCode::OK);
        assert_eq!(
            home.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let html = home.text();
        assert!(
            html.contains(r#"<link rel="stylesheet" href="/static/style.css">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="/greet/Kay">a greeting</a>"#),
            "{html}"
        );
        assert!(html.contains("<title>Home · hello</title>"), "{html}");
        assert_eq!(client.get("/hello/Kay").await.text(), "Hello, Kay!");
        let sum: serde_json::Value = client.get("/add/2/3").await.json();
        assert_eq!(sum["sum"], 5);
    }

    #[tokio::test]
    async fn the_stylesheet_is_served() {
        let res = TestClient::new(app()).get("/static/style.css").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.header("content-type"), Some("text/css"));
        assert!(res.text().contains("font-family"));
    }

    #[tokio::test]
    async fn names_are_escaped() {
        let html = TestClient::new(app())
            .get(&greet::uri("<b>Kay</b>"))
            .await
            .text();
        assert!(
            html.contains("<h1>Hello, &#60;b&#62;Kay&#60;/b&#62;!</h1>"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn mistakes_get_clear_answers() {
        let client = TestClient::new(app());
        let res = client.get("/add/two/3").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            res.text(),
            "<h1>Nothing at /add/two/3</h1>\n<p><a href=\"/\">Home</a></p>\n"
        );
        let res = client.get(&add::uri(i64::MAX, 1)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.text(), "the sum does not fit in 64 bits");
        assert_eq!(
            client.get("/static/missing.css").await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
