//! Reading a route attribute and its handler into the [`Route`] model.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, LitStr, Pat, PathArguments, Signature, Token, Type};

use super::{Arg, ArgKind, Handler, Route};
use kiln_macro_support::{Ctxt, FnRules, check_signature};
use kiln_route::{METHODS, MethodDef, RoutePath, Segment};

/// A method a route answers: a row of kiln-route's one method table.
pub(crate) type HttpMethod = &'static MethodDef;

/// The `::kiln::__private::Methods` constant for `method`.
pub(crate) fn method_constant(method: HttpMethod) -> TokenStream {
    let ident = Ident::new(method.name, Span::call_site());
    quote!(::kiln::__private::Methods::#ident)
}

/// `"/path"`, for `#[route]` `methods = [GET, POST]`, and `csrf = false`.
struct RouteArgs {
    path: LitStr,
    methods: Option<(Span, Vec<(Ident, Span)>)>,
    csrf: bool,
    extra: Vec<syn::Error>,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<RouteArgs> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected a path, like `#[get(\"/book/<id>\")]`",
            ));
        }
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the route path as a string literal, like \"/book/<id>\"",
            )
        })?;
        let mut methods = None;
        let mut csrf = true;
        let mut extra = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key == "csrf" {
                input.parse::<Token![=]>()?;
                let value: syn::LitBool = input.parse().map_err(|e| {
                    syn::Error::new(e.span(), "expected `csrf = false` (or `csrf = true`)")
                })?;
                csrf = value.value;
                continue;
            }
            if key != "methods" {
                extra.push(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}`; the options are `csrf = false` and, on `#[route]`, `methods = [..]`"
                    ),
                ));
                // Skip the rest of this option.
                while !input.is_empty() && !input.peek(Token![,]) {
                    input.parse::<proc_macro2::TokenTree>()?;
                }
                continue;
            }
            input.parse::<Token![=]>()?;
            let content;
            let bracket = syn::bracketed!(content in input);
            let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            methods = Some((
                bracket.span.join(),
                list.into_iter()
                    .map(|i| {
                        let s = i.span();
                        (i, s)
                    })
                    .collect(),
            ));
        }
        Ok(RouteArgs {
            path,
            methods,
            csrf,
            extra,
        })
    }
}

/// The mistakes in a route attribute or resource, and its path if that parsed (the
/// fallback still gives it a `uri(..)` of the right arity).
pub(crate) struct Broken {
    pub(crate) error: syn::Error,
    pub(crate) path: Option<RoutePath>,
}

impl From<syn::Error> for Broken {
    fn from(error: syn::Error) -> Broken {
        Broken { error, path: None }
    }
}

