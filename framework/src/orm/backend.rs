//! Which database system a URL names, and which SQL dialect to write.

/// The database systems kiln's ORM speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded: `sqlite://app.db`, `sqlite::memory:`.
    Sqlite,
    /// PostgreSQL: `postgres://user:password@host/database`.
    Postgres,
}

impl Backend {
    /// The backend a connection URL names, if kiln supports it.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}
