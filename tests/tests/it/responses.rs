//! Response types and `kiln::Error`.

use kiln::prelude::*;

#[get("/json")]
async fn json() -> Json<Vec<u32>> {
    Json(vec![1, 2])
}

#[get("/html")]
async fn html() -> Html<&'static str> {
    Html("<p>hi</p>")
}

#[get("/text")]
async fn text() -> Text<String> {
    Text("plain".to_string())
}

#[get("/string")]
async fn string() -> String {
    "a string".into()
}

#[get("/see-other")]
async fn see_other() -> Redirect {
    Redirect::to("/html")
}

#[get("/moved")]
async fn moved() -> Redirect {
    Redirect::permanent("/json")
}

#[get("/bad-redirect")]
async fn bad_redirect() -> Redirect {
    Redirect::to("/x\r\nSet-Cookie: a=1")
}

#[post("/created")]
async fn created() -> (StatusCode, Json<&'static str>) {
    (StatusCode::CREATED, Json("ok"))
}

#[get("/result/<ok>")]
async fn result(ok: bool) -> Result<&'static str> {
    if ok {
        Ok("fine")
    } else {
        Err(Error::bad_request("that was not fine"))
    }
}

#[get("/status")]
async fn status() -> Result<()> {
    Err(Error::status(StatusCode::CONFLICT, "title taken"))
}

#[get("/nothing")]
async fn nothing() {}

fn client() -> TestClient {
    TestClient::new(App::new().mount(
        "/",
        routes![
            json,
            html,
            text,
            string,
            see_other,
            moved,
            bad_redirect,
            created,
            result,
            status,
            nothing
        ],
    ))
}

#[tokio::test]
async fn content_types() {
    let client = client();
    let res = client.get("/json").await;
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<Vec<u32>>(), vec![1, 2]);
    assert_eq!(
        client.get("/html").await.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let res = client.get("/text").await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "plain");
    assert_eq!(
        client.get("/string").await.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let res = client.get("/nothing").await;
    assert_eq!((res.status(), res.bytes().len()), (StatusCode::OK, 0));
}

#[tokio::test]
async fn redirects() {
    let client = client();
    let res = client.get("/see-other").await;
    assert_eq!(
        (res.status(), res.header("location")),
        (StatusCode::SEE_OTHER, Some("/html"))
    );
    let res = client.get("/moved").await;
    assert_eq!(
        (res.status(), res.header("location")),
        (StatusCode::PERMANENT_REDIRECT, Some("/json"))
    );
    let res = client.get("/bad-redirect").await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "the client's bytes, not a 500"
    );
    assert_eq!(res.text(), "invalid redirect target");
    assert_eq!(res.header("location"), None);
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn statuses_and_results() {
    let client = client();
    let res = client.post("/created").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(client.get("/result/true").await.text(), "fine");
    let res = client.get("/result/false").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "that was not fine");
    let res = client.get("/status").await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::CONFLICT, "title taken".to_string())
    );
}
