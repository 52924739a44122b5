//! The OpenAPI document built from the route attributes: each kind of path and query
//! parameter, body and response; doc comments; mount prefixes; kiln's own error
//! statuses; and the document and its page as the app serves them.

use kiln::axum::http::HeaderName;
use kiln::orm::Order;
use kiln::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Table, Debug, Clone)]
struct Shelf {
    id: Id<Shelf>,
    label: String,
}

/// A book as the API shows it.
#[derive(Serialize, Deserialize, JsonSchema)]
struct BookOut {
    id: i64,
    /// The title.
    title: String,
    year: Option<i32>,
}

/// What a client sends.
#[derive(Serialize, Deserialize, JsonSchema, Validate)]
struct NewBook {
    #[validate(length(min = 1, max = 200))]
    title: String,
    #[serde(default)]
    published: bool,
}

/// A search, as a query string.
#[derive(Deserialize, JsonSchema)]
struct Search {
    /// Words in the title.
    q: String,
    #[allow(dead_code)]
    page: Option<u32>,
}

/// A body type without `JsonSchema`.
#[derive(Deserialize)]
struct Opaque {
    #[allow(dead_code)]
    x: i32,
}

/// A path parameter type without `JsonSchema`.
struct Slug(String);

impl std::str::FromStr for Slug {
    type Err = ();
    fn from_str(s: &str) -> Result<Slug, ()> {
        Ok(Slug(s.to_string()))
    }
}

/// Lists the books, newest first.
///
/// `q` filters by title;
/// `limit` caps the count.
#[get("/books?<q>&<limit>&<sort>")]
async fn list(
    q: Option<String>,
    limit: u32,
    sort: Option<Order<Shelf>>,
) -> Result<Json<Vec<BookOut>>> {
    let _ = (q, limit, sort);
    Ok(Json(Vec::new()))
}

/// One book.
#[get("/books/<id>")]
async fn one(id: i64) -> Json<BookOut> {
    Json(BookOut {
        id,
        title: String::new(),
        year: None,
    })
}

#[get("/shelves/<id>")]
async fn shelf(id: Id<Shelf>) -> String {
    id.to_string()
}

#[get("/by-slug/<slug>/<rest..>")]
async fn by_slug(slug: Slug, rest: String) -> Html<String> {
    Html(format!("{}{rest}", slug.0))
}

#[post("/books")]
async fn create(
    Valid(Json(new)): Valid<Json<NewBook>>,
) -> (StatusCode, [(HeaderName, String); 1], Json<BookOut>) {
    (
        StatusCode::CREATED,
        [(kiln::axum::http::header::LOCATION, "/books/1".into())],
        Json(BookOut {
            id: 1,
            title: new.title,
            year: None,
        }),
    )
}

#[put("/books/<id>")]
async fn replace(id: i64, Json(new): Json<NewBook>) -> (StatusCode, Json<BookOut>) {
    (
        StatusCode::OK,
        Json(BookOut {
            id,
            title: new.title,
            year: None,
        }),
    )
}

#[post("/form", csrf = false)]
async fn form(Form(new): Form<NewBook>) -> Redirect {
    let _ = new;
    Redirect::to("/")
}

#[post("/checked")]
async fn checked(form: Checked<NewBook>) -> StatusCode {
    let _ = form;
    StatusCode::NO_CONTENT
}

#[get("/search")]
async fn search(Query(s): Query<Search>) -> Text<String> {
    Text(s.q)
}

#[post("/opaque")]
async fn opaque(Json(o): Json<Opaque>) -> impl IntoResponse {
    let _ = o;
    "ok"
}

#[route("/both", methods = [GET, POST])]
async fn both() -> Response {
    "both".into_response()
}

#[page(source = "<p>{{ n }}</p>", ext = "html")]
struct Small {
    n: i32,
}

#[get("/page")]
async fn page() -> Small {
    Small { n: 1 }
}

#[get("/nothing")]
async fn nothing() {}

#[post("/raw")]
async fn raw(body: String) -> String {
    body
}

