//! `/audit`: the audit trail, for admins.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use domain::access::Action;
use persistence::audit::{self, AuditEntry, Filter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, ListResponse, list_query};

/// One audited write.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The token subject that wrote.
    pub actor: String,
    pub actor_role: String,
    /// `create`, `update`, `archive` or an action such as `activate`.
    pub action: String,
    /// e.g. `partnership`, `membership`.
    pub resource_type: String,
    pub resource_id: Uuid,
    /// The resource before the write (`null` for a creation).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The request id of the write (also in the logs).
    pub request_id: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor: e.actor,
            actor_role: e.actor_role,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

list_query! {
    /// Filters of the audit trail.
    AuditQuery {
        /// e.g. `partnership`, `organization`, `membership`.
        resource_type: Option<String>,
        resource_id: Option<Uuid>,
        actor: Option<String>,
        /// Entries at or after this time.
        from: Option<DateTime<Utc>>,
    }
}

/// The audit trail (admins only), oldest first; sortable by `occurred_at`.
#[utoipa::path(operation_id = "list_audit_entries", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of audit entries", body = ListResponse<AuditEntryView>),
        (status = 403, description = "Only admins read the audit trail", body = crate::error::Problem, content_type = "application/problem+json"), ListErrors))]
#[get("/audit")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<AuditQuery>) -> ApiResult {
    who.authorize(Action::Administer).map_err(|_| ApiError::Forbidden("only admins read the audit trail".into()))?;
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter { resource_type: q.resource_type, resource_id: q.resource_id, actor: q.actor, from: q.from };
    let page = audit::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, AuditEntryView::from)))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list);
}
