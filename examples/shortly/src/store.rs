//! Where links live, behind [`LinkStore`]: SQL through kiln's ORM (SQLite by default,
//! PostgreSQL too), or Redis. Both hand out base36 keys of a counter starting at 1,
//! give the same URL the same key, and count clicks atomically.

use kiln::prelude::*;
use redis::AsyncCommands;

/// A short key: base36 of `n` (`1`, ..., `z`, `10`, ...).
pub fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The number a key stands for, if it is one (lower-case base36, no leading zero).
pub fn parse_key(key: &str) -> Option<u64> {
    if key.is_empty() || key.len() > 12 || key.starts_with('0') {
        return None;
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return None;
    }
    u64::from_str_radix(key, 36).ok()
}

/// What Shortly needs of its storage.
pub trait LinkStore: Send + Sync + 'static {
    /// The key of `url`: its existing one, or a new one.
    fn shorten(&self, url: &str) -> impl Future<Output = Result<String>> + Send;
    /// The target of `key`, counting the click; `None` if there is no such link.
    fn follow(&self, key: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// The target and click count of `key`; `None` if there is no such link.
    fn details(&self, key: &str) -> impl Future<Output = Result<Option<(String, u64)>>> + Send;
}

/// A short link, as the SQL store keeps it.
#[derive(Table, Debug, Clone)]
pub struct Link {
    /// The counter the key is made from.
    pub id: Id<Link>,
    /// Where it leads; one link per URL.
    #[column(unique)]
    pub url: String,
    /// How often it was followed.
    pub clicks: i64,
}

/// The migrations in `migrations/`, embedded (`build.rs` rebuilds when one is added).
pub static MIGRATIONS: Migrations = kiln::migrations!();

/// Links in a SQL database through kiln's ORM.
#[derive(Clone)]
pub struct SqlStore {
    db: Database,
}

impl SqlStore {
    /// A store on `db`, its migrations applied.
    pub async fn new(db: Database) -> Result<SqlStore> {
        db.migrate(&MIGRATIONS).await?;
        Ok(SqlStore { db })
    }

    /// A store on `db` as it is (for the command line, which migrates on request).
    pub fn unmigrated(db: Database) -> SqlStore {
        SqlStore { db }
    }

    /// The database, for `App::database`.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

fn id_of(key: &str) -> Option<i64> {
    parse_key(key).and_then(|n| i64::try_from(n).ok())
}

impl LinkStore for SqlStore {
    async fn shorten(&self, url: &str) -> Result<String> {
        let existing = || self.db.select::<Link>().filter(Link::URL.eq(url)).first();
        if let Some(link) = existing().await? {
            return Ok(base36(link.id.get().unwrap_or_default() as u64));
        }
        let mut link = Link {
            id: Id::new(),
            url: url.to_string(),
            clicks: 0,
        };
        match self.db.save(&mut link).await {
            Ok(()) => Ok(base36(link.id.get().unwrap_or_default() as u64)),
            // Saved meanwhile by another request: the same URL keeps its one key.
            Err(kiln::orm::Error::UniqueViolation { .. }) => match existing().await? {
                Some(link) => Ok(base36(link.id.get().unwrap_or_default() as u64)),
                None => Err(Error::internal("link vanished after a unique violation")),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn follow(&self, key: &str) -> Result<Option<String>> {
        let Some(id) = id_of(key) else {
            return Ok(None);
        };
        // One atomic `clicks = clicks + 1`: concurrent follows are never lost.
        if self.db.increment(id, Link::CLICKS, 1).await?.is_none() {
            return Ok(None);
        }
        Ok(self.db.get::<Link>(id).await?.map(|l| l.url))
    }

    async fn details(&self, key: &str) -> Result<Option<(String, u64)>> {
        let Some(id) = id_of(key) else {
            return Ok(None);
        };
        Ok(self
            .db
            .get::<Link>(id)
            .await?
            .map(|l| (l.url, l.clicks.max(0) as u64)))
    }
}

/// Links in Redis: `shortly:next` counts, `shortly:url:<url>` holds a URL's key,
/// `shortly:target:<key>` its URL and `shortly:clicks:<key>` its clicks.
#[derive(Clone)]
pub struct RedisStore {
    conn: redis::aio::ConnectionManager,
    prefix: String,
}

fn redis_error(e: redis::RedisError) -> Error {
    Error::with_source(StatusCode::SERVICE_UNAVAILABLE, e)
}

impl RedisStore {
    /// A store on the Redis server at `url`, its keys under `prefix` (`shortly:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore> {
        let client = redis::Client::open(url).map_err(redis_error)?;
        let conn = redis::aio::ConnectionManager::new(client)
            .await
            .map_err(redis_error)?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}:{name}", self.prefix)
    }
}

impl LinkStore for RedisStore {
    async fn shorten(&self, url: &str) -> Result<String> {
        let mut conn = self.conn.clone();
        let url_key = self.key("url", url);
        if let Some(key) = conn
            .get::<_, Option<String>>(&url_key)
            .await
            .map_err(redis_error)?
        {
            return Ok(key);
        }
        let n: u64 = conn
            .incr(format!("{}next", self.prefix), 1)
            .await
            .map_err(redis_error)?;
        let key = base36(n);
        // The target first, so a key is never handed out before it resolves.
        conn.set::<_, _, ()>(self.key("target", &key), url)
            .await
            .map_err(redis_error)?;
        let claimed: bool = conn.set_nx(&url_key, &key).await.map_err(redis_error)?;
        if claimed {
            return Ok(key);
        }
        // Another request shortened the same URL meanwhile: use its key.
        let _: () = conn
            .del(self.key("target", &key))
            .await
            .map_err(redis_error)?;
        conn.get::<_, Option<String>>(&url_key)
            .await
            .map_err(redis_error)?
            .ok_or_else(|| Error::internal("link vanished in Redis"))
    }