#[get("/lookup")]
async fn lookup(form: Checked<NewBook>) -> String {
    form.value("title").to_string()
}

/// Not for the document.
#[doc(hidden)]
#[get("/internal")]
async fn internal() {}

#[doc = include_str!("openapi_doc.md")]
#[get("/included")]
async fn included() {}

/// The same path as `one`,
/// under another name.
///
///
/// Lines after blank ones.
#[delete("/books/<book_id>")]
async fn drop_book(book_id: i64) -> StatusCode {
    let _ = book_id;
    StatusCode::NO_CONTENT
}

struct Shelves;

#[resource("/res/<id>")]
impl Shelves {
    /// Reads one.
    async fn get(id: i64) -> Json<BookOut> {
        one(id).await
    }

    async fn delete(id: i64) -> StatusCode {
        let _ = id;
        StatusCode::NO_CONTENT
    }
}

fn app() -> App {
    App::new()
        .mount(
            "/api",
            routes![
                list, one, shelf, by_slug, create, replace, form, checked, search, opaque, both,
                page, nothing, raw, lookup, internal, included, drop_book, Shelves
            ],
        )
        .route("/manual/<n>", Method::GET, || async { "manual" })
        .openapi("/openapi.json")
        .openapi_ui("/docs")
}

fn op<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(
        op.is_object(),
        "no {method} {path} in {}",
        serde_json::to_string_pretty(&doc["paths"]).unwrap()
    );
    op
}

fn param<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name} in {op}"))
}

fn statuses(op: &Value) -> Vec<&str> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_named_after_the_crate() {
    let doc = app().openapi_document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "kiln-tests");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let named = App::new()
        .mount("/", routes![one])
        .openapi_info("Books", "2.0")
        .openapi_document();
    assert_eq!(named["info"], json!({ "title": "Books", "version": "2.0" }));
}

#[test]
fn paths_are_templated_under_their_mount_prefix() {
    let doc = app().openapi_document();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/api/books",
        "/api/books/{id}",
        "/api/shelves/{id}",
        "/api/by-slug/{slug}/{rest}",
        "/api/res/{id}",
        "/manual/{n}",
    ] {
        assert!(paths.iter().any(|k| *k == p), "{p} missing from {paths:?}");
    }
    // The document and its page are not in it.
    assert!(
        !paths
            .iter()
            .any(|k| k.contains("openapi") || k.contains("docs"))
    );
}

#[test]
fn path_parameters_have_their_types() {
    let doc = app().openapi_document();
    let id = param(op(&doc, "/api/books/{id}", "get"), "id");
    assert_eq!(id["in"], "path");
    assert_eq!(id["required"], true);
    assert_eq!(
        id["schema"],
        json!({ "type": "integer", "format": "int64" })
    );
    // `Id<T>` is an integer.
    let shelf = param(op(&doc, "/api/shelves/{id}", "get"), "id");
    assert_eq!(
        shelf["schema"],
        json!({ "type": "integer", "format": "int64" })
    );
    // A type without `JsonSchema` and a tail are strings.
    let slug_op = op(&doc, "/api/by-slug/{slug}/{rest}", "get");
    assert_eq!(
        param(slug_op, "slug")["schema"],
        json!({ "type": "string" })
    );
    assert_eq!(
        param(slug_op, "rest")["schema"],
        json!({ "type": "string" })
    );
    let names: Vec<&Value> = slug_op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, ["slug", "rest"], "in the path's order");
    // A route added at run time: its parameters, as strings.
    let manual = param(op(&doc, "/manual/{n}", "get"), "n");
    assert_eq!(manual["schema"], json!({ "type": "string" }));
    // A parameter that may not parse: 404.
    assert!(statuses(op(&doc, "/api/books/{id}", "get")).contains(&"404"));
}

