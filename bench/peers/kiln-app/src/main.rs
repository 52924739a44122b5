//! The TechEmpower test types written the kiln way: route attributes, the ORM's
//! `#[derive(Table)]`, a `#[page]`, and one `#[middleware]` adding the `Server`
//! header. Every secure default is on.

use kiln::axum::http::header::SERVER;
use kiln::prelude::*;
use serde::Serialize;

#[derive(Table, Serialize, Clone, Debug)]
#[table(name = "world")]
struct World {
    id: Id<World>,
    #[column(name = "randomnumber")]
    #[serde(rename = "randomNumber")]
    random_number: i64,
}

#[derive(Table, Clone, Debug)]
#[table(name = "fortune")]
struct Fortune {
    id: Id<Fortune>,
    message: String,
}

#[page("fortunes.html")]
struct FortunesPage {
    fortunes: Vec<Fortune>,
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    common::HELLO
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: common::HELLO,
    })
}

/// One random row.
async fn random_world(db: &Db) -> Result<World> {
    db.get::<World>(common::random_id())
        .await?
        .ok_or_else(Error::not_found)
}

#[get("/db")]
async fn db(db: Db) -> Result<Json<World>> {
    Ok(Json(random_world(&db).await?))
}

#[get("/queries?<q>")]
async fn queries(db: Db, q: Option<String>) -> Result<Json<Vec<World>>> {
    let n = common::query_count(q.as_deref());
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(random_world(&db).await?);
    }
    Ok(Json(rows))
}

#[get("/updates?<q>")]
async fn updates(db: Db, q: Option<String>) -> Result<Json<Vec<World>>> {
    let n = common::query_count(q.as_deref());
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let mut row = random_world(&db).await?;
        row.random_number = common::random_id();
        rows.push(row);
    }
    let rows = db
        .transaction(|tx| async move {
            for row in &rows {
                tx.update(row).await?;
            }
            Ok(rows)
        })
        .await?;
    Ok(Json(rows))
}

#[get("/fortunes")]
async fn fortunes(db: Db) -> Result<FortunesPage> {
    let mut fortunes = db.all::<Fortune>().await?;
    fortunes.push(Fortune {
        id: Id::from(0),
        message: "Additional fortune added at request time.".to_string(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));
    Ok(FortunesPage { fortunes })
}

#[get("/book/<id>")]
async fn book(id: i64) -> Json<common::Book> {
    Json(common::book(id))
}

#[middleware]
async fn server_header(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(SERVER, HeaderValue::from_static("kiln"));
    res
}

fn main() -> kiln::Result<()> {
    common::runtime().block_on(async {
        let db = Database::builder(format!("sqlite://{}", common::database()))
            .max_connections(common::POOL)
            .min_connections(common::POOL)
            .connect()
            .await?;
        App::new()
            .database(db)
            .mount(
                "/",
                routes![plaintext, json, db, queries, updates, fortunes, book],
            )
            .wrap(server_header)
            .serve(("127.0.0.1", common::port()))
            .await
    })
}
