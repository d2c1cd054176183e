//! Situational analyses (`/partnerships/{id}/situational-analyses`, `/situational-analyses`)
//! and their needs (`/situational-analyses/{id}/needs`, `/needs/{id}`). Not public: they are
//! working documents of the partnership.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::analysis::{AnalysisData, Finding, NeedData, advance, ensure_editable};
use domain::codelist::{AnalysisStatus, Priority, ThematicArea};
use persistence::analyses::{self, AnalysisRecord, Filter, NeedRecord};
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
use crate::routes::partnerships::{ensure_may_decide, ensure_may_write, permits, require};
use domain::partnership::Activity;

/// What a client sets on a situational analysis.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AnalysisInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Situační analýza Mikroregionu Rozvodí")]
    pub title: String,
    #[serde(default)]
    pub fieldwork_from: Option<NaiveDate>,
    /// Not before `fieldwork_from`.
    #[serde(default)]
    pub fieldwork_to: Option<NaiveDate>,
    /// Organizations that authored the analysis.
    #[serde(default)]
    pub author_organization_ids: Vec<Uuid>,
    /// People who authored the analysis.
    #[serde(default)]
    pub author_person_ids: Vec<Uuid>,
    /// Findings by thematic area, with key figures.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// A completed analysis of the same partnership that this one corrects.
    #[serde(default)]
    pub supersedes_id: Option<Uuid>,
}

impl AnalysisInput {
    fn into_data(self, partnership_id: Uuid) -> ApiResult<AnalysisData> {
        self.validate()?;
        Ok(AnalysisData {
            partnership_id,
            title: self.title.trim().to_owned(),
            fieldwork_from: self.fieldwork_from,
            fieldwork_to: self.fieldwork_to,
            author_organization_ids: self.author_organization_ids,
            author_person_ids: self.author_person_ids,
            findings: self.findings,
            supersedes_id: self.supersedes_id,
        }
        .validate()?)
    }
    fn from_data(d: &AnalysisData) -> Self {
        Self {
            title: d.title.clone(),
            fieldwork_from: d.fieldwork_from,
            fieldwork_to: d.fieldwork_to,
            author_organization_ids: d.author_organization_ids.clone(),
            author_person_ids: d.author_person_ids.clone(),
            findings: d.findings.clone(),
            supersedes_id: d.supersedes_id,
        }
    }
}

/// A situational analysis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnalysisView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    /// planned → in_progress → completed (by the actions `start` and `complete`).
    pub status: AnalysisStatus,
    /// The newer analysis that corrects this one, if any.
    pub superseded_by_id: Option<Uuid>,
    #[serde(flatten)]
    pub content: AnalysisInput,
}

impl From<&AnalysisRecord> for AnalysisView {
    fn from(r: &AnalysisRecord) -> Self {
        Self {
            meta: (&r.meta).into(),
            partnership_id: r.data.data.partnership_id,
            status: r.data.status,
            superseded_by_id: r.data.superseded_by_id,
            content: AnalysisInput::from_data(&r.data.data),
        }
    }
}

list_query! {
    /// Filters of analyses across partnerships.
    AnalysisQuery {
        partnership_id: Option<Uuid>,
        status: Option<AnalysisStatus>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of a partnership's analyses.
    PartnershipAnalysisQuery {
        status: Option<AnalysisStatus>,
        include_archived: Option<bool>,
    }
}

/// List a partnership's situational analyses. Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_partnership_situational_analyses", tag = "analyses", params(PartnershipAnalysisQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of analyses", body = ListResponse<AnalysisView>), ListErrors))]
#[get("/partnerships/{id}/situational-analyses")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PartnershipAnalysisQuery>) -> ApiResult {
    let page = query.page()?;
    guard_partnership_read(&who, *id)?;
    require(state.store.conn(), *id).await?;
    let filter = Filter { partnership_id: Some(*id), status: query.status, include_archived: query.include_archived.unwrap_or(false), scope: None };
    let page = analyses::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| AnalysisView::from(&r))))
}

/// List situational analyses across partnerships (a partner sees only its own partnerships').
#[utoipa::path(operation_id = "list_situational_analyses", tag = "analyses", params(AnalysisQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of analyses", body = ListResponse<AnalysisView>), ListErrors))]
#[get("/situational-analyses")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<AnalysisQuery>) -> ApiResult {
    let page = query.page()?;
    let filter = Filter {
        partnership_id: query.partnership_id,
        status: query.status,
        include_archived: query.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = analyses::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| AnalysisView::from(&r))))
}

