//! `#[derive(Validate)]`: the rules of the `validator` crate, written as its own derive
//! writes them (`#[validate(length(min = 1, max = 200))]`), checked by that crate's
//! functions through `::kiln::validator`, so a user depends on kiln alone. Each failed
//! rule adds an error under the field's name as the client sends it (serde's `rename`
//! and `rename_all` are followed), with a message a person can read, or the rule's
//! own `message = ".."`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Ident, LitStr, Token, Type};

/// The rules `#[validate(..)]` knows, for the error that names an unknown one.
const RULES: &str = "length, range, email, url, contains, does_not_contain, must_match, regex, custom, required, non_control_character, nested";

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// One `name = value` or bare `name` inside a rule's parentheses.
struct Arg {
    name: Ident,
    value: Option<Expr>,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Arg> {
        let name = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Arg { name, value })
    }
}

/// One rule: `email`, `length(min = 1)`.
struct Rule {
    name: Ident,
    args: Vec<Arg>,
}

impl Parse for Rule {
    fn parse(input: ParseStream<'_>) -> syn::Result<Rule> {
        let name = input.call(Ident::parse_any)?;
        let args = if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            Punctuated::<Arg, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        Ok(Rule { name, args })
    }
}

/// A rule's arguments, each taken once and checked against what the rule allows.
struct Args {
    rule: Ident,
    args: Vec<Arg>,
}

impl Args {
    fn new(rule: &Rule, allowed: &[&str]) -> syn::Result<Args> {
        let mut seen: Vec<String> = Vec::new();
        for arg in &rule.args {
            let name = arg.name.to_string();
            if !allowed.contains(&name.as_str()) {
                return Err(syn::Error::new(
                    arg.name.span(),
                    format!(
                        "`{}` takes no `{name}`; it takes {}",
                        rule.name,
                        list(allowed)
                    ),
                ));
            }
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    arg.name.span(),
                    format!("`{name}` is given twice"),
                ));
            }
            if arg.value.is_none() {
                return Err(syn::Error::new(
                    arg.name.span(),
                    format!("`{name}` needs a value: `{name} = ..`"),
                ));
            }
            seen.push(name);
        }
        Ok(Args {
            rule: rule.name.clone(),
            args: rule.args.iter().map(clone_arg).collect(),
        })
    }

    fn get(&self, name: &str) -> Option<&Expr> {
        self.args
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.value.as_ref())
    }

    /// A string argument (`message = ".."`).
    fn string(&self, name: &str) -> syn::Result<Option<LitStr>> {
        match self.get(name) {
            None => Ok(None),
            Some(Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            })) => Ok(Some(s.clone())),
            Some(other) => Err(syn::Error::new(
                other.span(),
                format!("`{name}` must be a string literal"),
            )),
        }
    }

    /// A path argument, written as a path or as a string of one (`function = "f"`).
    fn path(&self, name: &str) -> syn::Result<Option<syn::Path>> {
        match self.get(name) {
            None => Ok(None),
            Some(Expr::Path(p)) => Ok(Some(p.path.clone())),
            Some(Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            })) => s.parse().map(Some),
            Some(other) => Err(syn::Error::new(
                other.span(),
                format!("`{name}` must name a function"),
            )),
        }
    }

    fn require(&self, name: &str) -> syn::Result<&Expr> {
        self.get(name).ok_or_else(|| {
            syn::Error::new(
                self.rule.span(),
                format!("`{}` needs `{name} = ..`", self.rule),
            )
        })
    }

    /// The error's code (`code = ".."`, else the rule's name) and its message, if given.
    fn code_and_message(&self) -> syn::Result<(TokenStream, TokenStream)> {
        let code = match self.string("code")? {
            Some(code) => quote!(#code),
            None => {
                let name = self.rule.to_string();
                quote!(#name)
            }
        };
        let message = match self.string("message")? {
            Some(m) => quote!(::core::option::Option::Some(#m)),
            None => quote!(::core::option::Option::None),
        };
        Ok((code, message))
    }
}

fn clone_arg(a: &Arg) -> Arg {
    Arg {
        name: a.name.clone(),
        value: a.value.clone(),
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let ident = &input.ident;
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => &named.named,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "`#[derive(Validate)]` needs a struct with named fields",
                ));
            }
        },
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span(),
                "`#[derive(Validate)]` needs a struct with named fields, not an enum",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span(),
                "`#[derive(Validate)]` needs a struct with named fields, not a union",
            ));
        }
    };
    if let Some(attr) = input.attrs.iter().find(|a| a.path().is_ident("validate")) {
        return Err(syn::Error::new(
            attr.span(),
            "`#[validate(..)]` goes on fields; check the whole struct in the handler, or with `Checked::add_error`",
        ));
    }
    let rename_all = serde_rename_all(&input.attrs)?;
    let field_names: Vec<String> = fields
        .iter()
        .map(|f| {
            f.ident
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();

    let mut checks = Vec::new();
    let mut nested = Vec::new();
    for field in fields {
        let Some(name) = &field.ident else { continue };
        let key = match serde_rename(&field.attrs)? {
            Some(renamed) => renamed,
            None => rename_all.apply(&name.to_string()),
        };
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("validate")) {
            let rules = attr.parse_args_with(Punctuated::<Rule, Token![,]>::parse_terminated)?;
            for rule in rules {
                let access = quote_spanned!(rule.name.span()=> self.#name);
                match rule.name.to_string().as_str() {
                    "nested" => {
                        Args::new(&rule, &[])?;
                        nested.push(quote_spanned! {rule.name.span()=>
                            result = ::kiln::validator::ValidationErrors::merge(
                                result,
                                #key,
                                ::kiln::validator::Validate::validate(&#access),
                            );
                        });
                    }
                    _ => checks.push(check(
                        &rule,
                        &access,
                        &key,
                        &field.ty,
                        &field_names,
                        fields,
                        &rename_all,
                    )?),
                }
            }
        }
    }

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::kiln::validator::Validate for #ident #ty_generics #where_clause {
            fn validate(
                &self,
            ) -> ::core::result::Result<(), ::kiln::validator::ValidationErrors> {
                #[allow(unused_imports)]
                use ::kiln::__private::validate::{
                    ValidateContains, ValidateDoesNotContain, ValidateEmail, ValidateLength,
                    ValidateNonControlCharacter, ValidateRange, ValidateRegex,
                    ValidateRequired, ValidateUrl,
                };
                #[allow(unused_mut)]
                let mut errors = ::kiln::validator::ValidationErrors::new();
                #(#checks)*
                #[allow(unused_mut)]
                let mut result = if errors.is_empty() {
                    ::core::result::Result::Ok(())
                } else {
                    ::core::result::Result::Err(errors)
                };
                #(#nested)*
                result
            }
        }
    })
}

