//! Shortly, Werkzeug's URL shortener, on kiln. Links live in SQLite through kiln's
//! ORM by default, or in PostgreSQL, or in Redis when `REDIS_URL` is set:
//!
//! ```text
//! cargo run -p shortly                                   # sqlite://shortly.db, port 8000
//! DATABASE_URL=postgres://localhost/shortly cargo run -p shortly
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run -p shortly
//! ```
//!
//! The processes keep nothing of their own between requests, so several can serve one
//! site behind a load balancer on a shared PostgreSQL or Redis (`scripts/scaleout.sh`
//! shows two behind nginx); they need the same `KILN_SECRET_KEY`.
//!
//! `GET /` shows the form, `POST /` shortens (only `http`/`https` URLs with a host),
//! `GET /<key>` redirects (301) and counts the click, `GET /<key>+` shows the details.

mod store;

use kiln::axum::http::header::{HOST, LOCATION};
use kiln::prelude::*;
use serde::Deserialize;

use store::{LinkStore, RedisStore, SqlStore, Store};

/// The form: one URL.
#[page("new_url.html")]
struct NewUrlPage {
    csrf: CsrfToken,
    error: Option<&'static str>,
    url: String,
}

/// A link's details.
#[page("short_link_details.html")]
struct DetailsPage {
    key: String,
    short_path: String,
    short_url: String,
    target: String,
    clicks: u64,
}

/// The custom 404 page.
#[page("not_found.html")]
struct NotFoundPage {
    path: String,
}

#[derive(Deserialize)]
struct NewUrl {
    url: String,
}

/// Why `input` is not a URL Shortly takes, if it is not: only `http` and `https`
/// with a host, nothing a browser would rewrite (spaces, control characters).
fn check_url(input: &str) -> Result<String, &'static str> {
    if input.is_empty() {
        return Err("Please enter a URL.");
    }
    if input.len() > 2048 {
        return Err("That URL is too long (at most 2,048 characters).");
    }
    if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("A URL cannot contain spaces or control characters.");
    }
    let parsed = url::Url::parse(input).map_err(|_| "That is not a valid URL.")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("Only http:// and https:// links can be shortened.");
    }
    match parsed.host_str() {
        Some(host) if !host.is_empty() => Ok(parsed.to_string()),
        _ => Err("A link needs a host, like https://example.com/."),
    }
}

#[get("/")]
async fn new_url(csrf: CsrfToken) -> NewUrlPage {
    NewUrlPage {
        csrf,
        error: None,
        url: String::new(),
    }
}

#[post("/")]
async fn shorten(
    store: State<Store>,
    csrf: CsrfToken,
    Form(form): Form<NewUrl>,
) -> Result<Response> {
    let input = form.url.trim();
    match check_url(input) {
        Ok(url) => {
            let key = store.shorten(&url).await?;
            Ok(Redirect::to(link::uri(format!("{key}+"))).into_response())
        }
        Err(error) => Ok((
            StatusCode::BAD_REQUEST,
            NewUrlPage {
                csrf,
                error: Some(error),
                url: form.url,
            },
        )
            .into_response()),
    }
}

/// `/<key>` follows the link, `/<key>+` shows its details.
#[get("/<key>")]
async fn link(store: State<Store>, key: String, headers: HeaderMap) -> Result<Response> {
    if let Some(key) = key.strip_suffix('+') {
        let Some((target, clicks)) = store.details(key).await? else {
            return Err(Error::not_found());
        };
        // The host was checked by kiln (and by `allowed_hosts`, when set).
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let short_path = link::uri(key.to_string());
        return Ok(DetailsPage {
            key: key.to_string(),
            short_url: format!("http://{host}{short_path}"),
            short_path,
            target,
            clicks,
        }
        .into_response());
    }
    let Some(target) = store.follow(&key).await? else {
        return Err(Error::not_found());
    };
    let location = HeaderValue::try_from(target).map_err(|_| Error::bad_request("bad link"))?;
    Ok((StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response())
}

#[catch(404)]
async fn not_found(uri: Uri) -> NotFoundPage {
    NotFoundPage {
        path: uri.path().to_string(),
    }
}

/// Where the stylesheet lives: `$STATIC_DIR`, else `static/` next to this crate.
fn static_dir() -> String {
    std::env::var("STATIC_DIR").unwrap_or_else(|_| kiln::relative!("static").to_string())
}

/// The application on `store`.
fn app(store: Store) -> App {
    let app = App::new()
        .mount("/", routes![new_url, shorten, link])
        .catch(catchers![not_found])
        .static_files("/static", static_dir());
    let app = match &store {
        Store::Sql(sql) => app
            .database(sql.database().clone())
            .models::<(store::Link,)>()
            .migrations(&store::MIGRATIONS)
            .migrations_dir(kiln::relative!("migrations")),
        Store::Redis(_) => app,
    };
    app.manage(store)
}

/// The store the environment asks for: Redis if `REDIS_URL` is set (keys under
/// `$REDIS_PREFIX`, default `shortly:`), else the SQL database at `DATABASE_URL`
/// (default `sqlite://shortly.db`).
async fn store_from_env() -> Result<Store> {
    if let Ok(url) = std::env::var("REDIS_URL") {
        let prefix = std::env::var("REDIS_PREFIX").unwrap_or_else(|_| "shortly:".to_string());
        return Ok(Store::Redis(RedisStore::connect(&url, &prefix).await?));
    }
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://shortly.db".to_string());
    Ok(Store::Sql(
        SqlStore::new(Database::connect(&url).await?).await?,
    ))
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    // A command (`makemigrations`, `migrate`, `routes`, `--help`) runs alone, on the
    // database as it is.
    if std::env::args_os().len() > 1 && std::env::var_os("REDIS_URL").is_none() {
        let url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://shortly.db".to_string());
        let store = Store::Sql(SqlStore::unmigrated(Database::connect(&url).await?));
        return app(store).cli().await;
    }
    app(store_from_env().await?).cli().await
}

#[cfg(test)]
mod tests;