#[test]
fn query_parameters_say_whether_they_are_required() {
    let doc = app().openapi_document();
    let list = op(&doc, "/api/books", "get");
    let q = param(list, "q");
    assert_eq!(q["in"], "query");
    assert_eq!(q["required"], false, "Option<String>");
    assert_eq!(q["schema"], json!({ "type": "string" }));
    assert_eq!(q["allowEmptyValue"], true);
    let limit = param(list, "limit");
    assert_eq!(limit["required"], true, "u32");
    assert_eq!(limit["schema"]["type"], "integer");
    assert_eq!(limit["schema"]["minimum"], 0);
    // `Order<T>`: the names it parses.
    let sort = param(list, "sort");
    assert_eq!(
        sort["schema"]["enum"],
        json!(["id", "-id", "label", "-label"])
    );
    assert!(statuses(list).contains(&"400"), "a bad query: 400");
    // `Query<T>`: each field.
    let search = op(&doc, "/api/search", "get");
    let q = param(search, "q");
    assert_eq!((&q["required"], &q["in"]), (&json!(true), &json!("query")));
    assert_eq!(q["description"], "Words in the title.");
    assert_eq!(param(search, "page")["required"], false);
    assert!(statuses(search).contains(&"400"));
}

#[test]
fn bodies_come_from_their_extractors() {
    let doc = app().openapi_document();
    let create = op(&doc, "/api/books", "post");
    assert_eq!(create["requestBody"]["required"], true);
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"],
        json!({ "$ref": "#/components/schemas/NewBook" })
    );
    for s in ["400", "413", "415", "422"] {
        assert!(statuses(create).contains(&s), "{s} in {create}");
    }
    assert!(
        create["responses"]["422"]["description"]
            .as_str()
            .unwrap()
            .contains("rule"),
        "Valid's 422"
    );
    let form = op(&doc, "/api/form", "post");
    let content = form["requestBody"]["content"].as_object().unwrap();
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["application/x-www-form-urlencoded"]
    );
    let checked = op(&doc, "/api/checked", "post");
    let mut media: Vec<&String> = checked["requestBody"]["content"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    media.sort();
    assert_eq!(
        media,
        ["application/json", "application/x-www-form-urlencoded"]
    );
    // `Json<T>` of a type without `JsonSchema`: JSON of any shape, with its statuses.
    let opaque = op(&doc, "/api/opaque", "post");
    assert_eq!(
        opaque["requestBody"]["content"],
        json!({ "application/json": { "schema": {} } })
    );
    for s in ["400", "413", "415", "422"] {
        assert!(statuses(opaque).contains(&s), "{s} in {opaque}");
    }
    // An extractor kiln knows nothing of that reads the body: any body.
    let raw = op(&doc, "/api/raw", "post");
    assert_eq!(
        raw["requestBody"]["content"],
        json!({ "*/*": { "schema": {} } })
    );
    assert!(statuses(raw).contains(&"413"));
    // A form body can also be a 400 (not UTF-8, too many fields).
    assert!(statuses(op(&doc, "/api/form", "post")).contains(&"400"));
    // `Checked<T>` on `GET`: each field an optional query parameter.
    let lookup = op(&doc, "/api/lookup", "get");
    assert_eq!(param(lookup, "title")["required"], false);
    assert!(lookup["requestBody"].is_null());
    // No body, none said.
    assert!(op(&doc, "/api/books/{id}", "get")["requestBody"].is_null());
}

