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
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static;

    fn configure(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        f(self);
        self
    }
}

impl Register for utoipa_actix_web::service_config::ServiceConfig<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static,
    {
        utoipa_actix_web::service_config::ServiceConfig::service(self, factory)
    }
}

/// A worker's configuration: the handlers only, no document.
pub struct Plain<'a>(pub &'a mut actix_web::web::ServiceConfig);

impl Register for Plain<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static,
    {
        self.0.service(factory);
        self
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
