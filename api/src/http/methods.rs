//! `405 Method Not Allowed`: a path the API has, asked with a method it does not have, is
//! answered with the methods it does have (`Allow`), not with 404.
//!
//! The paths and their methods are read from the OpenAPI document, which is generated from the
//! same registrations as the routes, so the two cannot disagree.

use std::sync::OnceLock;

use actix_web::http::Method;

/// One documented path: its segments (`None` for a `{parameter}`) and its methods.
struct Documented {
    segments: Vec<Option<String>>,
    methods: Vec<Method>,
}

fn documented() -> &'static [Documented] {
    static PATHS: OnceLock<Vec<Documented>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let spec = super::openapi();
        spec.paths
            .paths
            .iter()
            .map(|(path, item)| Documented {
                segments: path
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect(),
                methods: [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(has, method)| has.then_some(method))
                .collect(),
            })
            .collect()
    })
}

/// The methods `path` has, when the API documents it; `None` for a path it does not have.
/// Where several documented paths fit, the most literal one wins: `/trainings/import` is the
/// import, not a training whose id is `import`.
pub fn allowed(path: &str) -> Option<Vec<Method>> {
    let asked: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, Vec<Method>)> = None;
    for item in documented() {
        let fits = item.segments.len() == asked.len()
            && item.segments.iter().zip(&asked).all(|(segment, asked)| match segment {
                Some(literal) => literal == asked,
                None => !asked.is_empty(),
            });
        if !fits {
            continue;
        }
        let literals = item.segments.iter().filter(|s| s.is_some()).count();
        match &mut best {
            Some((most, methods)) if *most == literals => {
                for method in &item.methods {
                    if !methods.contains(method) {
                        methods.push(method.clone());
                    }
                }
            }
            Some((most, _)) if *most > literals => {}
            _ => best = Some((literals, item.methods.clone())),
        }
    }
    best.map(|(_, methods)| methods)
}

/// The value of an `Allow` header for `methods`.
pub fn allow_header(methods: &[Method]) -> String {
    methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_path_has_its_methods() {
        let methods = allowed("/api/v1/practices/7/staff").expect("documented");
        assert!(
            methods.contains(&Method::GET) && methods.contains(&Method::POST),
            "{methods:?}"
        );
        assert!(!methods.contains(&Method::DELETE));
        assert_eq!(allowed("/healthz"), Some(vec![Method::GET]));
        assert_eq!(
            allowed("/api/v1/practices/7/trainings/import"),
            Some(vec![Method::POST])
        );
        assert_eq!(allowed("/api/v1/practices/7/trainings/12"), Some(vec![Method::GET]));
    }

    #[test]
    fn an_undocumented_path_has_none() {
        assert_eq!(allowed("/api/v1/nothing-here"), None);
        assert_eq!(allowed("/api/v1/practices//staff"), None);
    }
}