/// Reads a route attribute's arguments and its handler.
pub(crate) fn route(
    method: Option<HttpMethod>,
    args: TokenStream,
    func: &syn::ItemFn,
) -> Result<Route, Broken> {
    let mut errors = Ctxt::new();
    let args = RouteArgs::parse.parse2(args)?;
    for e in args.extra {
        errors.push(e);
    }
    let methods = match (method, args.methods) {
        (Some(m), None) => vec![m],
        (Some(m), Some((span, _))) => {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`#[{}]` answers {} only; use `#[route(..)]` to list methods",
                    m.name.to_lowercase(),
                    m.name
                ),
            ));
            vec![m]
        }
        (None, None) => {
            errors.push(syn::Error::new(
                args.path.span(),
                "`#[route]` needs a method list: `#[route(\"/path\", methods = [GET, POST])]`",
            ));
            Vec::new()
        }
        (None, Some((span, list))) => method_list(span, list, &mut errors),
    };
    let path = parse_path(&args.path);
    let path = match path {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let ident = &func.sig.ident;
    let handler = handler(
        &func.sig,
        quote!(#ident),
        path.as_ref(),
        &args.path,
        &mut errors,
        None,
        &func.attrs,
    );
    match (path, handler, errors.into_error()) {
        (Some(path), Some(handler), None) => Ok(Route {
            methods,
            csrf: args.csrf,
            path,
            path_lit: args.path,
            handler,
        }),
        (path, _, error) => Err(Broken {
            error: error.unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid route")),
            path,
        }),
    }
}

fn method_list(span: Span, list: Vec<(Ident, Span)>, errors: &mut Ctxt) -> Vec<HttpMethod> {
    if list.is_empty() {
        errors.push(syn::Error::new(
            span,
            "the method list is empty; name at least one method, like `[GET]`",
        ));
    }
    let mut out = Vec::new();
    for (ident, span) in list {
        let name = ident.to_string();
        match MethodDef::named(&name) {
            Some(m) if out.iter().any(|o: &HttpMethod| o.name == m.name) => {
                errors.push(syn::Error::new(span, format!("`{name}` is listed twice")))
            }
            Some(m) => out.push(m),
            None => {
                let hint = METHODS
                    .iter()
                    .find(|m| m.name.eq_ignore_ascii_case(&name))
                    .map(|m| format!("; did you mean `{}`?", m.name))
                    .unwrap_or_default();
                let all: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "unknown HTTP method `{name}`; expected one of {}{hint}",
                        all.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

/// Parses the path literal, with errors at the literal.
pub(crate) fn parse_path(lit: &LitStr) -> syn::Result<RoutePath> {
    RoutePath::parse(&lit.value()).map_err(|e| syn::Error::new(lit.span(), e.0))
}

/// If `ty` is `Option<T>` (by name), `T`.
fn option_inner(ty: &Type) -> Option<Type> {
    let Type::Path(tp) = ty else { return None };
    if tp.qself.is_some() {
        return None;
    }
    let last = tp.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t.clone()),
        _ => None,
    }
}

/// Reads a handler's signature against its route path.
///
/// `owner` names the resource for messages (`Books`), `None` for a plain route.
pub(crate) fn handler(
    sig: &Signature,
    call: TokenStream,
    path: Option<&RoutePath>,
    path_lit: &LitStr,
    errors: &mut Ctxt,
    owner: Option<&str>,
    attrs: &[syn::Attribute],
) -> Option<Handler> {
    let display = match owner {
        Some(o) => format!("{o}::{}", sig.ident),
        None => sig.ident.to_string(),
    };
    let mut ok = check_signature(
        errors,
        sig,
        &FnRules {
            what: "handler",
            name: &display,
            generic_note: "; kiln must know its argument types",
            self_note: ": it is called with the request's arguments only",
        },
    );
    let path_params: Vec<&str> = path.map(|p| p.path_params().collect()).unwrap_or_default();
    let query_params: Vec<&str> = path
        .map(|p| p.query.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut args = Vec::new();
    let mut bound: Vec<String> = Vec::new();
    for input in &sig.inputs {
        // A `self` receiver was reported by `check_signature`.
        let FnArg::Typed(pat_ty) = input else {
            continue;
        };
        let ty = (*pat_ty.ty).clone();
        let name = match &*pat_ty.pat {
            Pat::Ident(pi) if pi.subpat.is_none() => Some(pi.ident.to_string()),
            _ => None,
        };
        let kind = match name.as_deref() {
            Some(n) if path_params.contains(&n) => {
                bound.push(n.to_string());
                let index = path_params.iter().position(|p| *p == n).unwrap_or(0);
                if matches!(ty, Type::ImplTrait(_)) {
                    errors.push(syn::Error::new_spanned(
                        &ty,
                        "a path parameter needs a concrete type that implements `FromStr`",
                    ));
                    ok = false;
                }
                ArgKind::Path { index }
            }
            Some(n) if query_params.contains(&n) => {
                bound.push(n.to_string());
                ArgKind::Query {
                    name: n.to_string(),
                    optional: option_inner(&ty).map(Box::new),
                }
            }
            _ => {
                if matches!(ty, Type::ImplTrait(_)) {
                    errors.push(syn::Error::new_spanned(
                        &ty,
                        "a handler argument needs a concrete type",
                    ));
                    ok = false;
                }
                ArgKind::Extractor
            }
        };
        args.push(Arg { ty, kind });
    }
    if let Some(path) = path {
        let all = path
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(n) => Some(format!("<{n}>")),
                Segment::Tail(n) => Some(format!("<{n}..>")),
                Segment::Static(_) => None,
            })
            .zip(path.path_params())
            .map(|(shown, n)| (shown, n.to_string()))
            .chain(path.query.iter().map(|n| (format!("<{n}>"), n.clone())));
        for (shown, name) in all {
            if !bound.contains(&name) {
                let msg = match owner {
                    Some(_) => format!(
                        "`{display}` has no argument named `{name}` for `{shown}`; every handler of a resource takes its path's parameters"
                    ),
                    None => format!(
                        "no argument named `{name}` for `{shown}`; add `{name}: T` to `{display}`"
                    ),
                };
                let span = if owner.is_some() {
                    sig.ident.span()
                } else {
                    path_lit.span()
                };
                errors.push(syn::Error::new(span, msg));
                ok = false;
            }
        }
    }
    let ret_span = match &sig.output {
        syn::ReturnType::Default => sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    let output = match &sig.output {
        syn::ReturnType::Default => Some(syn::parse_quote!(())),
        syn::ReturnType::Type(_, ty) if has_impl_trait(ty) => None,
        syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    ok.then(|| Handler {
        ident: sig.ident.clone(),
        call,
        display,
        args,
        ret_span,
        doc: docs(attrs).0,
        hidden: docs(attrs).1,
        deprecated: deprecation(attrs),
        output,
    })
}

/// The `#[doc = ..]` values among `attrs` (a literal, or `include_str!(..)` and the
/// like), and whether `#[doc(hidden)]` is one of them.
fn docs(attrs: &[syn::Attribute]) -> (Vec<syn::Expr>, bool) {
    let mut exprs = Vec::new();
    let mut hidden = false;
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        match &attr.meta {
            syn::Meta::NameValue(nv) => exprs.push(nv.value.clone()),
            syn::Meta::List(list) => {
                hidden |= list.tokens.to_string().trim() == "hidden";
            }
            syn::Meta::Path(_) => {}
        }
    }
    (exprs, hidden)
}

/// `Some` if `attrs` hold `#[deprecated]`, with the note of `#[deprecated = ".."]` or
/// `#[deprecated(note = "..")]`. (rustc itself checks the attribute's form.)
fn deprecation(attrs: &[syn::Attribute]) -> Option<Option<syn::LitStr>> {
    let attr = attrs.iter().find(|a| a.path().is_ident("deprecated"))?;
    let note = match &attr.meta {
        syn::Meta::NameValue(syn::MetaNameValue {
            value:
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }),
            ..
        }) => Some(s.clone()),
        syn::Meta::List(_) => {
            let mut note = None;
            let _ = attr.parse_nested_meta(|m| {
                if m.path.is_ident("note") {
                    note = Some(m.value()?.parse::<syn::LitStr>()?);
                } else {
                    // `since = ".."`: its value, left alone.
                    let _ = m.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
            note
        }
        _ => None,
    };
    Some(note)
}

/// Whether `ty` names an `impl Trait` anywhere (a type the describing code cannot name).
fn has_impl_trait(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "impl",
            proc_macro2::TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(quote!(#ty))
}
