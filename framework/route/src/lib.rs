//! kiln's route grammar, in one place.
//!
//! The route attributes (`#[get("/book/<id>")]`, at compile time, in `kiln-macros`)
//! and the [`App`](https://docs.rs/kiln) (at start-up, for mount prefixes, static
//! folders and `App::route`) both call this crate, as Rocket's codegen calls
//! `rocket_http`'s route parser, so the two can never disagree:
//!
//! - [`path`]: the one parser of `"/book/<id>/<rest..>?<q>&<page>"`.
//! - [`method`]: the one table of HTTP methods kiln routes.
//! - [`collide`]: the one collision rule, `const` so that `routes!` can apply it
//!   during compilation and `App` the same function at start-up.
//!
//! It has no dependencies, so both sides get it for free.

pub mod collide;
pub mod method;
pub mod path;

pub use collide::{Part, Shape, collides, router_conflict, same_shape};
pub use method::{METHODS, MethodDef, Methods};
pub use path::{PathError, RoutePath, Segment, Syntax};
