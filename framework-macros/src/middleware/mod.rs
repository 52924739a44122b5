//! `#[middleware] async fn name(req: Request, next: Next) -> Response`: checks the
//! signature of a function middleware, so a mistake is reported here and not as a
//! trait error at `.wrap(name)`.
//!
//! Stages: [`parse`] reads the function into a [`Middleware`]; [`expand`] writes the
//! type checks and cannot fail.

mod expand;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, Type};

/// A `#[middleware]` function, checked: its two argument types.
pub(crate) struct Middleware {
    /// The request argument's type, which must be `Request`.
    pub(crate) req_ty: Type,
    /// The second argument's type, which must be `Next`.
    pub(crate) next_ty: Type,
}

/// Expands `#[middleware]` on a function: the function itself, checked.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    kiln_macro_support::attribute(
        item,
        "`#[middleware]` goes on an `async fn(req: Request, next: Next) -> Response`",
        |func: ItemFn| match parse::middleware(&args, &func) {
            Ok(middleware) => {
                let check = expand::middleware(&middleware);
                quote! { #func #check }
            }
            Err(e) => {
                let e = e.to_compile_error();
                quote! { #e #func }
            }
        },
    )
}
