//! `#[checked]`: the rules of an input field are declared once, with `#[check(...)]`, and become
//! both the `#[validate(...)]` rules the server enforces (validator) and the constraints the
//! OpenAPI document states (`#[schema(...)]` or, for query parameters, `#[param(...)]`, utoipa).
//!
//! ```ignore
//! #[checked]
//! #[derive(Deserialize, Validate, ToSchema)]
//! pub struct NewStaff {
//!     #[check(not_blank, max_length = 200)]
//!     pub name: String,
//!     #[check(date)]
//!     pub hired_on: NaiveDate,
//! }
//! ```
//!
//! The words of `#[check(...)]` are JSON Schema's, so a reader sees what the document says:
//!
//! | check | enforced (validator) | stated (OpenAPI) |
//! |---|---|---|
//! | `not_blank` | `pcmh_core::checks::not_blank` | `minLength` 1 and a `pattern` needing a non-space character |
//! | `min_length = N`, `max_length = N` | `length` | `minLength`/`maxLength` on text, `minItems`/`maxItems` on a list |
//! | `minimum`, `maximum`, `exclusive_minimum` | `range` | the same words |
//! | `date` | `pcmh_core::checks::plausible_date` | a `pattern` for 1900-01-01 to 2100-12-31 |
//! | `email` | `email` | `format: email` |
//! | `time_zone` | `pcmh_core::checks::time_zone` | one of the IANA names (`TimeZoneName`) |
//! | `custom = "path", pattern = "regex"` | the function | the pattern (a function alone is refused: say what it checks) |
//! | `min_length`/`max_length` beside `custom` | the function (one rule, one error) | `minLength`/`maxLength` |
//! | `nested` | `nested` | (the nested schema states its own) |
//!
//! Every text field of a checked struct also states that it may not hold the NUL character,
//! which the server refuses in every request.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::{parse_macro_input, Attribute, Fields, ItemStruct, Lit, LitInt, LitStr, Meta, Token, Type};

/// Text without the NUL character.
const NO_NUL: &str = "^[^\\u0000]*$";

/// Characters Rust's `char::is_whitespace` (Unicode `White_Space`) knows, as a regex class body.
const WHITE_SPACE: &str = "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// A day between 1900-01-01 and 2100-12-31, and only a real one (February 29 of leap years
/// only): every text it matches is a date, so a generator drawing from it wastes nothing.
const PLAUSIBLE_DATE: &str = "^(?:(?:19[0-9]{2}|20[0-9]{2}|2100)-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:0[048]|[2468][048]|[13579][26]))-02-29)$";