#[test]
fn responses_come_from_the_return_type() {
    let doc = app().openapi_document();
    let json_of = |path: &str, method: &str, status: &str| {
        op(&doc, path, method)["responses"][status]["content"]["application/json"]["schema"].clone()
    };
    // Through `Result<..>`.
    assert_eq!(
        json_of("/api/books", "get", "200"),
        json!({ "type": "array", "items": { "$ref": "#/components/schemas/BookOut" } })
    );
    assert_eq!(
        json_of("/api/books/{id}", "get", "200"),
        json!({ "$ref": "#/components/schemas/BookOut" })
    );
    // `(StatusCode, ..)`: a status chosen at run time, with and without headers.
    assert_eq!(
        json_of("/api/books", "post", "default"),
        json!({ "$ref": "#/components/schemas/BookOut" })
    );
    assert_eq!(
        json_of("/api/books/{id}", "put", "default"),
        json!({ "$ref": "#/components/schemas/BookOut" })
    );
    // An `Err` may be any status, with kiln's error body.
    assert_eq!(
        json_of("/api/books", "get", "default"),
        json!({ "$ref": "#/components/schemas/kiln.Error" })
    );
    assert!(op(&doc, "/api/books/{id}", "get")["responses"]["default"].is_null());
    let media = |path: &str, method: &str| -> Vec<String> {
        let op = op(&doc, path, method);
        op["responses"]["200"]["content"]
            .as_object()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(media("/api/shelves/{id}", "get"), ["text/plain"]);
    assert_eq!(media("/api/by-slug/{slug}/{rest}", "get"), ["text/html"]);
    assert_eq!(media("/api/search", "get"), ["text/plain"]);
    assert_eq!(media("/api/page", "get"), ["text/html"], "a #[page] type");
    let redirect = &op(&doc, "/api/form", "post")["responses"]["3XX"];
    assert!(redirect["headers"]["Location"].is_object(), "{redirect}");
    assert!(statuses(op(&doc, "/api/checked", "post")).contains(&"default"));
    assert!(op(&doc, "/api/nothing", "get")["responses"]["200"]["content"].is_null());
    // `impl IntoResponse` and `Response` say nothing more than `default`.
    for (path, method) in [("/api/opaque", "post"), ("/api/both", "get")] {
        assert!(
            statuses(op(&doc, path, method)).contains(&"default"),
            "{path}"
        );
    }
}

/// Sent and answered: `note` may be left out of a request and of a response alike, but
/// `tags` only when answering (it is skipped when empty).
#[derive(Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(default)]
    pinned: bool,
}

#[post("/notes")]
async fn add_note(Json(note): Json<Note>) -> Json<Note> {
    Json(note)
}

#[put("/notes")]
async fn maybe_note(note: Option<Json<Note>>) -> StatusCode {
    match note {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::ACCEPTED,
    }
}

