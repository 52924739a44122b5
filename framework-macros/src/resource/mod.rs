//! `#[resource("/books/<id>")] impl Books { async fn get(..); async fn delete(..) }`:
//! methods named after HTTP verbs become the handlers of one path.
//!
//! Stages: [`parse`] reads the path and the handler methods into a [`Resource`]
//! (handlers analysed as route handlers are); [`expand`] writes the routes with the
//! route attribute's pieces and cannot fail. After a mistake, [`expand::fallback`]
//! still gives the type the items `routes![..]` names.

mod expand;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemImpl, Type};

use crate::route::{Handler, HttpMethod};
use kiln_route::RoutePath;

/// A `#[resource]` impl block, checked.
pub(crate) struct Resource {
    /// The type the block implements.
    pub(crate) self_ty: Type,
    pub(crate) path: RoutePath,
    /// The methods named after HTTP verbs, in order; never empty.
    pub(crate) handlers: Vec<(HttpMethod, Handler)>,
}

/// Expands `#[resource(..)]` on an `impl` block.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    kiln_macro_support::attribute(
        item,
        "`#[resource]` goes on an `impl` block of a type",
        |imp: ItemImpl| match parse::resource(args, &imp) {
            Ok(resource) => {
                let code = expand::resource(&resource);
                quote! { #imp #code }
            }
            Err(broken) => {
                let err = broken.error.to_compile_error();
                let stub = expand::fallback(&imp, broken.path.as_ref());
                quote! { #err #imp #stub }
            }
        },
    )
}