/// Start a situational analysis of a partnership (status `planned`). With `supersedes_id`
/// it corrects a completed analysis.
#[utoipa::path(operation_id = "create_partnership_situational_analysis", tag = "analyses", request_body = AnalysisInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = AnalysisView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/partnerships/{id}/situational-analyses")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<AnalysisInput>) -> ApiResult {
    require(state.store.conn(), *id).await?;
    ensure_may_write(&who, *id)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), *id, Activity::Organisation).await?;
    let created = analyses::create(unit.tx(), input.into_data(*id)?).await?;
    let view = AnalysisView::from(&created);
    unit.created("situational_analysis", created.meta.id, created.meta.version, format!("/api/v1/situational-analyses/{}", created.meta.id), &view).await
}

/// Get a situational analysis.
#[utoipa::path(operation_id = "get_situational_analysis", tag = "analyses", security(("bearer" = [])),
    responses((status = 200, description = "The analysis", body = AnalysisView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/situational-analyses/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = analyses::get(state.store.conn(), *id).await?;
    guard_partnership_read(&who, found.data.data.partnership_id)?;
    Ok(ok_versioned(found.meta.version, &AnalysisView::from(&found)))
}

/// Update a situational analysis (JSON merge patch); a completed one is read-only (409).
#[utoipa::path(operation_id = "update_situational_analysis", tag = "analyses", request_body(content = serde_json::Value, description = "A JSON merge patch of AnalysisInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = AnalysisView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/situational-analyses/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = analyses::get(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.data.partnership_id, Activity::Organisation).await?;
    let data = merge_patch(&AnalysisInput::from_data(&current.data.data), patch.into_inner())?.into_data(current.data.data.partnership_id)?;
    if_match.check(current.meta.version)?;
    ensure_editable(current.data.status)?;
    let updated = analyses::update(unit.tx(), &current, data).await?;
    unit.changed("update", "situational_analysis", current.meta.id, updated.meta.version, &AnalysisView::from(&current), &AnalysisView::from(&updated)).await
}

/// Archive a situational analysis that is not completed.
#[utoipa::path(operation_id = "archive_situational_analysis", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/situational-analyses/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = analyses::get(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.data.partnership_id, Activity::Organisation).await?;
    if_match.check(current.meta.version)?;
    ensure_editable(current.data.status)?;
    let archived = analyses::archive(unit.tx(), &current).await?;
    unit.archived("situational_analysis", current.meta.id, &AnalysisView::from(&current), &AnalysisView::from(&archived)).await
}

async fn step(state: web::Data<AppState>, who: domain::access::Principal, id: Uuid, if_match: IfMatch, to: AnalysisStatus, action: &str) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = analyses::get(unit.tx().conn(), id).await?;
    guard_partnership_write(&who, current.data.data.partnership_id)?;
    permits(unit.tx().conn(), current.data.data.partnership_id, Activity::Organisation).await?;
    ensure_may_decide(&who, current.data.data.partnership_id)?;
    if_match.check(current.meta.version)?;
    let next = advance(current.data.status, to)?;
    let updated = analyses::set_status(unit.tx(), &current, next).await?;
    unit.changed(action, "situational_analysis", id, updated.meta.version, &AnalysisView::from(&current), &AnalysisView::from(&updated)).await
}

/// Start the fieldwork (planned → in_progress).
#[utoipa::path(operation_id = "start_situational_analysis", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "The analysis, now in progress", body = AnalysisView), WriteErrors))]
#[post("/situational-analyses/{id}/start")]
pub async fn start(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    step(state, who, *id, if_match, AnalysisStatus::InProgress, "start").await
}

/// Complete the analysis (in_progress → completed); it becomes read-only.
#[utoipa::path(operation_id = "complete_situational_analysis", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "The analysis, now completed", body = AnalysisView), WriteErrors))]
#[post("/situational-analyses/{id}/complete")]
pub async fn complete(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    step(state, who, *id, if_match, AnalysisStatus::Completed, "complete").await
}

// --- needs -----------------------------------------------------------------------------------

/// What a client sets on a need.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    pub thematic_area: ThematicArea,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    pub priority: Priority,
    /// Estimated number of people affected.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    #[serde(default)]
    pub people_affected: Option<i64>,
    /// What the need is based on (data, interviews, sources).
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub evidence: Option<String>,
}

impl NeedInput {
    fn into_data(self) -> ApiResult<NeedData> {
        self.validate()?;
        Ok(NeedData {
            thematic_area: self.thematic_area,
            description: self.description.trim().to_owned(),
            priority: self.priority,
            people_affected: self.people_affected,
            evidence: opt_text(self.evidence),
        }
        .validate()?)
    }
    fn from_data(d: &NeedData) -> Self {
        Self {
            thematic_area: d.thematic_area,
            description: d.description.clone(),
            priority: d.priority,
            people_affected: d.people_affected,
            evidence: d.evidence.clone(),
        }
    }
}

/// A need found by an analysis; measures name the needs they answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub analysis_id: Uuid,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: NeedInput,
}

