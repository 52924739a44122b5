//! [`App::openapi`] and its friends: the document of the app's routes, and the routes
//! serving it and its page (`openapi/` builds them; `App::build` mounts them).

use serde_json::Value;

use crate::app::App;
use crate::openapi::{Info, document};

impl App {
    /// Serves the OpenAPI 3.1 document of every mounted route at `path`
    /// (`"/openapi.json"`), built from the route attributes.
    pub fn openapi(mut self, path: impl Into<String>) -> App {
        self.openapi.json = Some(path.into());
        self
    }

    /// Serves a page rendering the document at `path` (`"/docs"`), and its stylesheet
    /// at `<path>/openapi.css`; no script, nothing from elsewhere.
    pub fn openapi_ui(mut self, path: impl Into<String>) -> App {
        self.openapi.ui = Some(path.into());
        self
    }

    /// The document's title and version (by default the crate's name and version, from
    /// the first route's `Cargo.toml`).
    pub fn openapi_info(mut self, title: impl Into<String>, version: impl Into<String>) -> App {
        self.openapi.info = Some(Info {
            title: title.into(),
            version: version.into(),
        });
        self
    }

    /// The OpenAPI 3.1 document of every mounted route, as `.openapi(..)` serves it.
    pub fn openapi_document(&self) -> Value {
        document(
            self.routes.iter().map(|(prefix, def)| def.listed(prefix)),
            self.openapi.info.as_ref(),
        )
    }
}
