//! `#[derive(Table)]` for kiln's ORM. Use it through `kiln` (`use kiln::prelude::*;`),
//! which documents it on `kiln::orm::Table`.

mod table;

use proc_macro::TokenStream;

/// Derives `kiln::orm::Table` for a struct with named fields and an `id: Id<Self>` field.
#[proc_macro_derive(Table, attributes(table, column))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    table::derive(&input).into()
}