impl From<&NeedRecord> for NeedView {
    fn from(r: &NeedRecord) -> Self {
        Self { meta: (&r.meta).into(), analysis_id: r.data.0, partnership_id: r.data.1, content: NeedInput::from_data(&r.data.2) }
    }
}

list_query! {
    /// Filters of an analysis's needs.
    NeedQuery {
        thematic_area: Option<ThematicArea>,
        include_archived: Option<bool>,
        /// `true`: only needs some measure addresses; `false`: needs no measure addresses.
        /// Counted are the non-archived measures of the partnership's non-archived plans in
        /// force or being prepared (draft, submitted, council-approved); superseded and
        /// expired versions are history and do not count.
        addressed: Option<bool>,
    }
}

/// List the needs of an analysis. Sortable by `priority`, `created_at` (default), `updated_at`.
/// `addressed=false` lists the needs no measure answers (traceability from needs to measures;
/// the other way is `GET /measures?need_id=`).
#[utoipa::path(operation_id = "list_situational_analysis_needs", tag = "analyses", params(NeedQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of needs", body = ListResponse<NeedView>), ListErrors))]
#[get("/situational-analyses/{id}/needs")]
pub async fn list_needs(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<NeedQuery>) -> ApiResult {
    let page = query.page()?;
    let analysis = analyses::get(state.store.conn(), *id).await?;
    guard_partnership_read(&who, analysis.data.data.partnership_id)?;
    let addressed = match query.addressed {
        Some(flag) => Some((flag, persistence::monitoring::addressed_needs(state.store.conn(), analysis.data.data.partnership_id).await?)),
        None => None,
    };
    let page = analyses::list_needs(state.store.conn(), *id, query.thematic_area, query.include_archived.unwrap_or(false), addressed, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| NeedView::from(&r))))
}

/// Record a need found by an analysis that is not completed yet.
#[utoipa::path(operation_id = "create_situational_analysis_need", tag = "analyses", request_body = NeedInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = NeedView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/situational-analyses/{id}/needs")]
pub async fn create_need(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<NeedInput>) -> ApiResult {
    let analysis = analyses::get(state.store.conn(), *id).await?;
    guard_partnership_write(&who, analysis.data.data.partnership_id)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), analysis.data.data.partnership_id, Activity::Organisation).await?;
    let analysis = analyses::get(unit.tx().conn(), *id).await?;
    ensure_editable(analysis.data.status)?;
    let created = analyses::create_need(unit.tx(), &analysis, input.into_data()?).await?;
    let view = NeedView::from(&created);
    unit.created("need", created.meta.id, created.meta.version, format!("/api/v1/needs/{}", created.meta.id), &view).await
}

/// Get a need.
#[utoipa::path(operation_id = "get_need", tag = "analyses", security(("bearer" = [])),
    responses((status = 200, description = "The need", body = NeedView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/needs/{id}")]
pub async fn get_need(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = analyses::get_need(state.store.conn(), *id).await?;
    guard_partnership_read(&who, found.data.1)?;
    Ok(ok_versioned(found.meta.version, &NeedView::from(&found)))
}

/// Update a need (JSON merge patch) while its analysis is not completed.
#[utoipa::path(operation_id = "update_need", tag = "analyses", request_body(content = serde_json::Value, description = "A JSON merge patch of NeedInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = NeedView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/needs/{id}")]
pub async fn update_need(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    patch: web::Json<serde_json::Value>,
) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = analyses::get_need(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.1)?;
    permits(unit.tx().conn(), current.data.1, Activity::Organisation).await?;
    let data = merge_patch(&NeedInput::from_data(&current.data.2), patch.into_inner())?.into_data()?;
    if_match.check(current.meta.version)?;
    ensure_editable(analyses::get(unit.tx().conn(), current.data.0).await?.data.status)?;
    let updated = analyses::update_need(unit.tx(), &current, data).await?;
    unit.changed("update", "need", current.meta.id, updated.meta.version, &NeedView::from(&current), &NeedView::from(&updated)).await
}

/// Archive a need while its analysis is not completed.
#[utoipa::path(operation_id = "archive_need", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/needs/{id}")]
pub async fn archive_need(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = analyses::get_need(unit.tx().conn(), *id).await?;
    guard_partnership_write(&who, current.data.1)?;
    permits(unit.tx().conn(), current.data.1, Activity::Organisation).await?;
    if_match.check(current.meta.version)?;
    ensure_editable(analyses::get(unit.tx().conn(), current.data.0).await?.data.status)?;
    let archived = analyses::archive_need(unit.tx(), &current).await?;
    unit.archived("need", current.meta.id, &NeedView::from(&current), &NeedView::from(&archived)).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_of_partnership)
        .service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(archive)
        .service(start)
        .service(complete)
        .service(list_needs)
        .service(create_need)
        .service(get_need)
        .service(update_need)
        .service(archive_need);
}
