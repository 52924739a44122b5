//! The smallest kiln app: a few routes and a catcher.
//!
//! ```text
//! cargo run -p hello        # then open http://127.0.0.1:8000/
//! PORT=3000 cargo run -p hello
//! ```

use kiln::prelude::*;

/// The home page, linking to the other routes through their typed reverse routes.
#[get("/")]
async fn index() -> Html<String> {
    Html(format!(
        "<h1>Hello, World!</h1>\n<ul>\n<li><a href=\"{}\">hello</a></li>\n<li><a href=\"{}\">add</a></li>\n</ul>\n",
        hello::uri("Kay"),
        add::uri(2, 3),
    ))
}

/// Greets by name: `/hello/Kay`.
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

/// The application, built apart from `main` so that tests can use it.
fn app() -> App {
    App::new()
        .mount("/", routes![index, hello, add])
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
        assert!(home.text().contains("href=\"/hello/Kay\""));
        assert_eq!(client.get("/hello/Kay").await.text(), "Hello, Kay!");
        let sum: serde_json::Value = client.get("/add/2/3").await.json();
        assert_eq!(sum["sum"], 5);
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
    }
}
