//! One module per resource, each with its handlers and wire types (DTOs).

use chrono::{DateTime, Utc};
use domain::registry::Meta;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub mod analyses;
pub mod audit;
pub mod calls;
pub mod changes;
pub mod codelists;
pub mod cooperations;
pub mod counselling;
pub mod evaluations;
pub mod exports;
pub mod goals;
pub mod imports;
pub mod indicators;
pub mod measures;
pub mod meetings;
pub mod memberships;
pub mod ops;
pub mod organizations;
pub mod partnerships;
pub mod people;
pub mod plans;
pub mod progress_reports;
pub mod projects;
pub mod recruitment;
pub mod reports;
pub(crate) mod shapes;
pub mod support_projects;
pub mod territorial_units;
pub mod timeline_templates;
pub mod views;
pub mod webhooks;
pub mod working_groups;

/// Where a route module registers its handlers: the documented configuration (which also
/// collects each handler's OpenAPI paths and schemas, once, at start) or a worker's plain
/// actix configuration. Every actix worker builds its own `App`; collecting the document in
/// each of them cost ~18 MB of freed-but-kept memory per worker and start-up time for nothing
/// (issue 11), so workers register through [`Plain`].
pub trait Register: Sized {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + utoipa::Path + 'static;

    fn configure(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        f(self);
        self
    }
}

impl Register for utoipa_actix_web::service_config::ServiceConfig<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + utoipa::Path + 'static,
    {
        utoipa_actix_web::service_config::ServiceConfig::service(self, factory)
    }
}

/// A worker's configuration: the handlers only, no document, grouped by the first segment of
/// their path (`/partnerships/{id}/members` in the group `partnerships`), one guarded scope per
/// group. actix-web's router tries a scope's routes in the order they were registered, each
/// route's pattern matched by a regular expression; with the 230 routes of `/api/v1` in one
/// list, a request to a route registered late was first refused by every pattern before it
/// (a quarter of the instructions of an item read; issue 11). The guard compares one segment,
/// and only the group's own routes are tried after it. A path's first segment is a literal in
/// every route here; a route whose first segment is a parameter would be registered after the
/// groups, reached by the paths no group claims.
pub struct Plain {
    /// The path the groups are mounted at (`/api/v1`).
    prefix: &'static str,
    groups: Vec<(Box<str>, actix_web::Scope)>,
    rest: Vec<Box<dyn FnOnce(actix_web::Scope) -> actix_web::Scope>>,
}

impl Plain {
    /// The scope `prefix` with the handlers `configure` registers.
    pub fn scope(prefix: &'static str, configure: impl FnOnce(&mut Self)) -> actix_web::Scope {
        let mut plain = Self { prefix, groups: Vec::new(), rest: Vec::new() };
        configure(&mut plain);
        let scope = plain.groups.into_iter().fold(actix_web::web::scope(prefix), |scope, (_, group)| scope.service(group));
        plain.rest.into_iter().fold(scope, |scope, add| add(scope))
    }
}

impl Register for Plain {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + utoipa::Path + 'static,
    {
        let path = F::path();
        let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        if first.is_empty() || first.starts_with('{') {
            self.rest.push(Box::new(move |scope| scope.service(factory)));
            return self;
        }
        let at = match self.groups.iter().position(|(name, _)| **name == *first) {
            Some(at) => at,
            None => {
                let guard = FirstSegment { prefix: format!("{}/", self.prefix).into(), segment: first.into() };
                self.groups.push((first.into(), actix_web::web::scope("").guard(guard)));
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[at].1;
        *group = std::mem::replace(group, actix_web::web::scope("")).service(factory);
        self
    }
}

/// Whether the request's path, below `prefix`, starts with the segment `segment`: the path as
/// the router matches it (percent-encoded characters that need no encoding decoded, as
/// actix-router's `Url` does), so that a group claims exactly the requests its routes match.
struct FirstSegment {
    prefix: Box<str>,
    segment: Box<str>,
}

impl FirstSegment {
    fn starts(&self, path: &str) -> bool {
        path.strip_prefix(&*self.prefix).and_then(|rest| rest.strip_prefix(&*self.segment)).is_some_and(|after| after.is_empty() || after.starts_with('/'))
    }
}

impl actix_web::guard::Guard for FirstSegment {
    fn check(&self, ctx: &actix_web::guard::GuardContext<'_>) -> bool {
        let uri = &ctx.head().uri;
        if uri.path().contains('%') {
            return self.starts(actix_web::dev::Url::new(uri.clone()).path());
        }
        self.starts(uri.path())
    }
}

/// What every stored resource carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetaView {
    /// Server-assigned identifier (UUID v7).
    pub id: Uuid,
    /// Incremented by every change; send it back in `If-Match` to avoid lost updates.
    pub version: i32,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// When the resource was archived (`DELETE`); archived resources are listed only with
    /// `include_archived=true`.
    #[serde(serialize_with = "crate::timestamp::serialize_option")]
    pub archived_at: Option<DateTime<Utc>>,
}

impl From<&Meta> for MetaView {
    fn from(m: &Meta) -> Self {
        Self { id: m.id, version: m.version, created_at: m.created_at, updated_at: m.updated_at, archived_at: m.archived_at }
    }
}

/// Trims a text field and turns an empty one into `None`.
pub(crate) fn opt_text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
