//! `/changes`: the change feed. One ordered feed of every committed write (creations, changes,
//! lifecycle steps, archivals and deletions), for integrations that keep a copy in sync: read
//! from the start once, then ask for what came after the last `next_cursor`.
//!
//! Unlike the lists, `next_cursor` is always set, also on the last page: it is where to resume
//! (API-CONVENTIONS' `null` on the last page would leave a poller without a position). A
//! position is assigned when a write commits, in commit order, so the feed has no gaps and a
//! change committed later never appears before a cursor already handed out, however many
//! server instances write to the database.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use persistence::changes::Change;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors};
use crate::http::AppState;
use crate::http::JsonBody as _;

/// Where to read from, and what.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// The `next_cursor` of the previous page; absent: from the first change.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub after: Option<String>,
    /// Only changes of one kind of resource (`membership`, `strategic_plan`, `measure`, …).
    #[param(pattern = "^[a-z_]{1,40}$")]
    pub resource: Option<String>,
    /// Changes per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

impl ChangeQuery {
    /// Where to read from (0: the start) and how many: a malformed cursor, resource or limit is a 400.
    fn position(&self) -> ApiResult<(i64, u64)> {
        let after = match self.after.as_deref() {
            None => 0,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|_| raw.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ApiError::bad_request("after", "format", "`after` is the `next_cursor` of a previous page"))?,
        };
        if self.resource.as_deref().is_some_and(|r| r.is_empty() || r.len() > 40 || !r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
            return Err(ApiError::bad_request("resource", "format", "`resource` is a resource type such as `membership`"));
        }
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_request("limit", "out_of_range", "limit must be between 1 and 1000"));
        }
        Ok((after, limit))
    }
}

/// One committed write.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// The change's place in the feed: increasing, without gaps, in commit order.
    pub position: i64,
    /// The kind of resource (`membership`, `strategic_plan`, …).
    pub resource: String,
    pub id: Uuid,
    /// `create`, `update`, `archive`, `delete`, or a lifecycle step such as `activate`.
    pub action: String,
    /// The resource's version after the write (`null` for a deletion or where it has none).
    pub version: Option<i32>,
    /// The partnership whose record changed, if any.
    pub partnership_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// The token subject that wrote: for admins only (`null` for others).
    pub actor: Option<String>,
}

impl From<Change> for ChangeView {
    fn from(c: Change) -> Self {
        Self {
            position: c.position,
            resource: c.resource_type,
            id: c.resource_id,
            action: c.action,
            version: c.version,
            partnership_id: c.partnership_id,
            at: c.occurred_at,
            actor: Some(c.actor).filter(|a| !a.is_empty()),
        }
    }
}

/// A page of the feed (named apart from the lists' `…Page`: its cursor is a position, always set).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeView>,
    /// Pass as `after` to read on: the last position of this page, or the `after` asked with
    /// when nothing came after it. Always set.
    #[schema(pattern = "^[0-9]{1,18}$")]
    pub next_cursor: String,
}

/// The changes after a position, in commit order. Admins, consultants, reporters and
/// importers see every change; a partner those of its own partnerships' records.
#[utoipa::path(operation_id = "list_changes", tag = "changes", params(ChangeQuery), security(("bearer" = [])),
    responses((status = 200, description = "The changes after `after`", body = ChangeFeed), ListErrors))]
#[get("/changes")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<ChangeQuery>) -> ApiResult {
    let q = query.into_inner();
    let (after, limit) = q.position()?;
    let items: Vec<ChangeView> = service::changes::list(state.store.conn(), &who, after, q.resource, limit).await?.into_iter().map(ChangeView::from).collect();
    let next_cursor = items.last().map_or(after, |c| c.position).to_string();
    Ok(HttpResponse::Ok().json_body(ChangeFeed { items, next_cursor }))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list);
}