#[test]
fn requests_are_described_as_they_deserialize_and_responses_as_they_serialize() {
    let doc = App::new()
        .mount("/", routes![add_note, maybe_note, one])
        .openapi_document();
    let add = op(&doc, "/notes", "post");
    assert_eq!(
        add["requestBody"]["content"]["application/json"]["schema"],
        json!({ "$ref": "#/components/schemas/Note" })
    );
    assert_eq!(
        add["responses"]["200"]["content"]["application/json"]["schema"],
        json!({ "$ref": "#/components/schemas/NoteResponse" })
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Note"]["required"], json!(["text"]));
    // Serialized, `pinned` is always there and `tags` may be skipped.
    assert_eq!(
        schemas["NoteResponse"]["required"],
        json!(["text", "pinned"])
    );
    // A type that reads as it writes has one schema.
    assert!(schemas["BookOut"].is_object());
    assert!(schemas["BookOutResponse"].is_null());
    // `Option<Json<T>>`: a body the request may leave out.
    let maybe = op(&doc, "/notes", "put");
    assert_eq!(maybe["requestBody"]["required"], false);
    assert!(maybe["requestBody"]["content"]["application/json"].is_object());
    assert_eq!(add["requestBody"]["required"], true);
}

#[tokio::test]
async fn an_optional_body_may_be_left_out() {
    let client = TestClient::new(App::new().mount("/", routes![maybe_note]));
    let res = client.put("/notes").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = client.put("/notes").json(&json!({ "text": "hi" })).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[test]
fn kilns_own_errors_are_listed_with_its_error_body() {
    let doc = app().openapi_document();
    let create = op(&doc, "/api/books", "post");
    let err = &create["responses"]["422"]["content"];
    assert_eq!(
        err["application/json"]["schema"],
        json!({ "$ref": "#/components/schemas/kiln.Error" })
    );
    assert!(err["text/plain"].is_object() && err["text/html"].is_object());
    assert_eq!(
        doc["components"]["schemas"]["kiln.Error"]["required"],
        json!(["error"])
    );
    // 405 everywhere; 403 (CSRF) on unsafe methods unless turned off.
    assert!(statuses(create).contains(&"405"));
    assert!(statuses(create).contains(&"403"));
    assert!(!statuses(op(&doc, "/api/form", "post")).contains(&"403"));
    assert!(!statuses(op(&doc, "/api/books", "get")).contains(&"403"));
    // A route without parameters or a body has no 400, 404 or 422.
    let nothing = statuses(op(&doc, "/api/nothing", "get"));
    for s in ["400", "404", "413", "422"] {
        assert!(!nothing.contains(&s), "{s} in {nothing:?}");
    }
}

#[test]
fn doc_comments_are_the_summary_and_description() {
    let doc = app().openapi_document();
    let list = op(&doc, "/api/books", "get");
    assert_eq!(list["summary"], "Lists the books, newest first.");
    assert_eq!(
        list["description"],
        "`q` filters by title;\n`limit` caps the count."
    );
    assert_eq!(op(&doc, "/api/books/{id}", "get")["summary"], "One book.");
    assert_eq!(op(&doc, "/api/res/{id}", "get")["summary"], "Reads one.");
    assert!(op(&doc, "/api/shelves/{id}", "get")["summary"].is_null());
    // The types' doc comments are their schemas' descriptions.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["BookOut"]["description"],
        "A book as the API shows it."
    );
    assert_eq!(
        schemas["BookOut"]["properties"]["title"]["description"],
        "The title."
    );
    assert_eq!(schemas["NewBook"]["properties"]["title"]["maxLength"], 200);
}

#[test]
fn one_path_shape_is_one_path_and_hidden_routes_are_left_out() {
    let doc = app().openapi_document();
    // `/books/<id>` and `/books/<book_id>` are one path, under the first's names.
    assert!(doc["paths"]["/api/books/{book_id}"].is_null());
    let drop = op(&doc, "/api/books/{id}", "delete");
    assert_eq!(param(drop, "id")["in"], "path");
    assert_eq!(
        drop["summary"],
        "The same path as `one`, under another name."
    );
    assert_eq!(drop["description"], "Lines after blank ones.");
    assert!(doc["paths"]["/api/internal"].is_null(), "#[doc(hidden)]");
    // `#[doc = include_str!(..)]` is read too.
    let included = op(&doc, "/api/included", "get");
    assert_eq!(included["summary"], "Included from a file.");
    assert_eq!(included["description"], "With a second paragraph.");
    // A closure added with `App::route`: an id from the method and path.
    assert_eq!(
        op(&doc, "/manual/{n}", "get")["operationId"],
        "get_manual_n"
    );
}

#[test]
fn query_parameters_never_say_null() {
    #[derive(Deserialize, JsonSchema)]
    struct Filter {
        #[allow(dead_code)]
        year: Option<i32>,
    }
    #[get("/filter")]
    async fn filter(Query(f): Query<Filter>) -> String {
        format!("{:?}", f.year)
    }
    #[get("/shelf/<id>?<after>")]
    async fn shelf_after(id: Id<Shelf>, after: Option<Id<Shelf>>) -> String {
        format!("{id} {after:?}")
    }
    let doc = App::new()
        .mount("/", routes![filter, shelf_after])
        .openapi_document();
    let year = param(op(&doc, "/filter", "get"), "year");
    assert_eq!(year["schema"]["type"], "integer", "{year}");
    assert_eq!(year["required"], false);
    let shelf = op(&doc, "/shelf/{id}", "get");
    assert_eq!(param(shelf, "id")["schema"]["type"], "integer");
    assert_eq!(param(shelf, "after")["schema"]["type"], "integer");
}

#[test]
fn each_method_is_one_operation_with_a_unique_id() {
    let doc = app().openapi_document();
    assert_eq!(op(&doc, "/api/both", "get")["operationId"], "both_get");
    assert_eq!(op(&doc, "/api/both", "post")["operationId"], "both_post");
    assert_eq!(
        op(&doc, "/api/res/{id}", "delete")["operationId"],
        "Shelves_delete"
    );
    let mut ids = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            ids.push(op["operationId"].as_str().unwrap().to_string());
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "{ids:?}");
}

