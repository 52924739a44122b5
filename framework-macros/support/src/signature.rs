//! The signature rules kiln's function attributes share: `async`, not `const`, not
//! generic, not variadic, no `self`.

use syn::{FnArg, Signature};

use crate::Ctxt;

/// How one attribute words the signature rules.
pub struct FnRules<'a> {
    /// The noun for the function: `handler`, `catcher`, `middleware`.
    pub what: &'a str,
    /// The function's name as messages show it: `book`, `Books::get`.
    pub name: &'a str,
    /// Appended to the "can't be generic" message, like `; kiln must know its argument types`.
    pub generic_note: &'a str,
    /// Appended to the "takes no `self`" message, like `: it is called with ..`.
    pub self_note: &'a str,
}

/// Records every rule `sig` breaks; `true` if it breaks none.
pub fn check_signature(cx: &mut Ctxt, sig: &Signature, rules: &FnRules<'_>) -> bool {
    let FnRules {
        what,
        name,
        generic_note,
        self_note,
    } = rules;
    let mut ok = true;
    if sig.asyncness.is_none() {
        cx.error_at(
            sig.fn_token.span,
            format!("{what} `{name}` must be an `async fn`"),
        );
        ok = false;
    }
    if let Some(c) = &sig.constness {
        cx.error_at(c.span, format!("a {what} can't be a `const fn`"));
        ok = false;
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &sig.generics,
            format!("a {what} can't be generic{generic_note}"),
        );
        ok = false;
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, format!("a {what} can't be variadic"));
        ok = false;
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(r) = input {
            cx.error_spanned_by(r, format!("a {what} takes no `self`{self_note}"));
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(sig: Signature) -> Vec<String> {
        let mut cx = Ctxt::new();
        let rules = FnRules {
            what: "catcher",
            name: "not_found",
            generic_note: "",
            self_note: "",
        };
        let ok = check_signature(&mut cx, &sig, &rules);
        let out: Vec<String> = match cx.into_error() {
            Some(e) => e.into_iter().map(|e| e.to_string()).collect(),
            None => Vec::new(),
        };
        assert_eq!(ok, out.is_empty());
        out
    }

    #[test]
    fn a_plain_async_fn_passes() {
        assert!(messages(syn::parse_quote!(async fn not_found(a: u8) -> u8)).is_empty());
    }

    #[test]
    fn every_broken_rule_is_reported_in_order() {
        let sig: Signature = syn::parse_quote!(const fn not_found<T>(&self, ...) where T: Copy);
        assert_eq!(
            messages(sig),
            [
                "catcher `not_found` must be an `async fn`",
                "a catcher can't be a `const fn`",
                "a catcher can't be generic",
                "a catcher can't be variadic",
                "a catcher takes no `self`",
            ]
        );
    }

    #[test]
    fn a_where_clause_alone_is_generic() {
        let sig: Signature = syn::parse_quote!(async fn not_found() where u8: Copy);
        assert_eq!(messages(sig), ["a catcher can't be generic"]);
    }
}
