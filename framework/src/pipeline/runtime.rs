//! kiln's own settings for the request path, built once at start-up and kept apart
//! from the values the user manages.

use crate::catcher::CatcherTable;

/// The request body limit unless `App::body_limit` says otherwise: axum's own default.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What the pipeline reads on every request: shared (one `Arc`) by the handlers'
/// futures, the static-file services and the panic guard around the user's layers.
///
/// The next settings of the request path (sessions, CSRF, security headers) join here.
pub(crate) struct Runtime {
    /// The catchers, if the app registered any.
    pub(crate) catchers: Option<CatcherTable>,
    /// The largest request body accepted, in bytes.
    pub(crate) body_limit: usize,
}
