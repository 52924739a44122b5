//! `#[middleware] async fn name(req: Request, next: Next) -> Response`: checks the
//! signature of a function middleware, so a mistake is reported here and not as a
//! trait error at `.wrap(name)`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn};

use crate::route::parse::Errors;

/// Expands `#[middleware]` on a function: the function itself, checked.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "`#[middleware]` goes on an `async fn(req: Request, next: Next) -> Response`",
            )
            .to_compile_error();
            return quote! { #err #item };
        }
    };
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(
            &args,
            "`#[middleware]` takes no arguments",
        ));
    }
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("middleware `{}` must be an `async fn`", sig.ident),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a middleware can't be generic",
        ));
    }
    let typed: Vec<_> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t),
            FnArg::Receiver(r) => {
                errors.push(syn::Error::new_spanned(r, "a middleware takes no `self`"));
                None
            }
        })
        .collect();
    if typed.len() != 2 {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!(
                "middleware `{}` takes two arguments, the request and what comes next: `(req: Request, next: Next)`",
                sig.ident
            ),
        ));
    }
    if let syn::ReturnType::Default = sig.output {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "a middleware returns the response: add `-> Response`",
        ));
    }
    match errors.finish(()) {
        Ok(()) => {
            // The types are checked where it counts, at the user's tokens.
            let (req_ty, next_ty) = (&typed[0].ty, &typed[1].ty);
            let req_check = quote::quote_spanned!(req_ty.span()=> ::kiln::__private::middleware_request::<#req_ty>(););
            let next_check = quote::quote_spanned!(next_ty.span()=> ::kiln::__private::middleware_next::<#next_ty>(););
            let check = quote! {
                const _: fn() = || {
                    #req_check
                    #next_check
                };
            };
            quote! { #func #check }
        }
        Err(e) => {
            let e = e.to_compile_error();
            quote! { #e #func }
        }
    }
}
