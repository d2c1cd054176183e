//! Memberships: `/partnerships/{id}/memberships` to add and list a partnership's members,
//! `/memberships` for reporting across partnerships (e.g. by organization), and
//! `/memberships/{id}`. Not public: representatives are personal data.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::registry::{MembershipData, Representative};
use persistence::memberships::{self, Filter, Membership};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{
    AppState, Begun, IdempotencyKey, IfMatch, ListResponse, Unit, guard_partnership_read, guard_partnership_write, list_query, merge_patch, ok_versioned,
};
use crate::routes::partnerships::{ensure_may_write, permits, require};
use domain::partnership::Activity;

const RESOURCE: &str = "membership";

/// A person representing the member organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    pub person_id: Uuid,
    /// Their function in the partnership, e.g. `starosta`, `terénní pracovník`.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    #[serde(default)]
    pub function: Option<String>,
}

/// What a client sets on a membership.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct MembershipInput {
    pub organization_id: Uuid,
    pub joined_on: NaiveDate,
    /// Set when the organization leaves; not before `joined_on`. History is kept.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
    #[validate(nested)]
    #[serde(default)]
    pub representatives: Vec<RepresentativeInput>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl MembershipInput {
    fn into_data(self, partnership_id: Uuid) -> ApiResult<MembershipData> {
        self.validate()?;
        Ok(MembershipData {
            partnership_id,
            organization_id: self.organization_id,
            joined_on: self.joined_on,
            left_on: self.left_on,
            representatives: self.representatives.into_iter().map(|r| Representative { person_id: r.person_id, function: opt_text(r.function) }).collect(),
            note: opt_text(self.note),
        }
        .validate()?)
    }
    fn from_data(d: &MembershipData) -> Self {
        Self {
            organization_id: d.organization_id,
            joined_on: d.joined_on,
            left_on: d.left_on,
            representatives: d.representatives.iter().map(|r| RepresentativeInput { person_id: r.person_id, function: r.function.clone() }).collect(),
            note: d.note.clone(),
        }
    }
}

/// An organization's membership in a partnership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: MembershipInput,
}

impl From<&Membership> for MembershipView {
    fn from(r: &Membership) -> Self {
        Self { meta: (&r.meta).into(), partnership_id: r.data.partnership_id, content: MembershipInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of a partnership's memberships.
    PartnershipMembershipQuery {
        organization_id: Option<Uuid>,
        /// Only memberships in force on this day.
        active_on: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of memberships across partnerships.
    MembershipQuery {
        partnership_id: Option<Uuid>,
        organization_id: Option<Uuid>,
        /// Only memberships in force on this day.
        active_on: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List a partnership's memberships. Sortable by `joined_on`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_partnership_memberships", tag = "memberships", params(PartnershipMembershipQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of memberships", body = ListResponse<MembershipView>), ListErrors))]
#[get("/partnerships/{id}/memberships")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PartnershipMembershipQuery>) -> ApiResult {
    let page = query.page()?;
    guard_partnership_read(&who, *id)?;
    require(state.store.conn(), *id).await?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: Some(*id),
        organization_id: q.organization_id,
        active_on: q.active_on,
        include_archived: q.include_archived.unwrap_or(false),
        scope: None,
    };
    let page = memberships::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| MembershipView::from(&r))))
}

/// List memberships across partnerships (a partner sees only its own partnerships').
#[utoipa::path(operation_id = "list_memberships", tag = "memberships", params(MembershipQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of memberships", body = ListResponse<MembershipView>), ListErrors))]
#[get("/memberships")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<MembershipQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: q.partnership_id,
        organization_id: q.organization_id,
        active_on: q.active_on,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = memberships::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| MembershipView::from(&r))))
}

/// Add a member organisation to a partnership.
#[utoipa::path(operation_id = "create_partnership_membership", tag = "memberships", request_body = MembershipInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = MembershipView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/partnerships/{id}/memberships")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<MembershipInput>) -> ApiResult {
    // Permissions first: a retry is answered from the idempotency store only to a caller who
    // may make the request.
    require(state.store.conn(), *id).await?;
    ensure_may_write(&who, *id)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), *id, Activity::Organisation).await?;
    let created = memberships::create(unit.tx(), input.into_data(*id)?).await?;
    let view = MembershipView::from(&created);
    unit.created(RESOURCE, created.meta.id, created.meta.version, format!("/api/v1/memberships/{}", created.meta.id), &view).await
}

/// Get a membership.
#[utoipa::path(operation_id = "get_membership", tag = "memberships", security(("bearer" = [])),
    responses((status = 200, description = "The membership", body = MembershipView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/memberships/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = memberships::get(state.store.conn(), *id).await?;
    guard_partnership_read(&who, found.data.partnership_id)?;
    Ok(ok_versioned(found.meta.version, &MembershipView::from(&found)))
}

/// Update a membership (JSON merge patch), e.g. set `left_on` when a member leaves.
#[utoipa::path(operation_id = "update_membership", tag = "memberships", request_body(content = serde_json::Value, description = "A JSON merge patch of MembershipInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = MembershipView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/memberships/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = memberships::get(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.partnership_id, Activity::Organisation).await?;
    let data = merge_patch(&MembershipInput::from_data(&current.data), patch.into_inner())?.into_data(current.data.partnership_id)?;
    if_match.check(current.meta.version)?;
    let updated = memberships::update(unit.tx(), &current, data).await?;
    unit.changed("update", RESOURCE, current.meta.id, updated.meta.version, &MembershipView::from(&current), &MembershipView::from(&updated)).await
}

/// Archive a membership entered by mistake (a member that leaves gets `left_on` instead).
#[utoipa::path(operation_id = "archive_membership", tag = "memberships", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/memberships/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = memberships::get(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.partnership_id, Activity::Organisation).await?;
    if_match.check(current.meta.version)?;
    let archived = memberships::archive(unit.tx(), &current).await?;
    unit.archived(RESOURCE, current.meta.id, &MembershipView::from(&current), &MembershipView::from(&archived)).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_of_partnership).service(list).service(create).service(get).service(update).service(archive);
}
