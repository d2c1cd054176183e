//! Project counselling records (`/counselling-records`): consultants and admins write;
//! partners read their own partnerships' records.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::access::{Principal, Role};
use domain::esif::CounsellingData;
use persistence::esif::{self, Counselling, CounsellingFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, Begun, IdempotencyKey, IfMatch, ListResponse, Unit, guard_partnership_read, list_query, merge_patch, ok_versioned};
use crate::routes::partnerships::{permits, require};
use domain::partnership::Activity;

fn ensure_counsellor(who: &Principal, partnership_id: Uuid) -> ApiResult<()> {
    guard_partnership_read(who, partnership_id)?;
    let allowed = match who.role {
        Role::Admin => true,
        Role::Consultant => who.may_write_partnership(partnership_id),
        Role::Partner | Role::Reporter | Role::Importer => false,
    };
    if allowed { Ok(()) } else { Err(ApiError::Forbidden("only admins and the partnership's consultants record counselling".into())) }
}

/// What a consultant records.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CounsellingInput {
    pub partnership_id: Uuid,
    /// The consultant (a person).
    pub consultant_id: Uuid,
    /// The organizations counselled.
    #[serde(default)]
    pub organization_ids: Vec<Uuid>,
    pub held_on: NaiveDate,
    /// 1–1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub duration_minutes: i32,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub topic: String,
    #[serde(default)]
    pub call_id: Option<Uuid>,
    #[serde(default)]
    pub project_id: Option<Uuid>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub notes: Option<String>,
}

impl CounsellingInput {
    fn into_data(self) -> ApiResult<CounsellingData> {
        self.validate()?;
        // A record of counselling that took place: not dated in the future.
        domain::period::not_in_future(self.held_on, chrono::Utc::now().date_naive(), "held_on").map_err(|e| domain::DomainError::Invalid(vec![e]))?;
        Ok(CounsellingData {
            partnership_id: self.partnership_id,
            consultant_id: self.consultant_id,
            organization_ids: self.organization_ids,
            held_on: self.held_on,
            duration_minutes: self.duration_minutes,
            topic: self.topic.trim().to_owned(),
            call_id: self.call_id,
            project_id: self.project_id,
            notes: opt_text(self.notes),
        }
        .validate()?)
    }
    fn from_data(d: &CounsellingData) -> Self {
        Self {
            partnership_id: d.partnership_id,
            consultant_id: d.consultant_id,
            organization_ids: d.organization_ids.clone(),
            held_on: d.held_on,
            duration_minutes: d.duration_minutes,
            topic: d.topic.clone(),
            call_id: d.call_id,
            project_id: d.project_id,
            notes: d.notes.clone(),
        }
    }
}

/// A counselling record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CounsellingView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: CounsellingInput,
}

impl From<&Counselling> for CounsellingView {
    fn from(r: &Counselling) -> Self {
        Self { meta: (&r.meta).into(), content: CounsellingInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of counselling records.
    CounsellingQuery {
        partnership_id: Option<Uuid>,
        consultant_id: Option<Uuid>,
        project_id: Option<Uuid>,
        call_id: Option<Uuid>,
        /// Held on or after.
        from: Option<NaiveDate>,
        /// Held on or before.
        to: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List counselling records (a partner sees only its own partnerships'). Sortable by `held_on` (default), `created_at`.
#[utoipa::path(operation_id = "list_counselling_records", tag = "esif", params(CounsellingQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of records", body = ListResponse<CounsellingView>), ListErrors))]
#[get("/counselling-records")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<CounsellingQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = CounsellingFilter {
        partnership_id: q.partnership_id,
        consultant_id: q.consultant_id,
        project_id: q.project_id,
        call_id: q.call_id,
        from: q.from,
        to: q.to,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = esif::list_counselling(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| CounsellingView::from(&r))))
}

/// Record a counselling session.
#[utoipa::path(operation_id = "create_counselling_record", tag = "esif", request_body = CounsellingInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = CounsellingView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/counselling-records")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<CounsellingInput>) -> ApiResult {
    let input = body.into_inner();
    require(state.store.conn(), input.partnership_id)
        .await
        .map_err(|_| ApiError::from(domain::DomainError::invalid("partnership_id", "not_found", "the partnership does not exist")))?;
    ensure_counsellor(&who, input.partnership_id)?;
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), input.partnership_id, Activity::AgencySupport).await?;
    let created = esif::create_counselling(unit.tx(), input.into_data()?).await?;
    let view = CounsellingView::from(&created);
    unit.created("counselling_record", created.meta.id, created.meta.version, format!("/api/v1/counselling-records/{}", created.meta.id), &view).await
}

/// Get a counselling record.
#[utoipa::path(operation_id = "get_counselling_record", tag = "esif", security(("bearer" = [])),
    responses((status = 200, description = "The record", body = CounsellingView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/counselling-records/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = esif::get_counselling(state.store.conn(), *id).await?;
    guard_partnership_read(&who, found.data.partnership_id)?;
    Ok(ok_versioned(found.meta.version, &CounsellingView::from(&found)))
}

/// Update a counselling record (JSON merge patch).
#[utoipa::path(operation_id = "update_counselling_record", tag = "esif", request_body(content = serde_json::Value, description = "A JSON merge patch of CounsellingInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = CounsellingView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/counselling-records/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = esif::get_counselling(unit.tx().conn(), *id).await?;
    ensure_counsellor(&who, current.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.partnership_id, Activity::AgencySupport).await?;
    let data = merge_patch(&CounsellingInput::from_data(&current.data), patch.into_inner())?.into_data()?;
    if_match.check(current.meta.version)?;
    ensure_counsellor(&who, data.partnership_id)?;
    permits(unit.tx().conn(), data.partnership_id, Activity::AgencySupport).await?;
    let updated = esif::update_counselling(unit.tx(), &current, data).await?;
    unit.changed("update", "counselling_record", current.meta.id, updated.meta.version, &CounsellingView::from(&current), &CounsellingView::from(&updated))
        .await
}

/// Archive a counselling record.
#[utoipa::path(operation_id = "archive_counselling_record", tag = "esif", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/counselling-records/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = esif::get_counselling(unit.tx().conn(), *id).await?;
    ensure_counsellor(&who, current.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.partnership_id, Activity::AgencySupport).await?;
    if_match.check(current.meta.version)?;
    let archived = esif::archive_counselling(unit.tx(), &current).await?;
    unit.archived("counselling_record", current.meta.id, &CounsellingView::from(&current), &CounsellingView::from(&archived)).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