#[tokio::test]
async fn the_app_serves_the_document_and_its_page() {
    let expected = app().openapi_document();
    let client = TestClient::new(app());
    let res = client.get("/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<Value>(), expected);

    let page = client.get("/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    assert!(html.contains("<code>/api/books/{id}</code>"), "{html}");
    assert!(html.contains("Lists the books, newest first."));
    assert!(html.contains("id=\"schema-BookOut\""));
    // Relative links, so a proxy's prefix keeps them working.
    assert!(html.contains("href=\"openapi.json\""));
    assert!(html.contains("href=\"docs/openapi.css\""));
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
    let css = client.get("/docs/openapi.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.text().contains(".method"));
}

/// Lists `<blink>` things & more.
#[get("/esc")]
async fn escaped() -> &'static str {
    ""
}

#[tokio::test]
async fn the_page_escapes_what_it_shows() {
    let client = TestClient::new(App::new().mount("/", routes![escaped]).openapi_ui("/docs"));
    let html = client.get("/docs").await.text();
    assert!(
        html.contains("Lists <code>&#60;blink&#62;</code> things &#38; more."),
        "{html}"
    );
    assert!(!html.contains("<blink>"));
}

/// Handlers kept for old clients: a module of their own tags them.
mod legacy {
    use kiln::prelude::*;

    /// The old list.
    #[get("/old")]
    #[deprecated(since = "0.2.0", note = "use `GET /api/books`")]
    pub async fn old_list() -> &'static str {
        ""
    }

    #[deprecated]
    #[post("/old")]
    pub async fn old_add() -> StatusCode {
        StatusCode::CREATED
    }

    pub struct OldShelves;

    #[resource("/old/<id>")]
    impl OldShelves {
        #[deprecated = "shelves are gone"]
        async fn get(id: i64) -> String {
            id.to_string()
        }
    }
}

#[tokio::test]
async fn deprecated_handlers_say_so_and_modules_are_tags() {
    let app = || {
        App::new()
            .mount("/api", routes![one, legacy::old_list, legacy::old_add])
            .mount("/", routes![legacy::OldShelves])
            .openapi_ui("/docs")
    };
    let doc = app().openapi_document();
    let old = op(&doc, "/api/old", "get");
    assert_eq!(old["deprecated"], true);
    assert_eq!(old["summary"], "The old list.");
    assert_eq!(old["description"], "Deprecated: use `GET /api/books`");
    assert_eq!(old["tags"], json!(["legacy"]));
    let added = op(&doc, "/api/old", "post");
    assert_eq!(added["deprecated"], true);
    assert!(added.get("description").is_none(), "{added}");
    let shelf = op(&doc, "/old/{id}", "get");
    assert_eq!(shelf["deprecated"], true);
    assert_eq!(shelf["description"], "Deprecated: shelves are gone");
    // Not deprecated; tagged after the module of this test file.
    let current = op(&doc, "/api/books/{id}", "get");
    assert!(current.get("deprecated").is_none(), "{current}");
    assert_eq!(current["tags"], json!(["openapi"]));
    assert_eq!(
        doc["tags"],
        json!([{ "name": "legacy" }, { "name": "openapi" }])
    );

    // Still routed, and the page groups by tag and marks what is deprecated.
    let client = TestClient::new(app());
    let res = client.get("/old/7").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "7");
    let html = client.get("/docs").await.text();
    assert!(
        html.contains("<h2 class=\"tag\" id=\"tag-legacy\">legacy</h2>"),
        "{html}"
    );
    assert!(html.contains("<li class=\"tag\"><a href=\"#tag-openapi\">openapi</a></li>"));
    assert_eq!(
        html.matches("<span class=\"badge\">deprecated</span>")
            .count(),
        3
    );
    let legacy_at = html.find("id=\"tag-legacy\"").unwrap();
    let openapi_at = html.find("id=\"tag-openapi\"").unwrap();
    let old_at = html.find("id=\"op-old_list\"").unwrap();
    let one_at = html.find("id=\"op-one\"").unwrap();
    assert!(legacy_at < old_at && old_at < openapi_at && openapi_at < one_at);
}
