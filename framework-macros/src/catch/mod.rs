//! `#[catch(404)]` and `#[catch(default)]`: a function that renders error pages.
//!
//! Stages: [`parse`] reads the status and the function into a [`Catcher`]; [`expand`]
//! writes its companion struct and cannot fail. After a mistake,
//! [`expand::fallback`] still writes the items `catchers![..]` names, so one mistake
//! gives one error.

mod expand;
mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, ItemFn, Type};

/// The status a catcher renders.
#[derive(Clone, Copy)]
pub(crate) enum Status {
    /// `#[catch(404)]`.
    Code(u16),
    /// `#[catch(default)]`: every status without its own catcher.
    Default,
}

/// A `#[catch]` function, checked.
pub(crate) struct Catcher {
    pub(crate) status: Status,
    /// The function's name.
    pub(crate) ident: Ident,
    /// The argument types, each read with `FromCatch`.
    pub(crate) args: Vec<Type>,
    /// The declared return type, for spanning the `IntoResponse` check.
    pub(crate) ret_span: Span,
}

/// Expands `#[catch(..)]` on a function.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    kiln_macro_support::attribute(item, "`#[catch]` goes on an `async fn`", |func: ItemFn| {
        match parse::catcher(args, &func) {
            Ok(catcher) => {
                let code = expand::catcher(&catcher, &func.vis);
                quote! { #func #code }
            }
            Err(broken) => {
                let err = broken.error.to_compile_error();
                let stub = expand::fallback(&func.sig.ident, &func.vis, broken.status);
                quote! { #err #func #stub }
            }
        }
    })
}
