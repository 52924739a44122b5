//! `#[derive(Table)]`: `ast` reads the struct into kiln's model, `attr` parses the
//! options, `valid` checks across fields, `expand` writes the code, and `fallback`
//! writes a stub impl after a mistake. Every mistake found is reported.

mod ast;
mod attr;
mod expand;
mod fallback;
mod valid;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// The expansion of `#[derive(Table)]` on `input`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = kiln_macro_support::Ctxt::new();
    let table = ast::Table::from_syn(&mut cx, input);
    if let Some(table) = &table {
        valid::check(&mut cx, table);
    }
    match table {
        Some(table) if !cx.has_errors() => expand::expand(&table),
        table => {
            let stub = fallback::stub(input, table.as_ref());
            let errors = cx.into_compile_errors();
            quote!(#errors #stub)
        }
    }
}
