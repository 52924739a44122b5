//! Procedural macros for kiln: route attributes, `routes!`, `catchers!`, `#[resource]`,
//! `#[catch]`, `#[page]` and `#[middleware]`. Use them through `kiln` (`use kiln::prelude::*;`); generated code
//! names everything through `::kiln::__private`.

mod catch;
mod middleware;
mod migrations;
mod page;
mod resource;
mod route;
mod routes;
mod validate;

use proc_macro::TokenStream;

macro_rules! method_attributes {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("A `", stringify!($name), "` route: `#[", stringify!($name), "(\"/book/<id>\")] async fn book(id: i64) -> String`.")]
        ///
        /// `<name>` binds the argument of that name (any `FromStr` type; a value that
        /// does not parse answers 404), `<name..>` the rest of the path, `?<q>` a query
        /// parameter (`Option<T>` when optional; missing or invalid answers 400). Other
        /// arguments are axum extractors. It also generates `name::uri(..)`.
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            let method = kiln_route::MethodDef::verb(stringify!($name)).expect("a verb of the method table");
            route::attribute(Some(method), args.into(), item.into()).into()
        }
    )*};
}

method_attributes! {
    get,
    post,
    put,
    patch,
    delete,
    head,
    options,
}

/// A route answering several methods: `#[route("/echo", methods = [GET, POST])]`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    route::attribute(None, args.into(), item.into()).into()
}

/// Collects handlers and resources for `App::mount`: `routes![index, book, Books]`.
///
/// Two entries answering one method on one path shape fail to compile.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    routes::routes(input.into()).into()
}

/// Collects catchers for `App::catch`: `catchers![not_found, server_error]`.
#[proc_macro]
pub fn catchers(input: TokenStream) -> TokenStream {
    routes::catchers(input.into()).into()
}

/// Methods named after HTTP verbs become handlers of one path:
/// `#[resource("/books/<id>")] impl Books { async fn get(id: i64) -> String { .. } }`.
#[proc_macro_attribute]
pub fn resource(args: TokenStream, item: TokenStream) -> TokenStream {
    resource::attribute(args.into(), item.into()).into()
}

/// An error page for a status: `#[catch(404)]`, or for all of them: `#[catch(default)]`.
#[proc_macro_attribute]
pub fn catch(args: TokenStream, item: TokenStream) -> TokenStream {
    catch::attribute(args.into(), item.into()).into()
}

/// An HTML page rendered by an askama template from the crate's `templates/` folder:
/// `#[page("home.html")] struct Home { title: String }`. Returning it from a handler
/// answers 200 `text/html; charset=utf-8`, escaped by default.
#[proc_macro_attribute]
pub fn page(args: TokenStream, item: TokenStream) -> TokenStream {
    page::attribute(args.into(), item.into()).into()
}

/// A function middleware: `#[middleware] async fn name(req: Request, next: Next) -> Response`,
/// added with `App::wrap(name)`.
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, item: TokenStream) -> TokenStream {
    middleware::attribute(args.into(), item.into()).into()
}

/// Validation rules on a struct's fields, checked by the `validator` crate's functions:
/// `#[derive(Validate)] struct NewBook { #[validate(length(min = 1, max = 200))] title: String }`.
///
/// Rules: `length(min, max, equal)`, `range(min, max, exclusive_min, exclusive_max)`,
/// `email`, `url`, `contains(pattern)`, `does_not_contain(pattern)`,
/// `must_match(other)`, `regex(path)`, `custom(function)`, `required` (an `Option`),
/// `non_control_character` and `nested`; each takes `message = ".."` and `code = ".."`.
#[proc_macro_derive(Validate, attributes(validate))]
pub fn derive_validate(input: TokenStream) -> TokenStream {
    validate::derive(input.into()).into()
}

/// The app's migrations, embedded at compile time: `static MIGRATIONS: Migrations =
/// kiln::migrations!();` reads the `migrations/` folder next to the crate's
/// `Cargo.toml` (or the folder given: `kiln::migrations!("db/migrations")`), one
/// subfolder per migration in name order, each with `sqlite.sql`, `postgres.sql` and
/// `schema.json`. Each file is tracked, so editing one rebuilds.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    migrations::embed(input.into()).into()
}
