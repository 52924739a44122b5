//! `#[derive(Table)]` for kiln's ORM. Use it through `kiln::prelude::*`.
use proc_macro::TokenStream;

/// Derives `kiln::orm::Table`.
#[proc_macro_derive(Table, attributes(table, column))]
pub fn derive_table(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
