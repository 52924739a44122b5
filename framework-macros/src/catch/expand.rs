//! Writing a checked [`Catcher`]'s companion struct; nothing here can fail.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Visibility};

use super::{Catcher, Status};

/// The code after the user's function: the companion struct `catchers![..]` names.
pub(crate) fn catcher(c: &Catcher, vis: &Visibility) -> TokenStream {
    let name = &c.ident;
    let args = c.args.iter().map(
        |ty| quote_spanned!(ty.span()=> <#ty as ::kiln::__private::FromCatch>::from_catch(&__req)),
    );
    let needs = c
        .args
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> <#ty as ::kiln::__private::FromCatch>::NEEDS_HEADERS));
    let respond = quote_spanned!(c.ret_span=> ::kiln::__private::into_response(__result));
    let label = match c.status {
        Status::Code(code) => code.to_string(),
        Status::Default => "default".to_string(),
    };
    let doc = format!("Catcher `{name}` for {label} errors; register it with `catchers![{name}]`.");
    let body = quote! {
        ::kiln::__private::catcher(&Self::__KILN_CATCHER, false #(|| #needs)*, Self::__kiln_call)
    };
    let call = quote! {
        fn __kiln_call(__req: ::kiln::__private::CatchRequest)
            -> ::kiln::__private::BoxFuture<'static, ::kiln::__private::Response>
        {
            ::kiln::__private::Box::pin(async move {
                let __result = #name(#(#args),*).await;
                #respond
            })
        }
    };
    companion(name, vis, quote!(#[doc = #doc]), Some(c.status), body, call)
}

/// After a mistake in a `#[catch]`: the companion struct, so that `catchers![name]`
/// still compiles and the mistake is reported once. It keeps the status if that was
/// read (a clash with another catcher is a mistake of its own); else it claims a
/// status no catcher can have, 0.
pub(crate) fn fallback(name: &Ident, vis: &Visibility, status: Option<Status>) -> TokenStream {
    let body = quote!(::core::unreachable!(
        "a `#[catch]` with mistakes does not compile"
    ));
    companion(
        name,
        vis,
        quote!(#[doc(hidden)]),
        status,
        body,
        TokenStream::new(),
    )
}

/// The companion struct both paths write: its `__KILN_CATCHER` constant, its
/// `__kiln_catcher()` (with `body`), and whatever else the impl needs (`extra`).
fn companion(
    name: &Ident,
    vis: &Visibility,
    doc: TokenStream,
    status: Option<Status>,
    body: TokenStream,
    extra: TokenStream,
) -> TokenStream {
    let info = info(name, status);
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #doc
        #vis struct #name {}

        #[allow(dead_code, clippy::all)]
        impl #name {
            #info

            #[doc(hidden)]
            pub fn __kiln_catcher() -> ::kiln::__private::Catcher {
                #body
            }

            #extra
        }
    }
}

/// The `__KILN_CATCHER` constant `catchers![..]` checks for clashes.
fn info(name: &Ident, status: Option<Status>) -> TokenStream {
    let display = name.to_string();
    let code_expr = match status {
        Some(Status::Code(c)) => quote!(::kiln::__private::Some(#c)),
        Some(Status::Default) => quote!(::kiln::__private::None),
        None => quote!(::kiln::__private::Some(0u16)),
    };
    let line = quote_spanned!(name.span()=> ::core::line!());
    quote! {
        #[doc(hidden)]
        pub const __KILN_CATCHER: ::kiln::__private::CatcherInfo = ::kiln::__private::CatcherInfo {
            name: #display,
            code: #code_expr,
            file: ::core::file!(),
            line: #line,
        };
    }
}
