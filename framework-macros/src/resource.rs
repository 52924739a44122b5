//! `#[resource("/books/<id>")] impl Books { async fn get(..); async fn delete(..) }`:
//! methods named after HTTP verbs become the handlers of one path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{ImplItem, ItemImpl, LitStr, Type};

use crate::route::expand;
use crate::route::parse::{self, Errors};

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

/// Expands `#[resource(..)]` on an `impl` block.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let imp: ItemImpl = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            let err =
                syn::Error::new_spanned(&item, "`#[resource]` goes on an `impl` block of a type");
            let err = err.to_compile_error();
            return quote! { #err #item };
        }
    };
    match expand_impl(args, &imp) {
        Ok(code) => quote! { #imp #code },
        Err(err) => {
            let err = err.to_compile_error();
            quote! { #err #imp }
        }
    }
}

fn expand_impl(args: TokenStream, imp: &ItemImpl) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let lit: LitStr = syn::parse2(args.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &args,
            "expected the resource path as a string literal, like `#[resource(\"/books/<id>\")]`",
        )
    })?;
    if let Some((_, path, _)) = &imp.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "`#[resource]` goes on an inherent `impl` block, not a trait impl",
        ));
    }
    if !imp.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &imp.generics,
            "a resource can't be generic",
        ));
    }
    let self_ty = &*imp.self_ty;
    let owner = quote!(#self_ty).to_string().replace(' ', "");
    let path = match parse::parse_path(&lit) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(e);
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
            &mut errors,
            Some(&owner),
        ) {
            handlers.push((method, h));
        }
    }
    if handlers.is_empty() && errors_is_empty(&errors) {
        errors.push(syn::Error::new_spanned(
            self_ty,
            format!("resource `{owner}` has no handler methods; name `async fn`s after HTTP verbs: get, post, put, patch, delete, head, options"),
        ));
    }
    let path = match path {
        Some(p) => p,
        None => return Err(errors.finish(()).expect_err("a path error was recorded")),
    };
    errors.finish(())?;

    let mut infos = Vec::new();
    let mut pushes = Vec::new();
    let mut fns = Vec::new();
    for (i, (method, h)) in handlers.iter().enumerate() {
        let lower = method.name.to_lowercase();
        let call = format_ident!("__kiln_call_{}", lower);
        let checks = format_ident!("__kiln_checks_{}", lower);
        infos.push(expand::route_info(
            &h.display,
            &[*method],
            &path,
            h.ident.span(),
        ));
        pushes.push(expand::push(&call, &checks, i, h.ident.span()));
        fns.push(expand::call_fn(&call, h, &path));
        fns.push(expand::checks_fn(&checks, h));
    }
    let uri = expand::uri_fn(&syn::parse_quote!(pub), &path, &handlers[0].1);
    Ok(quote! {
        #[allow(dead_code, unused_mut, unused_variables, clippy::all)]
        impl #self_ty {
            #[doc(hidden)]
            pub const __KILN_ROUTES: &'static [::kiln::__private::RouteInfo] = &[#(#infos),*];

            #uri

            #[doc(hidden)]
            pub fn __kiln_routes(__routes: &mut ::kiln::__private::Routes) {
                #(#pushes)*
            }

            #(#fns)*
        }
    })
}

fn errors_is_empty(errors: &Errors) -> bool {
    errors.is_empty()
}
