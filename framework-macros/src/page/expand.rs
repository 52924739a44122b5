//! Writing a checked [`Page`]: the askama derive on the user's type and its
//! `IntoResponse` and `ApiOutput` impls. Nothing here can fail.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{Page, Template};

/// The user's type with the askama derive, its `IntoResponse` impl, and what the
/// OpenAPI document says of it (an HTML page).
pub(crate) fn page(page: &Page, input: &DeriveInput) -> TokenStream {
    let template = match &page.template {
        Template::Path(path) => quote!(path = #path),
        Template::Source { source, ext } => quote!(source = #source, ext = #ext),
    };
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[derive(::kiln::askama::Template)]
        #[template(#template, askama = ::kiln::askama)]
        #input

        impl #impl_generics ::kiln::__private::IntoResponse for #name #ty_generics #where_clause {
            fn into_response(self) -> ::kiln::__private::Response {
                ::kiln::__private::render_page(&self)
            }
        }

        impl #impl_generics ::kiln::openapi::ApiOutput for #name #ty_generics #where_clause {
            fn describe(__op: &mut ::kiln::openapi::Operation<'_>) {
                ::kiln::__private::page_response(__op);
            }
        }
    }
}
