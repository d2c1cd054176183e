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
pub mod reports;
pub(crate) mod shapes;
pub mod support_projects;
pub mod territorial_units;
pub mod views;
pub mod webhooks;
pub mod working_groups;

/// What every stored resource carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetaView {
    /// Server-assigned identifier (UUID v7).
    pub id: Uuid,
    /// Incremented by every change; send it back in `If-Match` to avoid lost updates.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the resource was archived (`DELETE`); archived resources are listed only with
    /// `include_archived=true`.
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