/// Rewrites `#[check(...)]` on a struct's fields into `#[validate(...)]` and `#[schema(...)]`
/// (or `#[param(...)]` when the struct derives `IntoParams`; neither when it derives only
/// `Validate`, a form of the web pages).
#[proc_macro_attribute]
pub fn checked(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(
            Tokens::from(args)
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span()),
            "#[checked] takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    let mut item = parse_macro_input!(item as ItemStruct);
    match rewrite(&mut item) {
        Ok(()) => item.into_token_stream().into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// What one field declares.
#[derive(Default)]
struct Check {
    not_blank: bool,
    min_length: Option<LitInt>,
    max_length: Option<LitInt>,
    length_message: Option<LitStr>,
    minimum: Option<Lit>,
    maximum: Option<Lit>,
    exclusive_minimum: Option<Lit>,
    date: bool,
    email: bool,
    time_zone: bool,
    custom: Option<LitStr>,
    pattern: Option<LitStr>,
    nested: bool,
}

/// The shape of a field's type, with any `Option` taken off.
#[derive(PartialEq)]
enum Shape {
    Text,
    List,
    Other,
}

fn rewrite(item: &mut ItemStruct) -> syn::Result<()> {
    let params = derives(&item.attrs, "IntoParams");
    let documented = params || derives(&item.attrs, "ToSchema");
    if !derives(&item.attrs, "Validate") {
        return Err(syn::Error::new_spanned(
            &item.ident,
            "#[checked] is for structs deriving Validate (put it above the derive)",
        ));
    }
    let Fields::Named(fields) = &mut item.fields else {
        return Err(syn::Error::new_spanned(&item.ident, "#[checked] needs named fields"));
    };
    for field in &mut fields.named {
        let mut check = Check::default();
        let mut kept = Vec::with_capacity(field.attrs.len());
        for attr in field.attrs.drain(..) {
            if attr.path().is_ident("check") {
                parse_check(&attr, &mut check)?;
            } else if attr.path().is_ident("validate") {
                return Err(syn::Error::new_spanned(
                    attr,
                    "declare a field's rules with #[check(...)], so the OpenAPI document states them too",
                ));
            } else {
                kept.push(attr);
            }
        }
        field.attrs = kept;
        let shape = shape(&field.ty);
        let (validate, schema) = expand(&check, &shape, &field.ty)?;
        if !validate.is_empty() {
            field.attrs.push(syn::parse_quote!(#[validate(#(#validate),*)]));
        }
        // A form of the web pages only (no ToSchema, no IntoParams) has no document to state it in.
        if documented && !schema.is_empty() {
            merge_schema(&mut field.attrs, if params { "param" } else { "schema" }, &schema)?;
        }
    }
    Ok(())
}

/// Whether the struct's `#[derive(...)]` lists `name`.
fn derives(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
            .is_ok_and(|paths| paths.iter().any(|p| p.segments.last().is_some_and(|s| s.ident == name)))
    })
}

fn parse_check(attr: &Attribute, check: &mut Check) -> syn::Result<()> {
    attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match key.as_str() {
            "not_blank" => check.not_blank = true,
            "date" => check.date = true,
            "email" => check.email = true,
            "time_zone" => check.time_zone = true,
            "nested" => check.nested = true,
            "min_length" => check.min_length = Some(meta.value()?.parse()?),
            "max_length" => check.max_length = Some(meta.value()?.parse()?),
            "length_message" => check.length_message = Some(meta.value()?.parse()?),
            "minimum" => check.minimum = Some(meta.value()?.parse()?),
            "maximum" => check.maximum = Some(meta.value()?.parse()?),
            "exclusive_minimum" => check.exclusive_minimum = Some(meta.value()?.parse()?),
            "custom" => check.custom = Some(meta.value()?.parse()?),
            "pattern" => check.pattern = Some(meta.value()?.parse()?),
            _ => return Err(meta.error("unknown check: not_blank, min_length, max_length, length_message, minimum, maximum, exclusive_minimum, date, email, time_zone, custom, pattern, nested")),
        }
        Ok(())
    })?;
    if check.custom.is_some() != check.pattern.is_some() {
        return Err(syn::Error::new_spanned(
            attr,
            "custom = \"function\" and pattern = \"regex\" go together: the pattern states in the document what the function checks",
        ));
    }
    Ok(())
}

fn shape(ty: &Type) -> Shape {
    let inner = unwrap("Option", ty).unwrap_or(ty);
    if unwrap("Vec", inner).is_some() {
        Shape::List
    } else if last_ident(inner).is_some_and(|i| i == "String") {
        Shape::Text
    } else {
        Shape::Other
    }
}

fn last_ident(ty: &Type) -> Option<&syn::Ident> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

