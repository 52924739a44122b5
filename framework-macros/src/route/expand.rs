//! Writing the code for a checked [`Route`]: the handler's companion struct with its
//! route constants, reverse routing, the axum handler wrapper and start-up checks.
//! Nothing here can fail: every mistake was reported by `parse`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type, Visibility};

use kiln_route::{RoutePath, Segment};

use super::parse::method_constant;
use super::{ArgKind, Handler, HttpMethod, Route};

/// The whole expansion for a route attribute, after the user's function.
pub(crate) fn route(route: &Route, vis: &Visibility) -> TokenStream {
    let h = &route.handler;
    let name = &h.ident;
    let info = route_info(
        &h.display,
        &route.methods,
        &route.path,
        route.csrf,
        name.span(),
    );
    let uri = uri_fn(vis, &route.path, h);
    let call = call_fn(&format_ident!("__kiln_call"), h, &route.path);
    let checks = checks_fn(&format_ident!("__kiln_checks"), h);
    let describe = describe_fn(&format_ident!("__kiln_describe"), h, &route.path);
    let push = push(
        &format_ident!("__kiln_call"),
        &format_ident!("__kiln_checks"),
        &format_ident!("__kiln_describe"),
        0,
        name.span(),
    );
    let methods: Vec<&str> = route.methods.iter().map(|m| m.name).collect();
    let doc = format!(
        "Route of the handler `{name}`: `{} {}`. `{name}::uri(..)` builds its path.",
        methods.join(","),
        route.path_lit.value()
    );
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #[doc = #doc]
        #vis struct #name {}

        // `deprecated`: a `#[deprecated]` handler is still routed.
        #[allow(dead_code, unused_mut, unused_variables, deprecated, clippy::all)]
        impl #name {
            #[doc(hidden)]
            pub const __KILN_ROUTES: &'static [::kiln::__private::RouteInfo] = &[#info];

            #uri

            #[doc(hidden)]
            pub fn __kiln_routes(__routes: &mut ::kiln::__private::Routes) {
                #push
            }

            #call
            #checks
            #describe
        }
    }
}

/// After a mistake in a route attribute: the companion struct with no routes, so that
/// `routes![name]` (and `name::uri(..)`, if the path parsed) still compile and the
/// mistake is reported once.
pub(crate) fn fallback(name: &Ident, vis: &Visibility, path: Option<&RoutePath>) -> TokenStream {
    let items = no_routes(vis, path);
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #[doc(hidden)]
        #vis struct #name {}

        #[allow(dead_code, unused_variables, clippy::all)]
        impl #name {
            #items
        }
    }
}

/// The items `routes![..]` names, for a companion type that has no routes (after a
/// mistake): an empty `__KILN_ROUTES` (which collides with nothing), a no-op
/// `__kiln_routes`, and, if the path parsed, a `uri(..)` taking anything for each
/// parameter.
pub(crate) fn no_routes(vis: &Visibility, path: Option<&RoutePath>) -> TokenStream {
    let uri = path.map(|path| {
        let params: Vec<Ident> = path.path_params().map(|n| format_ident!("{}", n)).collect();
        let generics: Vec<Ident> = (0..params.len())
            .map(|i| format_ident!("__K{}", i))
            .collect();
        quote! {
            #[doc(hidden)]
            #vis fn uri<#(#generics),*>(#(#params: #generics),*) -> ::kiln::__private::String {
                ::core::unreachable!("a route with mistakes does not compile")
            }
        }
    });
    quote! {
        #[doc(hidden)]
        pub const __KILN_ROUTES: &'static [::kiln::__private::RouteInfo] = &[];

        #[doc(hidden)]
        pub fn __kiln_routes(_: &mut ::kiln::__private::Routes) {}

        #uri
    }
}

