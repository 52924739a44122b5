//! `#[catch(404)]` and `#[catch(default)]`: a function that renders error pages.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Lit};

use crate::route::parse::Errors;

/// The status a catcher renders: `Some(code)` or `None` for `default`.
fn parse_code(args: TokenStream, errors: &mut Errors) -> Option<u16> {
    let expr: syn::Expr = match syn::parse2(args.clone()) {
        Ok(e) => e,
        Err(_) => {
            let span = if args.is_empty() {
                Span::call_site()
            } else {
                args.span()
            };
            errors.push(syn::Error::new(
                span,
                "expected a status code, like `#[catch(404)]`, or `#[catch(default)]`",
            ));
            return None;
        }
    };
    match &expr {
        syn::Expr::Path(p) if p.path.is_ident("default") => None,
        syn::Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u16>() {
            Ok(code) if (400..=599).contains(&code) => Some(code),
            _ => {
                errors.push(syn::Error::new(
                    i.span(),
                    format!(
                        "`{i}` is not an error status; a catcher takes a status from 400 to 599"
                    ),
                ));
                None
            }
        },
        other => {
            errors.push(syn::Error::new_spanned(
                other,
                "expected a status code, like `#[catch(404)]`, or `#[catch(default)]`",
            ));
            None
        }
    }
}

/// Expands `#[catch(..)]` on a function.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(&item, "`#[catch]` goes on an `async fn`");
            let err = err.to_compile_error();
            return quote! { #err #item };
        }
    };
    let mut errors = Errors::default();
    let code = parse_code(args, &mut errors);
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("catcher `{}` must be an `async fn`", sig.ident),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a catcher can't be generic",
        ));
    }
    let mut types = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                errors.push(syn::Error::new_spanned(r, "a catcher takes no `self`"))
            }
            FnArg::Typed(pt) => types.push((*pt.ty).clone()),
        }
    }
    if let Err(err) = errors.finish(()) {
        let err = err.to_compile_error();
        return quote! { #err #func };
    }

    let name = &sig.ident;
    let vis = &func.vis;
    let display = name.to_string();
    let code_expr = match code {
        Some(c) => quote!(::kiln::__private::Some(#c)),
        None => quote!(::kiln::__private::None),
    };
    let line = quote_spanned!(name.span()=> ::core::line!());
    let args = types.iter().map(
        |ty| quote_spanned!(ty.span()=> <#ty as ::kiln::__private::FromCatch>::from_catch(&__req)),
    );
    let needs = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> <#ty as ::kiln::__private::FromCatch>::NEEDS_HEADERS));
    let ret_span = match &sig.output {
        syn::ReturnType::Default => name.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    let respond = quote_spanned!(ret_span=> ::kiln::__private::into_response(__result));
    let label = code.map_or_else(|| "default".to_string(), |c| c.to_string());
    let doc = format!("Catcher `{name}` for {label} errors; register it with `catchers![{name}]`.");
    quote! {
        #func

        #[allow(non_camel_case_types, dead_code)]
        #[doc = #doc]
        #vis struct #name {}

        #[allow(dead_code, clippy::all)]
        impl #name {
            #[doc(hidden)]
            pub const __KILN_CATCHER: ::kiln::__private::CatcherInfo = ::kiln::__private::CatcherInfo {
                name: #display,
                code: #code_expr,
                file: ::core::file!(),
                line: #line,
            };

            #[doc(hidden)]
            pub fn __kiln_catcher() -> ::kiln::__private::Catcher {
                ::kiln::__private::catcher(&Self::__KILN_CATCHER, false #(|| #needs)*, Self::__kiln_call)
            }

            fn __kiln_call(__req: ::kiln::__private::CatchRequest)
                -> ::kiln::__private::BoxFuture<'static, ::kiln::__private::Response>
            {
                ::kiln::__private::Box::pin(async move {
                    let __result = #name(#(#args),*).await;
                    #respond
                })
            }
        }
    }
}
