//! The catchers in effect, by status: built once at start-up, read per error.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode, Uri};

use super::Catcher;
use crate::launch::{Problem, ProblemKind};

/// The catchers in effect, by status.
#[derive(Default)]
pub(crate) struct CatcherTable {
    by_code: HashMap<u16, Catcher>,
    default: Option<Catcher>,
    needs_headers: bool,
}

impl CatcherTable {
    /// Builds the table, or the problems naming catchers registered twice for one status.
    pub(crate) fn build(catchers: Vec<Catcher>) -> Result<CatcherTable, Vec<Problem>> {
        let mut table = CatcherTable::default();
        let mut problems = Vec::new();
        for c in catchers {
            table.needs_headers |= c.needs_headers;
            let slot = match c.code {
                Some(code) => table.by_code.get(&code),
                None => table.default.as_ref(),
            };
            if let Some(first) = slot {
                problems.push(Problem::new(
                    ProblemKind::DuplicateCatcher,
                    c.label(),
                    Some(c.location.clone()),
                    format!(
                        "two catchers for {}: `{}` ({}) and `{}` ({})",
                        c.label(),
                        first.name,
                        first.location,
                        c.name,
                        c.location
                    ),
                ));
                continue;
            }
            match c.code {
                Some(code) => {
                    table.by_code.insert(code, c);
                }
                None => table.default = Some(c),
            }
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(problems)
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_code.is_empty() && self.default.is_none()
    }

    pub(crate) fn find(&self, status: StatusCode) -> Option<&Catcher> {
        self.by_code.get(&status.as_u16()).or(self.default.as_ref())
    }
}

/// The parts of the request a catcher may need, kept while the handler runs.
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

impl CatcherTable {
    /// What to keep of `req` for this table's catchers (headers only if one wants them).
    pub(crate) fn head_of<B>(&self, req: &axum::http::Request<B>) -> Head {
        // Under a nested service (static files), axum keeps the URI as requested here.
        let uri = match req.extensions().get::<axum::extract::OriginalUri>() {
            Some(original) => original.0.clone(),
            None => req.uri().clone(),
        };
        Head {
            method: req.method().clone(),
            uri,
            headers: if self.needs_headers {
                req.headers().clone()
            } else {
                HeaderMap::new()
            },
        }
    }
}