/// `__routes.__push(..)` for the `index`-th route of a companion type.
pub(crate) fn push(
    call: &Ident,
    checks: &Ident,
    describe: &Ident,
    index: usize,
    span: Span,
) -> TokenStream {
    // Spanned at the handler's name: a non-`Send` future is reported there.
    let endpoint = quote_spanned!(span=> ::kiln::__private::Endpoint(Self::#call));
    quote! {
        ::kiln::__private::push_route(__routes, &Self::__KILN_ROUTES[#index], #endpoint, Self::#checks, Self::#describe);
    }
}

/// A `RouteInfo` constant.
pub(crate) fn route_info(
    display: &str,
    methods: &[HttpMethod],
    path: &RoutePath,
    csrf: bool,
    span: Span,
) -> TokenStream {
    let mut methods_expr = quote!(::kiln::__private::Methods::NONE);
    for m in methods {
        let m = method_constant(m);
        methods_expr = quote!(#methods_expr.union(#m));
    }
    let parts = path.segments.iter().map(|s| match s {
        Segment::Static(text) => quote!(::kiln::__private::Part::Static(#text)),
        Segment::Param(_) => quote!(::kiln::__private::Part::Param),
        Segment::Tail(_) => quote!(::kiln::__private::Part::Tail),
    });
    let trailing_slash = path.trailing_slash;
    let path_string = path.path_string();
    let query = &path.query;
    let line = quote_spanned!(span=> ::core::line!());
    quote! {
        ::kiln::__private::RouteInfo {
            name: #display,
            methods: #methods_expr,
            path: #path_string,
            shape: ::kiln::__private::Shape {
                parts: &[#(#parts),*],
                trailing_slash: #trailing_slash,
            },
            query: &[#(#query),*],
            csrf: #csrf,
            module: ::core::module_path!(),
            file: ::core::file!(),
            line: #line,
        }
    }
}

/// The type of the argument bound to the `index`-th path parameter.
fn path_arg_type(h: &Handler, index: usize) -> Option<&Type> {
    h.args
        .iter()
        .find(|a| matches!(a.kind, ArgKind::Path { index: i } if i == index))
        .map(|a| &a.ty)
}

/// `uri(..)`: the path with parameters filled in and percent-encoded.
pub(crate) fn uri_fn(vis: &Visibility, path: &RoutePath, h: &Handler) -> TokenStream {
    let mut generics = Vec::new();
    let mut bounds = Vec::new();
    let mut params = Vec::new();
    let mut body = Vec::new();
    let mut pending = String::new();
    let mut index = 0;
    for seg in &path.segments {
        pending.push('/');
        match seg {
            Segment::Static(s) => pending.push_str(s),
            Segment::Param(n) | Segment::Tail(n) => {
                let tail = matches!(seg, Segment::Tail(_));
                body.push(quote!(__uri.push_str(#pending);));
                pending.clear();
                let g = format_ident!("__K{}", index);
                let arg = format_ident!("{}", n);
                let ty = path_arg_type(h, index)
                    .cloned()
                    .unwrap_or_else(|| syn::parse_quote!(::kiln::__private::String));
                body.push(
                    quote!(::kiln::__private::UriArg::<#ty>::push_to(#arg, &mut __uri, #tail);),
                );
                bounds.push(quote!(#g: ::kiln::__private::UriArg<#ty>));
                params.push(quote!(#arg: #g));
                generics.push(g);
                index += 1;
            }
        }
    }
    if path.segments.is_empty() || path.trailing_slash {
        pending.push('/');
    }
    if !pending.is_empty() {
        body.push(quote!(__uri.push_str(#pending);));
    }
    let doc = format!(
        "The path `{}` with its parameters filled in, each percent-encoded.",
        path.path_string()
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        #vis fn uri<#(#generics),*>(#(#params),*) -> ::kiln::__private::String
        where #(#bounds),*
        {
            let mut __uri = ::kiln::__private::String::new();
            #(#body)*
            __uri
        }
    }
}

/// The axum handler: reads parameters and extractors, calls the user's function.
pub(crate) fn call_fn(fn_name: &Ident, h: &Handler, path: &RoutePath) -> TokenStream {
    let state_ty = quote!(::kiln::__private::AppState);
    let n_path = path.path_params().count();

    // Path parameters, each parsed by a local type whose body names the user's type,
    // so a type without `FromStr` is one error, at that type.
    let mut path_code = quote!();
    if n_path > 0 {
        let mut parsers = Vec::new();
        let mut tys = Vec::new();
        let mut locals = Vec::new();
        for i in 0..n_path {
            let ty = path_arg_type(h, i)
                .cloned()
                .unwrap_or_else(|| syn::parse_quote!(::kiln::__private::String));
            let parser = format_ident!("__KilnParam{}", i);
            let parse =
                quote_spanned!(ty.span()=> <#ty as ::kiln::__private::FromStr>::from_str(__s).ok());
            parsers.push(quote! {
                #[allow(non_camel_case_types)]
                struct #parser;
                impl ::kiln::__private::ParseParam for #parser {
                    type Output = #ty;
                    fn parse(__s: &str) -> ::kiln::__private::Option<#ty> { #parse }
                }
            });
            tys.push(quote!(::kiln::__private::PathParam<#parser>));
            locals.push(format_ident!("__p{}", i));
        }
        path_code = quote! {
            #(#parsers)*
            let (#(#locals,)*) = match ::kiln::__private::path_params::<(#(#tys,)*)>(&mut __parts).await {
                ::kiln::__private::Ok((#(#locals,)*)) => (#(#locals.0,)*),
                ::kiln::__private::Err(__e) => return ::kiln::__private::IntoResponse::into_response(__e),
            };
        };
    }

    // Query parameters, read in one pass over the query string.
    let mut query_code = quote!();
    let query_args: Vec<(usize, &String, &Type, &Option<Box<Type>>)> = h
        .args
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match &a.kind {
            ArgKind::Query { name, optional } => Some((i, name, &a.ty, optional)),
            _ => None,
        })
        .collect();
    if !query_args.is_empty() {
        let names: Vec<&String> = query_args.iter().map(|q| q.1).collect();
        let slots: Vec<Ident> = (0..query_args.len())
            .map(|k| format_ident!("__v{}", k))
            .collect();
        let mut reads = Vec::new();
        for (k, (i, name, ty, optional)) in query_args.iter().enumerate() {
            let local = format_ident!("__a{}", i);
            let slot = &slots[k];
            let read = match optional {
                Some(inner) => {
                    quote_spanned!(inner.span()=> ::kiln::__private::query_optional::<#inner>(#name, #slot))
                }
                None => {
                    quote_spanned!(ty.span()=> ::kiln::__private::query_required::<#ty>(#name, #slot))
                }
            };
            reads.push(quote! {
                let #local: #ty = match #read {
                    ::kiln::__private::Ok(__v) => __v,
                    ::kiln::__private::Err(__e) => return ::kiln::__private::IntoResponse::into_response(__e),
                };
            });
        }
        query_code = quote! {
            let [#(#slots),*] = match ::kiln::__private::query_values(__parts.uri.query(), [#(#names),*]) {
                ::kiln::__private::Ok(__v) => __v,
                ::kiln::__private::Err(__e) => return ::kiln::__private::IntoResponse::into_response(__e),
            };
            #(#reads)*
        };
    }

    // Extractors: head-only ones first, in order; the body one last.
    let mut prepare = Vec::new();
    let mut finish = Vec::new();
    for (i, a) in h.args.iter().enumerate() {
        if !matches!(a.kind, ArgKind::Extractor) {
            continue;
        }
        let ty = &a.ty;
        let stage = format_ident!("__s{}", i);
        let local = format_ident!("__a{}", i);
        // All of it spanned at the user's type, so a non-extractor is one error there.
        let prepare_fn = quote_spanned!(ty.span()=> <#ty as ::kiln::__private::Extract<#state_ty, _>>::prepare(&mut __parts, &__state).await);
        let stage_ty =
            quote_spanned!(ty.span()=> <#ty as ::kiln::__private::Extract<#state_ty, _>>::Stage);
        prepare.push(quote! {
            let #stage: #stage_ty = match #prepare_fn {
                ::kiln::__private::Ok(__v) => __v,
                ::kiln::__private::Err(__r) => return __r,
            };
        });
        finish.push(quote! {
            let #local = match ::kiln::__private::Finish::<#state_ty>::finish(#stage, &mut __rest, &__state).await {
                ::kiln::__private::Ok(__v) => __v,
                ::kiln::__private::Err(__r) => return __r,
            };
        });
    }
    let rest = if finish.is_empty() {
        quote!()
    } else {
        quote! {
            let mut __rest = ::kiln::__private::Some(::kiln::__private::Request::from_parts(__parts, __body));
        }
    };

    let args = h.args.iter().enumerate().map(|(i, a)| match a.kind {
        ArgKind::Path { index } => {
            let p = format_ident!("__p{}", index);
            quote!(#p)
        }
        _ => {
            let l = format_ident!("__a{}", i);
            quote!(#l)
        }
    });
    let call = &h.call;
    let respond = quote_spanned!(h.ret_span=> ::kiln::__private::into_response(__result));
    quote! {
        #[doc(hidden)]
        async fn #fn_name(__req: ::kiln::__private::Request, __state: #state_ty) -> ::kiln::__private::Response {
            let (mut __parts, __body) = __req.into_parts();
            #path_code
            #query_code
            #(#prepare)*
            #rest
            #(#finish)*
            let __result = #call(#(#args),*).await;
            #respond
        }
    }
}

/// The start-up checks of a handler's extractor arguments.
pub(crate) fn checks_fn(fn_name: &Ident, h: &Handler) -> TokenStream {
    let args = h
        .args
        .iter()
        .filter(|a| matches!(a.kind, ArgKind::Extractor))
        .map(|a| {
            let ty = &a.ty;
            quote_spanned! {ty.span()=>
                __c.arg::<#ty>(
                    (&::kiln::__private::Probe::<#ty>::new()).__kiln_body(),
                    (&::kiln::__private::Probe::<#ty>::new()).__kiln_sentinel(),
                );
            }
        });
    quote! {
        #[doc(hidden)]
        fn #fn_name(__c: &mut ::kiln::__private::Checks) {
            #[allow(unused_imports)]
            use ::kiln::__private::{ProbeBody as _, ProbeNone as _, ProbeSentinel as _};
            #(#args)*
        }
    }
}

/// What the OpenAPI document says of the handler: its doc comment, each path and query
/// parameter with its type, what each extractor and the return type add. Types that
/// say nothing (no `JsonSchema`, no `ApiInput`) are found by autoref and left out.
pub(crate) fn describe_fn(fn_name: &Ident, h: &Handler, path: &RoutePath) -> TokenStream {
    // Each probe is spanned at the user's type; `__op` stays the macro's.
    let mut steps = Vec::new();
    for (i, name) in path.path_params().enumerate() {
        let ty = path_arg_type(h, i)
            .cloned()
            .unwrap_or_else(|| syn::parse_quote!(::kiln::__private::String));
        let probe =
            quote_spanned!(ty.span()=> (&::kiln::__private::Find::<#ty>::new()).__kiln_schema());
        steps.push(quote!(__op.__path(#name, #probe);));
    }
    for a in &h.args {
        match &a.kind {
            ArgKind::Query { name, optional } => {
                let required = optional.is_none();
                let ty = optional.as_deref().unwrap_or(&a.ty);
                let probe = quote_spanned!(ty.span()=> (&::kiln::__private::Find::<#ty>::new()).__kiln_schema());
                steps.push(quote!(__op.__query(#name, #required, #probe);));
            }
            ArgKind::Extractor => {
                let ty = &a.ty;
                let probe = quote_spanned!(ty.span()=> (&&&&::kiln::__private::Find::<#ty>::new()).__kiln_input());
                steps.push(quote!(__op.__describe(#probe);));
            }
            ArgKind::Path { .. } => {}
        }
    }
    if let Some(ty) = &h.output {
        let probe =
            quote_spanned!(ty.span()=> (&::kiln::__private::Find::<#ty>::new()).__kiln_output());
        steps.push(quote!(__op.__describe(#probe);));
    }
    let doc = &h.doc;
    let doc = (!doc.is_empty()).then(|| quote!(__op.__doc(::core::concat!(#(#doc, "\n"),*));));
    let hidden = h.hidden.then(|| quote!(__op.__hidden();));
    let deprecated = h.deprecated.as_ref().map(|note| match note {
        Some(note) => quote!(__op.__deprecated(::core::option::Option::Some(#note));),
        None => quote!(__op.__deprecated(::core::option::Option::None);),
    });
    quote! {
        #[doc(hidden)]
        fn #fn_name(__op: &mut ::kiln::__private::Operation<'_>) {
            #[allow(unused_imports)]
            use ::kiln::__private::{
                FindAnyBody as _, FindBody as _, FindInput as _, FindNoInput as _,
                FindNoOutput as _, FindNoSchema as _, FindOutput as _, FindSchema as _,
            };
            __op.__package(::core::env!("CARGO_PKG_NAME"), ::core::env!("CARGO_PKG_VERSION"));
            __op.__module(::core::module_path!());
            #doc
            #hidden
            #deprecated
            #(#steps)*
        }
    }
}
