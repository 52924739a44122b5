//! Collects every mistake in a macro's input, so that all of them are reported at once.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// The errors found so far, in the order found.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Ctxt {
        Ctxt::default()
    }

    /// Records an error (which may itself hold several).
    pub fn push(&mut self, err: syn::Error) {
        self.errors.push(err);
    }

    /// Records an error spanning `tokens`.
    pub fn error_spanned_by(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error at `span`.
    pub fn error_at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Every error combined into one, or `None` if there were none.
    pub fn into_error(self) -> Option<syn::Error> {
        self.errors.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        })
    }

    /// `value` if no error was recorded, else every error combined.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.into_error() {
            Some(err) => Err(err),
            None => Ok(value),
        }
    }

    /// Every error as `compile_error!` invocations.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_error_in_order() {
        let mut cx = Ctxt::new();
        assert!(!cx.has_errors());
        cx.error_at(Span::call_site(), "first");
        cx.error_spanned_by(quote::quote!(x), "second");
        assert!(cx.has_errors());
        let err = cx.finish(()).expect_err("two errors");
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn finishes_with_the_value_when_clean() {
        assert_eq!(Ctxt::new().finish(7).ok(), Some(7));
        assert!(Ctxt::new().into_compile_errors().is_empty());
    }
}
