//! After a mistake, a stub impl: the struct still implements `Table` and has its column
//! constants, so that one mistake gives one error, not one per use of the struct.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::ast::Table;
use super::expand;

/// The stub for `input` (nothing for a generic type, which can't be a table at all).
pub fn stub(input: &DeriveInput, table: Option<&Table<'_>>) -> TokenStream {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let name = table.map(|t| t.name.clone()).unwrap_or_default();
    let constants = table.map(expand::constants);
    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl ::kiln::__private::orm::Table for #ident {
                fn table_name() -> &'static str {
                    #name
                }
                fn id(&self) -> ::kiln::__private::orm::Id<Self> {
                    ::core::unreachable!()
                }
                fn __set_id(&mut self, _: ::kiln::__private::orm::Id<Self>) {
                    ::core::unreachable!()
                }
                fn __info() -> &'static ::kiln::__private::orm::TableInfo {
                    ::core::unreachable!()
                }
                fn __bind(
                    &self,
                    _: &mut ::kiln::__private::orm::Args,
                ) -> ::kiln::__private::Result<(), ::kiln::__private::orm::Error> {
                    ::core::unreachable!()
                }
                fn __decode(
                    _: &mut ::kiln::__private::orm::RowReader<'_>,
                ) -> ::kiln::__private::Result<Self, ::kiln::__private::orm::Error> {
                    ::core::unreachable!()
                }
            }
            #constants
        };
    }
}
