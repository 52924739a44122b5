//! kiln's own settings for the request path, built once at start-up and kept apart
//! from the values the user manages.

use std::sync::Arc;

use crate::catcher::CatcherTable;
use crate::security::{SecurityHeaders, Shield};

/// The request body limit unless `App::body_limit` says otherwise: axum's own default.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What the pipeline reads on every request: shared (one `Arc`) by the handlers'
/// futures, the static-file services and the panic guard around the user's layers.
///
pub(crate) struct Runtime {
    /// The catchers, if the app registered any.
    pub(crate) catchers: Option<CatcherTable>,
    /// The largest request body accepted, in bytes.
    pub(crate) body_limit: usize,
    /// The `Host` and CSRF checks and the sessions.
    pub(crate) shield: Arc<Shield>,
    /// The headers every response leaves with.
    pub(crate) headers: SecurityHeaders,
    /// A panic guard outside the router checks the `Host` and adds the security headers
    /// once for every request, so the handlers inside need not do it again.
    pub(crate) outside: bool,
}