    async fn follow(&self, key: &str) -> Result<Option<String>> {
        if parse_key(key).is_none() {
            return Ok(None);
        }
        let mut conn = self.conn.clone();
        let Some(target) = conn
            .get::<_, Option<String>>(self.key("target", key))
            .await
            .map_err(redis_error)?
        else {
            return Ok(None);
        };
        let _: u64 = conn
            .incr(self.key("clicks", key), 1)
            .await
            .map_err(redis_error)?;
        Ok(Some(target))
    }

    async fn details(&self, key: &str) -> Result<Option<(String, u64)>> {
        if parse_key(key).is_none() {
            return Ok(None);
        }
        let mut conn = self.conn.clone();
        let (target, clicks): (Option<String>, Option<u64>) = conn
            .mget(&[self.key("target", key), self.key("clicks", key)])
            .await
            .map_err(redis_error)?;
        Ok(target.map(|t| (t, clicks.unwrap_or(0))))
    }
}

/// The store the app runs on: one of the two.
#[derive(Clone)]
pub enum Store {
    /// SQL through the ORM.
    Sql(SqlStore),
    /// Redis.
    Redis(RedisStore),
}

impl LinkStore for Store {
    async fn shorten(&self, url: &str) -> Result<String> {
        match self {
            Store::Sql(s) => s.shorten(url).await,
            Store::Redis(s) => s.shorten(url).await,
        }
    }

    async fn follow(&self, key: &str) -> Result<Option<String>> {
        match self {
            Store::Sql(s) => s.follow(key).await,
            Store::Redis(s) => s.follow(key).await,
        }
    }

    async fn details(&self, key: &str) -> Result<Option<(String, u64)>> {
        match self {
            Store::Sql(s) => s.details(key).await,
            Store::Redis(s) => s.details(key).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_base36_of_the_counter() {
        assert_eq!(base36(1), "1");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(36 * 36), "100");
        for n in [1, 35, 36, 1295, 1296, 1_000_000] {
            assert_eq!(parse_key(&base36(n)), Some(n));
        }
        for bad in ["", "0", "01", "A", "a+", "a/b", "zzzzzzzzzzzzz"] {
            assert_eq!(parse_key(bad), None, "{bad:?}");
        }
    }
}
