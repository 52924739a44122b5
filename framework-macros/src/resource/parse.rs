//! Reading a `#[resource]` impl block into the [`Resource`] model.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{ImplItem, ItemImpl, LitStr, Type};

use super::Resource;
use crate::route::parse::{self, Broken};
use kiln_macro_support::Ctxt;

/// Replaces `Self` in argument types by the resource type, so generated items nested
/// in functions can name them.
struct ReplaceSelf<'a>(&'a Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(tp) = ty
            && tp.qself.is_none()
            && tp.path.is_ident("Self")
        {
            *ty = self.0.clone();
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

/// Reads the resource path and the handler methods; every mistake is reported.
pub(crate) fn resource(args: TokenStream, imp: &ItemImpl) -> Result<Resource, Broken> {
    let mut cx = Ctxt::new();
    let lit: LitStr = syn::parse2(args.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &args,
            "expected the resource path as a string literal, like `#[resource(\"/books/<id>\")]`",
        )
    })?;
    if let Some((_, path, _)) = &imp.trait_ {
        cx.error_spanned_by(
            path,
            "`#[resource]` goes on an inherent `impl` block, not a trait impl",
        );
    }
    if !imp.generics.params.is_empty() {
        cx.error_spanned_by(&imp.generics, "a resource can't be generic");
    }
    let self_ty = &*imp.self_ty;
    let owner = quote!(#self_ty).to_string().replace(' ', "");
    let path = match parse::parse_path(&lit) {
        Ok(p) => Some(p),
        Err(e) => {
            cx.push(e);
            None
        }
    };
    let mut handlers = Vec::new();
    for item in &imp.items {
        let ImplItem::Fn(f) = item else { continue };
        let Some(method) = kiln_route::MethodDef::verb(&f.sig.ident.to_string()) else {
            continue;
        };
        let mut sig = f.sig.clone();
        for input in &mut sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                ReplaceSelf(self_ty).visit_type_mut(&mut pt.ty);
            }
        }
        let ident = &f.sig.ident;
        if let Some(h) = parse::handler(
            &sig,
            quote!(Self::#ident),
            path.as_ref(),
            &lit,
            &mut cx,
            Some(&owner),
            &f.attrs,
        ) {
            handlers.push((method, h));
        }
    }
    if handlers.is_empty() && !cx.has_errors() {
        cx.error_spanned_by(
            self_ty,
            format!("resource `{owner}` has no handler methods; name `async fn`s after HTTP verbs: get, post, put, patch, delete, head, options"),
        );
    }
    match (path, cx.into_error()) {
        (Some(path), None) => Ok(Resource {
            self_ty: self_ty.clone(),
            path,
            handlers,
        }),
        (path, error) => Err(Broken {
            error: error.unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid resource")),
            path,
        }),
    }
}
