//! `#[page("home.html")]`: a struct rendered by an askama template from the crate's
//! `templates/` folder, answering as an HTML page.
//!
//! Stages: [`parse`] reads the arguments into a [`Page`] (checking the template file
//! exists); [`expand`] writes the askama derive and the `IntoResponse` impl and cannot
//! fail.

mod expand;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, LitStr};

/// Where a page's template comes from.
pub(crate) enum Template {
    /// `#[page("home.html")]`: a file under `templates/`.
    Path(LitStr),
    /// `#[page(source = "..", ext = "html")]`: an inline template.
    Source { source: LitStr, ext: LitStr },
}

/// A `#[page]` attribute, checked.
pub(crate) struct Page {
    pub(crate) template: Template,
}

/// Expands `#[page(..)]` on a struct.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    kiln_macro_support::attribute(
        item,
        "`#[page]` goes on a struct whose fields the template reads",
        |input: DeriveInput| match parse::page(args, &input) {
            Ok(page) => expand::page(&page, &input),
            Err(e) => {
                let e = e.to_compile_error();
                quote! { #e #input }
            }
        },
    )
}
