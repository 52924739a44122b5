//! Route attributes: `#[get("/book/<id>")]` and friends, `#[route(..)]`, and the
//! handler analysis `#[resource]` shares.
//!
//! Stages: [`parse`] reads the attribute and the function into a [`Route`] model
//! (every mistake a `syn::Error` at its token, all reported at once); [`expand`]
//! writes the code and cannot fail; after a mistake, [`expand::fallback`] writes the
//! companion struct empty, so `routes![..]` naming the handler adds no second error.

pub(crate) mod expand;
pub(crate) mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, LitStr, Type};

use kiln_route::RoutePath;
pub(crate) use parse::HttpMethod;

/// A route attribute and its handler, checked.
pub(crate) struct Route {
    pub(crate) methods: Vec<HttpMethod>,
    /// `false` when the attribute says `csrf = false`.
    pub(crate) csrf: bool,
    pub(crate) path: RoutePath,
    pub(crate) path_lit: LitStr,
    pub(crate) handler: Handler,
}

/// What a handler function takes and returns.
pub(crate) struct Handler {
    /// The function's name.
    pub(crate) ident: Ident,
    /// How generated code calls it: `book` or `Self::get`.
    pub(crate) call: TokenStream,
    /// The name shown in messages: `book` or `Books::get`.
    pub(crate) display: String,
    pub(crate) args: Vec<Arg>,
    /// The declared return type, for spanning the `IntoResponse` check.
    pub(crate) ret_span: Span,
    /// Its doc comment's `#[doc = ..]` values, one a line, for the OpenAPI document.
    pub(crate) doc: Vec<syn::Expr>,
    /// Whether it says `#[doc(hidden)]`: the document leaves it out.
    pub(crate) hidden: bool,
    /// Whether it says `#[deprecated]`, with its `note` if it has one.
    pub(crate) deprecated: Option<Option<syn::LitStr>>,
    /// The return type the document describes; `None` for one naming `impl Trait`.
    pub(crate) output: Option<Type>,
}

/// One handler argument.
pub(crate) struct Arg {
    pub(crate) ty: Type,
    pub(crate) kind: ArgKind,
}

/// How an argument gets its value.
pub(crate) enum ArgKind {
    /// The `index`-th path parameter (`<name>` or `<name..>`).
    Path { index: usize },
    /// A query parameter; `Some(inner)` when declared `Option<inner>`.
    Query {
        name: String,
        optional: Option<Box<Type>>,
    },
    /// Any other argument: an axum extractor.
    Extractor,
}

/// Expands one route attribute applied to a function.
pub(crate) fn attribute(
    method: Option<HttpMethod>,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    kiln_macro_support::attribute(
        item,
        "route attributes go on an `async fn`; use `#[resource]` on an `impl` block",
        |func: syn::ItemFn| match parse::route(method, args, &func) {
            Ok(route) => {
                let code = expand::route(&route, &func.vis);
                quote! { #func #code }
            }
            // Keep the function, and the companion struct `routes!` names, so one
            // mistake gives one error and the IDE keeps working.
            Err(broken) => {
                let err = broken.error.to_compile_error();
                let stub = expand::fallback(&func.sig.ident, &func.vis, broken.path.as_ref());
                quote! { #err #func #stub }
            }
        },
    )
}
