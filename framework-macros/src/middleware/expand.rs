//! Writing the type checks of a checked [`Middleware`]; nothing here can fail.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::Middleware;

/// The code after the user's function: its argument types checked where it counts, at
/// the user's tokens.
pub(crate) fn middleware(m: &Middleware) -> TokenStream {
    let (req_ty, next_ty) = (&m.req_ty, &m.next_ty);
    let req_check =
        quote_spanned!(req_ty.span()=> ::kiln::__private::middleware_request::<#req_ty>(););
    let next_check =
        quote_spanned!(next_ty.span()=> ::kiln::__private::middleware_next::<#next_ty>(););
    quote! {
        const _: fn() = || {
            #req_check
            #next_check
        };
    }
}
