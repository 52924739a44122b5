//! Shared diagnostics for kiln's proc-macro crates (`kiln-macros`, `kiln-orm-derive`):
//! [`Ctxt`] collects every mistake so all are reported at once, [`check_signature`]
//! holds the function-signature rules handlers, catchers and middleware share, and
//! [`attribute`] is the preamble of every attribute: parse the item or say what it
//! goes on.

mod ctxt;
mod signature;

pub use ctxt::Ctxt;
pub use signature::{FnRules, check_signature};

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parse;

/// Parses an attribute's `item` as `T` and hands it to `expand`; if it is not a `T`,
/// emits `wrong_item` as an error at the item, followed by the item unchanged.
pub fn attribute<T: Parse>(
    item: TokenStream,
    wrong_item: &str,
    expand: impl FnOnce(T) -> TokenStream,
) -> TokenStream {
    match syn::parse2::<T>(item.clone()) {
        Ok(parsed) => expand(parsed),
        Err(_) => {
            let err = syn::Error::new_spanned(&item, wrong_item).to_compile_error();
            quote! { #err #item }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_keeps_the_item_after_the_error() {
        let out = attribute::<syn::ItemFn>(
            quote!(
                struct S;
            ),
            "goes on a fn",
            |_| unreachable!("a struct is not a fn"),
        );
        let out = out.to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("goes on a fn"), "{out}");
        assert!(out.ends_with("struct S ;"), "{out}");
    }

    #[test]
    fn attribute_expands_what_parses() {
        let out = attribute::<syn::ItemFn>(
            quote!(
                fn f() {}
            ),
            "goes on a fn",
            |f| {
                let ident = f.sig.ident;
                quote!(#ident)
            },
        );
        assert_eq!(out.to_string(), "f");
    }
}
