//! Writing a checked [`Resource`]'s routes, with the route attribute's pieces.
//! Nothing here can fail.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemImpl;

use kiln_route::RoutePath;

use super::Resource;
use crate::route::expand;

/// A second `impl` block on the resource type: its routes, `uri(..)` and handlers.
pub(crate) fn resource(r: &Resource) -> TokenStream {
    let mut infos = Vec::new();
    let mut pushes = Vec::new();
    let mut fns = Vec::new();
    for (i, (method, h)) in r.handlers.iter().enumerate() {
        let lower = method.name.to_lowercase();
        let call = format_ident!("__kiln_call_{}", lower);
        let checks = format_ident!("__kiln_checks_{}", lower);
        let describe = format_ident!("__kiln_describe_{}", lower);
        infos.push(expand::route_info(
            &h.display,
            &[*method],
            &r.path,
            true,
            h.ident.span(),
        ));
        pushes.push(expand::push(&call, &checks, &describe, i, h.ident.span()));
        fns.push(expand::call_fn(&call, h, &r.path));
        fns.push(expand::checks_fn(&checks, h));
        fns.push(expand::describe_fn(&describe, h, &r.path));
    }
    let uri = expand::uri_fn(&syn::parse_quote!(pub), &r.path, &r.handlers[0].1);
    let self_ty = &r.self_ty;
    quote! {
        // `deprecated`: a `#[deprecated]` handler is still routed.
        #[allow(dead_code, unused_mut, unused_variables, deprecated, clippy::all)]
        impl #self_ty {
            #[doc(hidden)]
            pub const __KILN_ROUTES: &'static [::kiln::__private::RouteInfo] = &[#(#infos),*];

            #uri

            #[doc(hidden)]
            pub fn __kiln_routes(__routes: &mut ::kiln::__private::Routes) {
                #(#pushes)*
            }

            #(#fns)*
        }
    }
}

/// After a mistake in a `#[resource]`: the type gets no routes, so that
/// `routes![Type]` (and `Type::uri(..)`, if the path parsed) still compile and the
/// mistake is reported once.
pub(crate) fn fallback(imp: &ItemImpl, path: Option<&RoutePath>) -> TokenStream {
    let self_ty = &imp.self_ty;
    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let items = expand::no_routes(&syn::parse_quote!(pub), path);
    quote! {
        #[allow(dead_code, unused_variables, clippy::all)]
        impl #impl_generics #self_ty #where_clause {
            #items
        }
    }
}