/// Whether a type is text (its length counts characters) rather than a collection.
fn is_text(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    match ty {
        Type::Reference(r) => is_text(&r.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| matches!(s.ident.to_string().as_str(), "String" | "str" | "Cow")),
        _ => false,
    }
}

/// `T` of `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The check of one rule on one field.
fn check(
    rule: &Rule,
    access: &TokenStream,
    key: &str,
    ty: &Type,
    field_names: &[String],
    fields: &Punctuated<syn::Field, Token![,]>,
    rename_all: &RenameAll,
) -> syn::Result<TokenStream> {
    let span = rule.name.span();
    let v = quote!(::kiln::__private::validate);
    let some = |e: Option<&Expr>, cast: TokenStream| match e {
        Some(e) => quote!(::core::option::Option::Some((#e) as #cast)),
        None => quote!(::core::option::Option::None),
    };
    let shown = |e: Option<&Expr>| match e {
        Some(e) => quote!(::core::option::Option::Some(::std::string::ToString::to_string(&(#e)))),
        None => quote!(::core::option::Option::None),
    };
    let (test, default_message, params, args) = match rule.name.to_string().as_str() {
        "length" => {
            let args = Args::new(rule, &["min", "max", "equal", "message", "code"])?;
            let (min, max, equal) = (args.get("min"), args.get("max"), args.get("equal"));
            if min.is_none() && max.is_none() && equal.is_none() {
                return Err(syn::Error::new(
                    span,
                    "`length` needs `min`, `max` or `equal`",
                ));
            }
            let (smin, smax, seq) = (
                some(min, quote!(u64)),
                some(max, quote!(u64)),
                some(equal, quote!(u64)),
            );
            let text = is_text(ty);
            let (dmin, dmax, deq) = (shown(min), shown(max), shown(equal));
            (
                quote!(ValidateLength::<u64>::validate_length(&#access, #smin, #smax, #seq)),
                quote!(#v::length_message(#dmin, #dmax, #deq, #text, ValidateLength::<u64>::length(&#access))),
                quote!(#v::params(&[("min", #dmin), ("max", #dmax), ("equal", #deq)])),
                args,
            )
        }
        "range" => {
            let args = Args::new(
                rule,
                &[
                    "min",
                    "max",
                    "exclusive_min",
                    "exclusive_max",
                    "message",
                    "code",
                ],
            )?;
            let names = ["min", "max", "exclusive_min", "exclusive_max"];
            if names.iter().all(|n| args.get(n).is_none()) {
                return Err(syn::Error::new(
                    span,
                    "`range` needs `min`, `max`, `exclusive_min` or `exclusive_max`",
                ));
            }
            let opt = |n: &str| match args.get(n) {
                Some(e) => quote!(::core::option::Option::Some(#e)),
                None => quote!(::core::option::Option::None),
            };
            let (a, b, c, d) = (
                opt("min"),
                opt("max"),
                opt("exclusive_min"),
                opt("exclusive_max"),
            );
            let (sa, sb, sc, sd) = (
                shown(args.get("min")),
                shown(args.get("max")),
                shown(args.get("exclusive_min")),
                shown(args.get("exclusive_max")),
            );
            (
                quote!(ValidateRange::validate_range(&#access, #a, #b, #c, #d)),
                quote!(#v::range_message(#sa, #sb, #sc, #sd)),
                quote!(#v::params(&[("min", #sa), ("max", #sb), ("exclusive_min", #sc), ("exclusive_max", #sd)])),
                args,
            )
        }
        "email" => {
            let args = Args::new(rule, &["message", "code"])?;
            (
                quote!(ValidateEmail::validate_email(&#access)),
                quote!(::std::borrow::Cow::Borrowed("must be an email address")),
                quote!(#v::params(&[])),
                args,
            )
        }
        "url" => {
            let args = Args::new(rule, &["message", "code"])?;
            (
                quote!(ValidateUrl::validate_url(&#access)),
                quote!(::std::borrow::Cow::Borrowed("must be a URL")),
                quote!(#v::params(&[])),
                args,
            )
        }
        "non_control_character" => {
            let args = Args::new(rule, &["message", "code"])?;
            (
                quote!(ValidateNonControlCharacter::validate_non_control_character(&#access)),
                quote!(::std::borrow::Cow::Borrowed(
                    "must not contain control characters"
                )),
                quote!(#v::params(&[])),
                args,
            )
        }
        "required" => {
            let args = Args::new(rule, &["message", "code"])?;
            if option_inner(ty).is_none() {
                return Err(syn::Error::new(
                    span,
                    "`required` is for `Option` fields: a field of another type is always there",
                ));
            }
            (
                quote!(ValidateRequired::validate_required(&#access)),
                quote!(::std::borrow::Cow::Borrowed("is required")),
                quote!(#v::params(&[])),
                args,
            )
        }
        name @ ("contains" | "does_not_contain") => {
            let args = Args::new(rule, &["pattern", "message", "code"])?;
            let pattern = args.require("pattern")?.clone();
            let shown = quote!(::core::option::Option::Some(::std::string::ToString::to_string(&(#pattern))));
            if name == "contains" {
                (
                    quote!(ValidateContains::validate_contains(&#access, #pattern)),
                    quote!(#v::contains_message(#pattern, true)),
                    quote!(#v::params(&[("pattern", #shown)])),
                    args,
                )
            } else {
                (
                    quote!(ValidateDoesNotContain::validate_does_not_contain(&#access, #pattern)),
                    quote!(#v::contains_message(#pattern, false)),
                    quote!(#v::params(&[("pattern", #shown)])),
                    args,
                )
            }
        }
        "must_match" => {
            let args = Args::new(rule, &["other", "message", "code"])?;
            let other = match args.require("other")? {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Ident::new(&s.value(), s.span()),
                Expr::Path(p) if p.path.get_ident().is_some() => {
                    p.path.get_ident().cloned().expect("an ident")
                }
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "`other` must name a field of this struct",
                    ));
                }
            };
            if !field_names.iter().any(|f| other == f) {
                return Err(syn::Error::new(
                    other.span(),
                    format!("`{other}` is not a field of this struct"),
                ));
            }
            let other_key = fields
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| *i == other))
                .map(|f| serde_rename(&f.attrs))
                .transpose()?
                .flatten()
                .unwrap_or_else(|| rename_all.apply(&other.to_string()));
            (
                quote!(::kiln::validator::validate_must_match(&#access, &self.#other)),
                quote!(::std::borrow::Cow::Owned(
                    ::std::format!("must match {}", #other_key)
                )),
                quote!(#v::params(&[("other", ::core::option::Option::Some(::std::string::ToString::to_string(#other_key)))])),
                args,
            )
        }
        "regex" => {
            let args = Args::new(rule, &["path", "message", "code"])?;
            let path = args.require("path")?.clone();
            (
                quote!(ValidateRegex::validate_regex(&#access, &#path)),
                quote!(::std::borrow::Cow::Borrowed(
                    "is not in the expected format"
                )),
                quote!(#v::params(&[])),
                args,
            )
        }
        "custom" => {
            let args = Args::new(rule, &["function", "message", "code"])?;
            let Some(function) = args.path("function")? else {
                return Err(syn::Error::new(
                    span,
                    "`custom` needs `function = path::to::fn`, a `fn(&T) -> Result<(), ValidationError>`",
                ));
            };
            let message = match args.string("message")? {
                Some(m) => quote!(::core::option::Option::Some(#m)),
                None => quote!(::core::option::Option::None),
            };
            let code = args.string("code")?.map(|c| quote!(#c));
            let set_code = code.map(|c| quote!(error.code = ::std::borrow::Cow::Borrowed(#c);));
            let check = |value: TokenStream| {
                quote_spanned! {span=>
                    if let ::core::result::Result::Err(error) = #function(#value) {
                        #[allow(unused_mut)]
                        let mut error = error;
                        #set_code
                        errors.add(#key, #v::finish_custom(error, #message));
                    }
                }
            };
            // An `Option` field is checked only when there is a value.
            let call = if option_inner(ty).is_some() {
                let inner = check(quote!(value));
                quote_spanned! {span=>
                    if let ::core::option::Option::Some(value) = &#access {
                        #inner
                    }
                }
            } else {
                check(quote!(&#access))
            };
            return Ok(call);
        }
        other => {
            return Err(syn::Error::new(
                span,
                format!("unknown rule `{other}`; the rules are {RULES}"),
            ));
        }
    };
    let (code, message) = args.code_and_message()?;
    Ok(quote_spanned! {span=>
        if !(#test) {
            errors.add(#key, #v::error(#code, #message, || #default_message, #params));
        }
    })
}

/// serde's `rename_all` on the struct, for the names errors are kept under.
enum RenameAll {
    None,
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameAll {
    fn apply(&self, field: &str) -> String {
        let words: Vec<&str> = field.split('_').filter(|w| !w.is_empty()).collect();
        let cap = |w: &str| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        match self {
            RenameAll::None | RenameAll::Snake => field.to_string(),
            RenameAll::Lower => field.to_lowercase(),
            RenameAll::Upper => field.to_uppercase(),
            RenameAll::Pascal => words.iter().map(|w| cap(w)).collect(),
            RenameAll::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { w.to_string() } else { cap(w) })
                .collect(),
            RenameAll::ScreamingSnake => field.to_uppercase(),
            RenameAll::Kebab => field.replace('_', "-"),
            RenameAll::ScreamingKebab => field.replace('_', "-").to_uppercase(),
        }
    }
}

/// The `rename`/`rename_all` value of `#[serde(..)]` attributes (serialize and
/// deserialize alike, or the deserialize one).
fn serde_value(attrs: &[syn::Attribute], key: &str) -> syn::Result<Option<LitStr>> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) {
                if meta.input.peek(Token![=]) {
                    found = Some(meta.value()?.parse::<LitStr>()?);
                } else {
                    meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident("deserialize") {
                            found = Some(inner.value()?.parse::<LitStr>()?);
                        } else {
                            let _ = inner.value()?.parse::<LitStr>()?;
                        }
                        Ok(())
                    })?;
                }
            } else if meta.input.peek(Token![=]) {
                let _ = meta.value()?.parse::<Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.input.parse::<proc_macro2::Group>()?;
            }
            Ok(())
        })?;
    }
    Ok(found)
}

fn serde_rename(attrs: &[syn::Attribute]) -> syn::Result<Option<String>> {
    Ok(serde_value(attrs, "rename")?.map(|s| s.value()))
}

fn serde_rename_all(attrs: &[syn::Attribute]) -> syn::Result<RenameAll> {
    let Some(value) = serde_value(attrs, "rename_all")? else {
        return Ok(RenameAll::None);
    };
    Ok(match value.value().as_str() {
        "lowercase" => RenameAll::Lower,
        "UPPERCASE" => RenameAll::Upper,
        "PascalCase" => RenameAll::Pascal,
        "camelCase" => RenameAll::Camel,
        "snake_case" => RenameAll::Snake,
        "SCREAMING_SNAKE_CASE" => RenameAll::ScreamingSnake,
        "kebab-case" => RenameAll::Kebab,
        "SCREAMING-KEBAB-CASE" => RenameAll::ScreamingKebab,
        _ => {
            return Err(syn::Error::new(value.span(), "unknown `rename_all` rule"));
        }
    })
}
