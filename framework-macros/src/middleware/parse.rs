//! Reading a `#[middleware]` function into the [`Middleware`] model.

use proc_macro2::TokenStream;
use syn::{FnArg, ItemFn};

use super::Middleware;
use kiln_macro_support::{Ctxt, FnRules, check_signature};

/// Checks the attribute and the function's signature; every mistake is reported.
pub(crate) fn middleware(args: &TokenStream, func: &ItemFn) -> syn::Result<Middleware> {
    let mut cx = Ctxt::new();
    if !args.is_empty() {
        cx.error_spanned_by(args, "`#[middleware]` takes no arguments");
    }
    let sig = &func.sig;
    check_signature(
        &mut cx,
        sig,
        &FnRules {
            what: "middleware",
            name: &sig.ident.to_string(),
            generic_note: "",
            self_note: "",
        },
    );
    let typed: Vec<_> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t),
            FnArg::Receiver(_) => None,
        })
        .collect();
    if typed.len() != 2 {
        cx.error_spanned_by(
            &sig.inputs,
            format!(
                "middleware `{}` takes two arguments, the request and what comes next: `(req: Request, next: Next)`",
                sig.ident
            ),
        );
    }
    if let syn::ReturnType::Default = sig.output {
        cx.error_spanned_by(
            &sig.ident,
            "a middleware returns the response: add `-> Response`",
        );
    }
    cx.finish(())?;
    Ok(Middleware {
        req_ty: (*typed[0].ty).clone(),
        next_ty: (*typed[1].ty).clone(),
    })
}