/// `T` of `wrapper<T>`.
fn unwrap<'a>(wrapper: &str, ty: &'a Type) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// The validator rules and the schema constraints of one field.
fn expand(check: &Check, shape: &Shape, ty: &Type) -> syn::Result<(Vec<Tokens>, Vec<Tokens>)> {
    let mut validate = Vec::new();
    let mut schema = Vec::new();
    let lengths = check.min_length.is_some() || check.max_length.is_some();
    if lengths && *shape == Shape::Other {
        return Err(syn::Error::new_spanned(
            ty,
            "min_length/max_length are for text or a list",
        ));
    }
    if (check.not_blank || check.email || check.time_zone) && *shape != Shape::Text {
        return Err(syn::Error::new_spanned(
            ty,
            "not_blank, email and time_zone are for text",
        ));
    }
    if check.time_zone {
        // The names are a list: the document states it whole, as the type of the field.
        if check.pattern.is_some() || lengths || check.not_blank {
            return Err(syn::Error::new_spanned(ty, "time_zone says everything about the field"));
        }
        validate.push(quote!(custom(function = "pcmh_core::checks::time_zone")));
        let optional = unwrap("Option", ty).is_some();
        schema.push(if optional {
            quote!(value_type = Option<pcmh_core::checks::TimeZoneName>)
        } else {
            quote!(value_type = pcmh_core::checks::TimeZoneName)
        });
        return Ok((validate, schema));
    }
    // Beside a custom function, the lengths are the function's to check (a test holds it to
    // them): the document states them, and a short text breaks one rule, not two.
    if lengths && check.custom.is_none() {
        let min = check.min_length.iter().map(|n| quote!(min = #n));
        let max = check.max_length.iter().map(|n| quote!(max = #n));
        let message = check
            .length_message
            .iter()
            .map(|m| quote!(code = "length", message = #m));
        validate.push(quote!(length(#(#min,)* #(#max,)* #(#message)*)));
    }
    if check.minimum.is_some() || check.maximum.is_some() || check.exclusive_minimum.is_some() {
        let min = check.minimum.iter().map(|n| quote!(min = #n));
        let max = check.maximum.iter().map(|n| quote!(max = #n));
        let exclusive = check.exclusive_minimum.iter().map(|n| quote!(exclusive_min = #n));
        validate.push(quote!(range(#(#min,)* #(#max,)* #(#exclusive),*)));
        schema.extend(check.minimum.iter().map(|n| quote!(minimum = #n)));
        schema.extend(check.maximum.iter().map(|n| quote!(maximum = #n)));
        schema.extend(check.exclusive_minimum.iter().map(|n| quote!(exclusive_minimum = #n)));
        // validator's range lets NaN through an inclusive bound (every comparison with it is
        // false). JSON cannot carry NaN; a CSV file or a command-line argument can.
        let inner = unwrap("Option", ty).unwrap_or(ty);
        if last_ident(inner).is_some_and(|i| i == "f64" || i == "f32") {
            validate.push(quote!(custom(function = "pcmh_core::checks::finite")));
        }
    }
    if check.not_blank {
        validate.push(quote!(custom(function = "pcmh_core::checks::not_blank")));
    }
    if check.date {
        validate.push(quote!(custom(function = "pcmh_core::checks::plausible_date")));
        schema.push(quote!(pattern = #PLAUSIBLE_DATE));
    }
    if check.email {
        validate.push(quote!(email(
            code = "email",
            message = "must be an email address such as ana@example.org"
        )));
        schema.push(quote!(format = Email));
    }
    if let Some(function) = &check.custom {
        validate.push(quote!(custom(function = #function)));
    }
    if check.nested {
        validate.push(quote!(nested));
    }
    match shape {
        Shape::Text => {
            let min = match (&check.min_length, check.not_blank) {
                (Some(n), true) if n.base10_parse::<u64>()? == 0 => Some(quote!(1)),
                (Some(n), _) => Some(quote!(#n)),
                (None, true) => Some(quote!(1)),
                (None, false) => None,
            };
            schema.extend(min.map(|n| quote!(min_length = #n)));
            schema.extend(check.max_length.iter().map(|n| quote!(max_length = #n)));
            let pattern = match &check.pattern {
                Some(pattern) => pattern.value(),
                None if check.not_blank => format!("^[^\\u0000]*[^\\u0000{WHITE_SPACE}][^\\u0000]*$"),
                None => NO_NUL.to_owned(),
            };
            schema.push(quote!(pattern = #pattern));
        }
        Shape::List => {
            schema.extend(check.min_length.iter().map(|n| quote!(min_items = #n)));
            schema.extend(check.max_length.iter().map(|n| quote!(max_items = #n)));
        }
        Shape::Other => {
            if let Some(pattern) = &check.pattern {
                schema.push(quote!(pattern = #pattern));
            }
        }
    }
    Ok((validate, schema))
}

/// Adds `items` to the field's `#[schema(...)]` (or `#[param(...)]`), or adds one.
fn merge_schema(attrs: &mut Vec<Attribute>, name: &str, items: &[Tokens]) -> syn::Result<()> {
    for attr in attrs.iter_mut() {
        if attr.path().is_ident(name) {
            let Meta::List(list) = &mut attr.meta else {
                return Err(syn::Error::new_spanned(attr, "expected #[schema(...)]"));
            };
            // The first word of each item (`value_type = Vec<T>` is no `Meta`: read the words).
            let mut keys = Vec::new();
            let mut at_start = true;
            for token in list.tokens.clone() {
                match &token {
                    proc_macro2::TokenTree::Ident(word) if at_start => keys.push(word.clone()),
                    proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                        at_start = true;
                        continue;
                    }
                    _ => {}
                }
                at_start = false;
            }
            for key_word in &keys {
                let key = key_word.to_string();
                if [
                    "min_length",
                    "max_length",
                    "minimum",
                    "maximum",
                    "exclusive_minimum",
                    "min_items",
                    "max_items",
                    "pattern",
                    "format",
                ]
                .contains(&key.as_str())
                {
                    return Err(syn::Error::new_spanned(
                        key_word,
                        "this constraint comes from #[check(...)]: declare it there, once",
                    ));
                }
            }
            let tokens = &list.tokens;
            list.tokens = quote!(#tokens, #(#items),*);
            return Ok(());
        }
    }
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    attrs.push(syn::parse_quote!(#[#ident(#(#items),*)]));
    Ok(())
}
