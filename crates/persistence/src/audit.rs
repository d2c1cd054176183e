//! Reading the audit trail (entries are written by [`crate::WriteTx::audit`]).

use crate::Conn;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::audit_entry as ae;
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError};

/// One audit entry.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: String,
}

#[derive(Debug, Default)]
pub struct Filter {
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
}

pub const SORT: &[SortField<ae::Column>] = &[field("occurred_at", ae::Column::OccurredAt, SortKind::Timestamp)];

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<AuditEntry>, StoreError> {
    let mut select = ae::Entity::find();
    if let Some(t) = &f.resource_type {
        select = select.filter(ae::Column::ResourceType.eq(t.clone()));
    }
    if let Some(id) = f.resource_id {
        select = select.filter(ae::Column::ResourceId.eq(id));
    }
    if let Some(actor) = &f.actor {
        select = select.filter(ae::Column::Actor.eq(actor.clone()));
    }
    if let Some(from) = f.from {
        select = select.filter(ae::Column::OccurredAt.gte(from));
    }
    Ok(page::fetch(conn, select, SORT, "occurred_at", ae::Column::Id, req).await?.map(|m| AuditEntry {
        id: m.id,
        occurred_at: m.occurred_at,
        actor: m.actor,
        actor_role: m.actor_role,
        action: m.action,
        resource_type: m.resource_type,
        resource_id: m.resource_id,
        before: m.before,
        after: m.after,
        request_id: m.request_id,
    }))
}
