//! Situational analyses (`/partnerships/{id}/situational-analyses`, `/situational-analyses`)
//! and their needs (`/situational-analyses/{id}/needs`, `/needs/{id}`). Not public: they are
//! working documents of the partnership.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::analysis::{AnalysisData, Finding, NeedData};
use domain::codelist::{AnalysisStatus, Priority, ThematicArea};
use domain::registry::Record;
use persistence::analyses::{self, Analysis, AnalysisRecord, Filter, NeedRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};
use service::analyses as use_cases;

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

impl Resource for AnalysisView {
    type Data = Analysis;
    const NAME: &'static str = "situational_analysis";
    const COLLECTION: &'static str = "/api/v1/situational-analyses";
    fn of(record: &Record<Analysis>) -> Self {
        Self::from(record)
    }
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
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    let filter = Filter { partnership_id: Some(*id), status: query.status, include_archived: query.include_archived.unwrap_or(false), scope: None };
    let page = analyses::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| AnalysisView::from(&r))))
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| AnalysisView::from(&r))))
}

create_one! {
    /// Start a situational analysis of a partnership (status `planned`). With `supersedes_id`
    /// it corrects a completed analysis.
    create: POST "/partnerships/{id}/situational-analyses", "create_partnership_situational_analysis", "analyses", AnalysisInput => AnalysisView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<AnalysisView>(&state, &who, key, &input, async |s| use_cases::create(s, *id, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get a situational analysis.
    get: GET "/situational-analyses/{id}", "get_situational_analysis", "analyses", AnalysisView, "The analysis", Auth,
    |state, who, id| write::read::<AnalysisView>(use_cases::get(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a situational analysis (JSON merge patch); a completed one is read-only (409).
    update: PATCH "/situational-analyses/{id}", "update_situational_analysis", "analyses", AnalysisView, "A JSON merge patch of AnalysisInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &AnalysisData| merge_patch(&AnalysisInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<AnalysisView>(&state, &who, async |s| use_cases::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a situational analysis that is not completed.
    archive: DELETE "/situational-analyses/{id}", "archive_situational_analysis", "analyses", "Archived",
    |state, who, id, if_match| write::archive::<AnalysisView>(&state, &who, async |s| use_cases::archive(s, *id, &if_match.0).await).await
}

/// A step of the analysis's lifecycle: 200 with the analysis after it. These actions take no
/// `Idempotency-Key` (the document does not offer one): a retry is refused by the lifecycle.
async fn step(state: &AppState, who: &domain::access::Principal, id: Uuid, if_match: IfMatch, to: AnalysisStatus, action: &str) -> ApiResult {
    let run = async |s: &service::Session<'_>| use_cases::advance(s, id, &if_match.0, to).await;
    write::act::<AnalysisView>(state, who, IdempotencyKey(None), action, &action, run).await
}

/// Start the fieldwork (planned → in_progress).
#[utoipa::path(operation_id = "start_situational_analysis", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "The analysis, now in progress", body = AnalysisView), WriteErrors))]
#[post("/situational-analyses/{id}/start")]
pub async fn start(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    step(&state, &who, *id, if_match, AnalysisStatus::InProgress, "start").await
}

/// Complete the analysis (in_progress → completed); it becomes read-only.
#[utoipa::path(operation_id = "complete_situational_analysis", tag = "analyses", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "The analysis, now completed", body = AnalysisView), WriteErrors))]
#[post("/situational-analyses/{id}/complete")]
pub async fn complete(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    step(&state, &who, *id, if_match, AnalysisStatus::Completed, "complete").await
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

impl Resource for NeedView {
    type Data = (Uuid, Uuid, NeedData);
    const NAME: &'static str = "need";
    const COLLECTION: &'static str = "/api/v1/needs";
    fn of(record: &NeedRecord) -> Self {
        Self::from(record)
    }
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
    let analysis = use_cases::readable(state.store.conn(), &who, *id).await?;
    let addressed = match query.addressed {
        Some(flag) => Some((flag, persistence::monitoring::addressed_needs(state.store.conn(), analysis.data.data.partnership_id).await?)),
        None => None,
    };
    let page = analyses::list_needs(state.store.conn(), *id, query.thematic_area, query.include_archived.unwrap_or(false), addressed, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| NeedView::from(&r))))
}

create_one! {
    /// Record a need found by an analysis that is not completed yet.
    create_need: POST "/situational-analyses/{id}/needs", "create_situational_analysis_need", "analyses", NeedInput => NeedView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<NeedView>(&state, &who, key, &input, async |s| use_cases::create_need(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a need.
    get_need: GET "/needs/{id}", "get_need", "analyses", NeedView, "The need", Auth,
    |state, who, id| write::read::<NeedView>(use_cases::get_need(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a need (JSON merge patch) while its analysis is not completed.
    update_need: PATCH "/needs/{id}", "update_need", "analyses", NeedView, "A JSON merge patch of NeedInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &NeedData| merge_patch(&NeedInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<NeedView>(&state, &who, async |s| use_cases::update_need(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a need while its analysis is not completed.
    archive_need: DELETE "/needs/{id}", "archive_need", "analyses", "Archived",
    |state, who, id, if_match| write::archive::<NeedView>(&state, &who, async |s| use_cases::archive_need(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
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
