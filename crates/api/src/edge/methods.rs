//! HTTP method semantics on the known paths (RFC 9110 §9.3): a method a path does not have is
//! a 405 with `Allow`; HEAD is answered wherever GET is (the handler runs as for GET and
//! actix-http sends the head without the body, keeping `Content-Length`); OPTIONS that is not
//! a CORS preflight answers 204 with `Allow`. The known paths and their methods are those of the
//! committed OpenAPI document (read at build time), which a test keeps equal to the handlers'.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use crate::edge::problems::problem;

mod documented {
    include!(concat!(env!("OUT_DIR"), "/documented_routes.rs"));
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{id}`: any one non-empty segment.
    Param,
    /// Everything that follows, possibly nothing (`/docs/{tail}`).
    Tail,
}

/// One known path and the methods it has.
#[derive(Debug)]
struct Route {
    pattern: std::sync::Arc<str>,
    segments: Vec<Segment>,
    methods: Vec<Method>,
    allow: HeaderValue,
}

impl Route {
    fn new(pattern: &str, mut methods: Vec<Method>, tail: bool) -> Self {
        let mut segments: Vec<Segment> =
            pattern.split('/').skip(1).map(|s| if s.starts_with('{') && s.ends_with('}') { Segment::Param } else { Segment::Literal(s.to_owned()) }).collect();
        if tail {
            segments.pop();
            segments.push(Segment::Tail);
        }
        if methods.contains(&Method::GET) && !methods.contains(&Method::HEAD) {
            methods.push(Method::HEAD);
        }
        if !methods.contains(&Method::OPTIONS) {
            methods.push(Method::OPTIONS);
        }
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];
        methods.sort_by_key(|m| order.iter().position(|o| *o == m.as_str()));
        let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
        let allow = HeaderValue::from_str(&allow).unwrap_or_else(|_| HeaderValue::from_static("GET, HEAD, OPTIONS"));
        Self { pattern: pattern.into(), segments, methods, allow }
    }

    /// How specifically the route matches `segments` (literal segments count), if it does.
    fn matches(&self, segments: &[&str]) -> Option<usize> {
        let mut literals = 0;
        for (i, own) in self.segments.iter().enumerate() {
            match own {
                Segment::Tail => return Some(literals),
                Segment::Param if segments.get(i).is_some_and(|s| !s.is_empty()) => {}
                Segment::Literal(l) if segments.get(i) == Some(&l.as_str()) => literals += 1,
                _ => return None,
            }
        }
        (segments.len() == self.segments.len()).then_some(literals)
    }
}

/// The route pattern of a request to a known path (`/api/v1/partnerships/{id}`), also for the
/// requests answered here (405, OPTIONS) that never reach a handler; metrics label by it.
#[derive(Debug, Clone)]
pub struct KnownRoute(pub std::sync::Arc<str>);

/// The known paths and their methods.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    /// The routes whose first three segments are literal (`/api/v1/partnerships/...`) by their
    /// number of segments and third segment, sorted for a binary search: a path is compared
    /// with the few routes of its own resource and [`RouteTable::loose`], not with all ~200
    /// (comparing with every route was 9 % of an item read's instructions; issue 11).
    by_shape: Vec<(usize, String, Vec<usize>)>,
    /// The other routes (a parameter or a tail within the first three segments, or fewer
    /// segments), compared with every path.
    loose: Vec<usize>,
}

impl RouteTable {
    /// Every path of the committed OpenAPI document with the methods it documents (read from the
    /// document at build time: `build.rs`); an error when the document did not read.
    pub fn documented() -> Result<Self, &'static str> {
        if let Some(error) = documented::DOCUMENT_ERROR {
            return Err(error);
        }
        let table = documented::DOCUMENTED.iter().fold(Self::default(), |table, (path, methods)| {
            table.added(Route::new(path, methods.iter().filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect(), false))
        });
        Ok(table)
    }

    /// A path served outside the document (`/openapi.json`, Swagger UI).
    pub fn with(self, pattern: &str, methods: &[Method]) -> Self {
        self.added(Route::new(pattern, methods.to_vec(), false))
    }

    /// A path prefix whose every sub-path is served (`/docs/{tail}`).
    pub fn with_prefix(self, pattern: &str, methods: &[Method]) -> Self {
        self.added(Route::new(pattern, methods.to_vec(), true))
    }

    fn added(mut self, route: Route) -> Self {
        let index = self.routes.len();
        match &route.segments[..] {
            [Segment::Literal(_), Segment::Literal(_), Segment::Literal(third), ..] => {
                let key = (route.segments.len(), third.as_str());
                match self.by_shape.binary_search_by(|(n, s, _)| (*n, s.as_str()).cmp(&key)) {
                    Ok(at) => self.by_shape[at].2.push(index),
                    Err(at) => self.by_shape.insert(at, (key.0, key.1.to_owned(), vec![index])),
                }
            }
            _ => self.loose.push(index),
        }
        self.routes.push(route);
        self
    }

    /// The most specific route for `path` (literal segments beat parameters, as in routing;
    /// among equally specific ones the last added, as before the index).
    fn find(&self, path: &str) -> Option<&Route> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let shaped = match segments.get(2) {
            Some(third) => match self.by_shape.binary_search_by(|(n, s, _)| (*n, s.as_str()).cmp(&(segments.len(), *third))) {
                Ok(at) => &self.by_shape[at].2[..],
                Err(_) => &[],
            },
            None => &[],
        };
        let mut candidates: Vec<usize> = shaped.iter().chain(&self.loose).copied().collect();
        candidates.sort_unstable();
        candidates
            .into_iter()
            .filter_map(|i| self.routes[i].matches(&segments).map(|score| (score, &self.routes[i])))
            .max_by_key(|(score, _)| *score)
            .map(|(_, r)| r)
    }
}

pub async fn method_semantics(
    table: web::Data<RouteTable>,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(route) = table.find(req.path()) else {
        // Unknown paths go on to the default service: 404.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    req.extensions_mut().insert(KnownRoute(route.pattern.clone()));
    let method = req.method().clone();
    let answer = |res: HttpResponse| {
        let mut res = res;
        res.headers_mut().insert(header::ALLOW, route.allow.clone());
        res
    };
    // CORS preflights never get here: actix-cors (outside this middleware) answers them.
    if method == Method::OPTIONS {
        return Ok(req.into_response(answer(HttpResponse::NoContent().finish())));
    }
    if method == Method::HEAD && route.methods.contains(&Method::GET) {
        // Routed as GET; the HTTP/1 codec remembers the request was HEAD and sends no body.
        req.head_mut().method = Method::GET;
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if route.methods.contains(&method) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let detail = format!("{} is not allowed on {}; allowed: {}", method, route.pattern, route.allow.to_str().unwrap_or_default());
    Ok(req.into_response(answer(problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", detail))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let t = RouteTable::default();
        t.with("/api/v1/partnerships", &[Method::GET, Method::POST])
            .with("/api/v1/partnerships/{id}", &[Method::GET, Method::PATCH, Method::DELETE])
            .with("/api/v1/partnerships/{id}/activate", &[Method::POST])
            .with("/api/v1/codelists/{name}", &[Method::GET])
            .with("/api/v1/codelists/regions", &[Method::POST])
            .with_prefix("/docs/{tail}", &[Method::GET])
    }

    #[test]
    fn paths_match_their_most_specific_route() {
        let t = table();
        let pattern = |p: &str| t.find(p).map(|r| &*r.pattern);
        assert_eq!(pattern("/api/v1/partnerships"), Some("/api/v1/partnerships"));
        assert_eq!(pattern("/api/v1/partnerships/x1"), Some("/api/v1/partnerships/{id}"));
        assert_eq!(pattern("/api/v1/partnerships/x1/activate"), Some("/api/v1/partnerships/{id}/activate"));
        assert_eq!(pattern("/api/v1/codelists/regions"), Some("/api/v1/codelists/regions"));
        assert_eq!(pattern("/api/v1/codelists/other"), Some("/api/v1/codelists/{name}"));
        assert_eq!(pattern("/docs/"), Some("/docs/{tail}"));
        assert_eq!(pattern("/docs/a/b.js"), Some("/docs/{tail}"));
        assert_eq!(pattern("/api/v1/partnerships/"), None, "an empty id is no id");
        assert_eq!(pattern("/api/v1/partnerships/x/y"), None);
        assert_eq!(pattern("/api/v1/nothing"), None);
    }

    #[test]
    fn the_table_has_every_path_and_method_of_the_served_document() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi::COMMITTED).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let table = RouteTable::documented().unwrap();
        assert_eq!(table.routes.len(), paths.len());
        for (path, item) in paths {
            let route = table.routes.iter().find(|r| &*r.pattern == path).unwrap_or_else(|| panic!("{path} is not in the table"));
            let mut documented: Vec<Method> =
                item.as_object().unwrap().keys().filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()).collect();
            documented.retain(|m| [Method::GET, Method::PUT, Method::POST, Method::DELETE, Method::PATCH, Method::TRACE].contains(m));
            assert!(!documented.is_empty(), "{path} documents no method");
            for method in documented {
                assert!(route.methods.contains(&method), "{path}: {method} is documented but not in the table");
            }
            let own = [Method::HEAD, Method::OPTIONS];
            assert_eq!(
                route.methods.iter().filter(|m| !own.contains(m)).count(),
                item.as_object().unwrap().keys().filter(|k| ["get", "put", "post", "delete", "patch", "trace"].contains(&k.as_str())).count(),
                "{path}"
            );
        }
    }

    #[test]
    fn the_index_finds_what_comparing_with_every_route_finds() {
        let table = RouteTable::documented().unwrap().with("/openapi.json", &[Method::GET]).with_prefix("/docs/{tail}", &[Method::GET]);
        let every = |path: &str| {
            let segments: Vec<&str> = path.split('/').skip(1).collect();
            table.routes.iter().filter_map(|r| r.matches(&segments).map(|score| (score, r))).max_by_key(|(score, _)| *score).map(|(_, r)| &*r.pattern)
        };
        // Every route's own path (a parameter's name standing for its value), one segment more
        // and less, and paths of no route.
        let mut paths: Vec<String> = table.routes.iter().map(|r| r.pattern.replace(['{', '}'], "")).collect();
        paths.extend(table.routes.iter().map(|r| format!("{}/x", r.pattern.replace(['{', '}'], ""))));
        paths.extend(table.routes.iter().filter_map(|r| r.pattern.rsplit_once('/').map(|(head, _)| head.replace(['{', '}'], ""))));
        paths.extend(["/", "", "/api", "/api/v1", "/api/v1/", "/docs/", "/docs/a/b.js", "/api/v2/partnerships", "/x/y/z"].map(String::from));
        let mut found = 0;
        for path in &paths {
            let indexed = table.find(path).map(|r| &*r.pattern);
            assert_eq!(indexed, every(path), "{path}");
            found += usize::from(indexed.is_some());
        }
        assert!(found > table.routes.len(), "the paths reach the routes ({found})");
    }

    #[test]
    fn allow_lists_head_with_get_and_options() {
        let t = table();
        let allow = |p: &str| t.find(p).map(|r| r.allow.to_str().unwrap().to_owned());
        assert_eq!(allow("/api/v1/partnerships").as_deref(), Some("GET, HEAD, POST, OPTIONS"));
        assert_eq!(allow("/api/v1/partnerships/1").as_deref(), Some("GET, HEAD, PATCH, DELETE, OPTIONS"));
        assert_eq!(allow("/api/v1/partnerships/1/activate").as_deref(), Some("POST, OPTIONS"));
    }
}
