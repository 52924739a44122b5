//! Reading `#[catch(..)]` and its function into the [`Catcher`] model.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Lit};

use super::{Catcher, Status};
use kiln_macro_support::{Ctxt, FnRules, check_signature};

/// The mistakes in a `#[catch]`, and its status if that much could be read.
pub(crate) struct Broken {
    pub(crate) error: syn::Error,
    pub(crate) status: Option<Status>,
}

/// Reads the attribute's status and the catcher function; every mistake is reported.
pub(crate) fn catcher(args: TokenStream, func: &ItemFn) -> Result<Catcher, Broken> {
    let mut cx = Ctxt::new();
    let status = status(args, &mut cx);
    let sig = &func.sig;
    check_signature(
        &mut cx,
        sig,
        &FnRules {
            what: "catcher",
            name: &sig.ident.to_string(),
            generic_note: "",
            self_note: "",
        },
    );
    let args = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pt) => Some((*pt.ty).clone()),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let ret_span = match &sig.output {
        syn::ReturnType::Default => sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    match (status, cx.into_error()) {
        (Some(status), None) => Ok(Catcher {
            status,
            ident: sig.ident.clone(),
            args,
            ret_span,
        }),
        (status, error) => Err(Broken {
            error: error.unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid catcher")),
            status,
        }),
    }
}

/// The status a catcher renders, or `None` (with an error recorded).
fn status(args: TokenStream, cx: &mut Ctxt) -> Option<Status> {
    let expr: syn::Expr = match syn::parse2(args.clone()) {
        Ok(e) => e,
        Err(_) => {
            let span = if args.is_empty() {
                Span::call_site()
            } else {
                args.span()
            };
            cx.error_at(
                span,
                "expected a status code, like `#[catch(404)]`, or `#[catch(default)]`",
            );
            return None;
        }
    };
    match &expr {
        syn::Expr::Path(p) if p.path.is_ident("default") => Some(Status::Default),
        syn::Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u16>() {
            Ok(code) if (400..=599).contains(&code) => Some(Status::Code(code)),
            _ => {
                cx.error_at(
                    i.span(),
                    format!(
                        "`{i}` is not an error status; a catcher takes a status from 400 to 599"
                    ),
                );
                None
            }
        },
        other => {
            cx.error_spanned_by(
                other,
                "expected a status code, like `#[catch(404)]`, or `#[catch(default)]`",
            );
            None
        }
    }
}
