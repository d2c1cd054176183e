//! The Agency's support projects (`/support-projects`), e.g. "Rozvoj systémů pro sociální
//! začleňování" (CZ.03.02.02/00/22_004/0000366): their supported units with the description of
//! cooperation (`/supported-units`), quality criteria and their assessments
//! (`/quality-criteria`), participatory procedures, KA03 findings (`/analytical-findings`),
//! KA01/KA02 documents (`/support-project-documents`), KA04 events with the managers'
//! attendance (`/good-practice-events`), and the five target indicators
//! (`/support-projects/{id}/indicators`). Not public: see [`service::support_projects`] for
//! who reads and writes what.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::codelist::ThematicArea;
use domain::support_project::{
    Assessment, Attendance, CompetenceRule, CriterionData, DocumentActivity, DocumentData, DocumentKind, EventData, EventKind, FindingData, IndicatorReport,
    KeyActivity, ParticipatoryData, Presenter, SupportProjectData, SupportedUnitData, hours_of_minutes, minutes_of_hours,
};
use persistence::support_projects::{
    Criterion, CriterionRecord, Document, DocumentRecord, Event, EventRecord, Finding, FindingRecord, Participatory, ParticipatoryRecord, SupportProjectRecord,
    SupportedUnit, SupportedUnitRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiResult, GuardedReadErrors, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, merge_patch, page_query};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};
use service::support_projects as use_cases;

fn hours(field: &str, value: f64) -> ApiResult<u32> {
    minutes_of_hours(field, value).map_err(|e| domain::DomainError::Invalid(vec![e]).into())
}

// Support projects.

/// What a client sets on a support project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SupportProjectInput {
    /// The project's registration number in the shape of its programme's period, e.g.
    /// `CZ.03.02.02/00/22_004/0000366` (2021–2027).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub registration_number: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// An operational programme's code (`GET /operational-programmes`), e.g. `OPZ+`.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub programme: String,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    /// The key activities `KA01` … with their titles.
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub key_activities: Vec<KeyActivity>,
    /// When a unit "raises its competence" (indicator 1): `{"kind": "share_of_criteria",
    /// "min_share_percent": 50, "min_points": 1}` (the default: half of its criteria improved
    /// by at least a point since the baseline) or `{"kind": "count_of_criteria",
    /// "min_criteria": 2, "min_points": 1}`.
    #[serde(default)]
    pub competence_rule: Option<CompetenceRule>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl SupportProjectInput {
    fn into_data(self) -> ApiResult<SupportProjectData> {
        self.validate()?;
        Ok(SupportProjectData {
            registration_number: self.registration_number,
            title: self.title,
            programme: self.programme.trim().to_owned(),
            start_on: self.start_on,
            end_on: self.end_on,
            key_activities: self.key_activities,
            competence_rule: self.competence_rule.unwrap_or_default(),
            note: opt_text(self.note),
        })
    }
    fn from_data(d: &SupportProjectData) -> Self {
        Self {
            registration_number: d.registration_number.clone(),
            title: d.title.clone(),
            programme: d.programme.clone(),
            start_on: d.start_on,
            end_on: d.end_on,
            key_activities: d.key_activities.clone(),
            competence_rule: Some(d.competence_rule),
            note: d.note.clone(),
        }
    }
}

/// One of the Agency's support projects.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportProjectView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: SupportProjectInput,
}

impl Resource for SupportProjectView {
    type Data = SupportProjectData;
    const NAME: &'static str = "support_project";
    const COLLECTION: &'static str = "/api/v1/support-projects";
    fn of(r: &SupportProjectRecord) -> Self {
        Self { meta: (&r.meta).into(), content: SupportProjectInput::from_data(&r.data) }
    }
}

page_query! {
    /// Paging of a support project's records (a fixed order by their day).
    SupportQuery {
        include_archived: Option<bool>,
    }
}

/// List the Agency's support projects (a partner: those supporting a unit of its
/// partnerships), by `start_on`.
#[utoipa::path(operation_id = "list_support_projects", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of support projects", body = ListResponse<SupportProjectView>), ListErrors))]
#[get("/support-projects")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list(state.store.conn(), &who, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| SupportProjectView::of(&r))))
}

create_one! {
    /// Record one of the Agency's support projects (admins and consultants).
    create: POST "/support-projects", "create_support_project", "support-projects", SupportProjectInput => SupportProjectView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<SupportProjectView>(&state, &who, key, &input, async |s| use_cases::create(s, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a support project.
    get_project: GET "/support-projects/{id}", "get_support_project", "support-projects", SupportProjectView, "The support project", Auth,
    |state, who, id| write::read::<SupportProjectView>(use_cases::get(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a support project (JSON merge patch), e.g. its competence rule.
    update: PATCH "/support-projects/{id}", "update_support_project", "support-projects", SupportProjectView, "A JSON merge patch of SupportProjectInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &SupportProjectData| merge_patch(&SupportProjectInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<SupportProjectView>(&state, &who, async |s| use_cases::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a support project entered by mistake.
    archive: DELETE "/support-projects/{id}", "archive_support_project", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<SupportProjectView>(&state, &who, async |s| use_cases::archive(s, *id, &if_match.0).await).await
}

/// The day indicators are computed for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsQuery {
    /// Default today (UTC). Records dated after it are ignored.
    pub as_of: Option<NaiveDate>,
}

/// The project's five target indicators on `as_of`, each with numerator, denominator, value,
/// target and whether it is met: (1) units whose competence rose by the project's
/// `competence_rule` ≥ 75 %; (2) units that applied a participatory procedure on their own
/// ≥ 30 %; (3) KA01/KA02 documents referencing a KA03 finding ≥ 60 %; (4) workshops and
/// thematic conferences (not fora) attended by central bodies and presenting data and
/// recommendations ≥ 2; (5) units whose social-inclusion manager attended ≥ 14 hours of KA04
/// events ≥ 75 %. Units count from their `joined_on`. A share of nothing (a zero
/// denominator) has `value: null` and is not met. Partners do not read them (403).
#[utoipa::path(operation_id = "get_support_project_indicators", tag = "support-projects", params(IndicatorsQuery), security(("bearer" = [])),
    responses((status = 200, description = "The indicators", body = IndicatorReport,
        headers(("Link" = String, description = "RFC 8288: the indicators' chart, `</api/v1/support-projects/{id}/indicators.svg>; rel=\"alternate\"; type=\"image/svg+xml\"`"))), GuardedReadErrors))]
#[get("/support-projects/{id}/indicators")]
pub async fn indicators(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<IndicatorsQuery>) -> ApiResult {
    let as_of = query.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let report = use_cases::indicators(state.store.conn(), &who, *id, as_of).await?;
    let chart = format!("/api/v1/support-projects/{id}/indicators.svg");
    Ok(crate::routes::views::with_alternate(HttpResponse::Ok().json_body(report), &[(&chart, crate::routes::views::SVG)]))
}

// Supported units and their description of cooperation.

/// A territorial unit a project supports, with its description of cooperation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SupportedUnitInput {
    pub territorial_unit_id: Uuid,
    /// The Agency's cooperation with the unit's partnership: its partners then read the unit's records.
    #[serde(default)]
    pub cooperation_id: Option<Uuid>,
    /// The first day of support; the unit counts in the indicators from it.
    pub joined_on: NaiveDate,
    /// The day the description of cooperation (Popis spolupráce) was agreed.
    #[serde(default)]
    pub description_agreed_on: Option<NaiveDate>,
    /// The agreed scope of cooperation.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    #[serde(default)]
    pub scope: Option<String>,
    /// The thematic areas chosen for cooperation.
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    #[serde(default)]
    pub thematic_areas: Vec<ThematicArea>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl SupportedUnitInput {
    fn into_data(self) -> ApiResult<SupportedUnitData> {
        self.validate()?;
        Ok(SupportedUnitData {
            territorial_unit_id: self.territorial_unit_id,
            cooperation_id: self.cooperation_id,
            joined_on: self.joined_on,
            description_agreed_on: self.description_agreed_on,
            scope: opt_text(self.scope),
            thematic_areas: self.thematic_areas,
            note: opt_text(self.note),
        })
    }
    fn from_data(d: &SupportedUnitData) -> Self {
        Self {
            territorial_unit_id: d.territorial_unit_id,
            cooperation_id: d.cooperation_id,
            joined_on: d.joined_on,
            description_agreed_on: d.description_agreed_on,
            scope: d.scope.clone(),
            thematic_areas: d.thematic_areas.clone(),
            note: d.note.clone(),
        }
    }
}

/// A supported unit with its description of cooperation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportedUnitView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub support_project_id: Uuid,
    #[serde(flatten)]
    pub content: SupportedUnitInput,
}

impl Resource for SupportedUnitView {
    type Data = SupportedUnit;
    const NAME: &'static str = "supported_unit";
    const COLLECTION: &'static str = "/api/v1/supported-units";
    fn of(r: &SupportedUnitRecord) -> Self {
        Self { meta: (&r.meta).into(), support_project_id: r.data.support_project_id, content: SupportedUnitInput::from_data(&r.data.data) }
    }
}

/// List a project's supported units (a partner: its own), by `joined_on`.
#[utoipa::path(operation_id = "list_supported_units", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of supported units", body = ListResponse<SupportedUnitView>), ListErrors))]
#[get("/support-projects/{id}/units")]
pub async fn list_units(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list_units(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| SupportedUnitView::of(&r))))
}

create_one! {
    /// Add a territorial unit to the project, with its description of cooperation.
    create_unit: POST "/support-projects/{id}/units", "create_supported_unit", "support-projects", SupportedUnitInput => SupportedUnitView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<SupportedUnitView>(&state, &who, key, &input, async |s| use_cases::create_unit(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a supported unit and its description of cooperation.
    get_unit: GET "/supported-units/{id}", "get_supported_unit", "support-projects", SupportedUnitView, "The supported unit", Auth,
    |state, who, id| write::read::<SupportedUnitView>(use_cases::get_unit(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a supported unit or its description of cooperation (JSON merge patch).
    update_unit: PATCH "/supported-units/{id}", "update_supported_unit", "support-projects", SupportedUnitView, "A JSON merge patch of SupportedUnitInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &SupportedUnitData| merge_patch(&SupportedUnitInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<SupportedUnitView>(&state, &who, async |s| use_cases::update_unit(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a supported unit entered by mistake (it no longer counts in the indicators).
    archive_unit: DELETE "/supported-units/{id}", "archive_supported_unit", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<SupportedUnitView>(&state, &who, async |s| use_cases::archive_unit(s, *id, &if_match.0).await).await
}

// Quality criteria.

/// A quality criterion set with the partner at the start, on an integer scale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    #[serde(default)]
    pub description: Option<String>,
    /// The lowest score, e.g. 1.
    pub scale_min: i32,
    /// The highest score, above `scale_min`, e.g. 5.
    pub scale_max: i32,
}

impl CriterionInput {
    fn into_data(self) -> ApiResult<CriterionData> {
        self.validate()?;
        Ok(CriterionData { title: self.title, scale_min: self.scale_min, scale_max: self.scale_max, description: opt_text(self.description) })
    }
    fn from_data(d: &CriterionData) -> Self {
        Self { title: d.title.clone(), description: d.description.clone(), scale_min: d.scale_min, scale_max: d.scale_max }
    }
}

/// A quality criterion with its assessments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub supported_unit_id: Uuid,
    #[serde(flatten)]
    pub content: CriterionInput,
    /// Baseline, interim and final assessments, by day (`POST /quality-criteria/{id}/assessments`).
    pub assessments: Vec<Assessment>,
}

impl Resource for CriterionView {
    type Data = Criterion;
    const NAME: &'static str = "quality_criterion";
    const COLLECTION: &'static str = "/api/v1/quality-criteria";
    fn of(r: &CriterionRecord) -> Self {
        Self {
            meta: (&r.meta).into(),
            supported_unit_id: r.data.supported_unit_id,
            content: CriterionInput::from_data(&r.data.data),
            assessments: r.data.assessments.clone(),
        }
    }
}

/// List a unit's quality criteria, in the order they were set.
#[utoipa::path(operation_id = "list_quality_criteria", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of criteria", body = ListResponse<CriterionView>), ListErrors))]
#[get("/supported-units/{id}/criteria")]
pub async fn list_criteria(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list_criteria(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| CriterionView::of(&r))))
}

create_one! {
    /// Set a quality criterion of the unit's description of cooperation.
    create_criterion: POST "/supported-units/{id}/criteria", "create_quality_criterion", "support-projects", CriterionInput => CriterionView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<CriterionView>(&state, &who, key, &input, async |s| use_cases::create_criterion(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a quality criterion with its assessments.
    get_criterion: GET "/quality-criteria/{id}", "get_quality_criterion", "support-projects", CriterionView, "The criterion", Auth,
    |state, who, id| write::read::<CriterionView>(use_cases::get_criterion(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a criterion's title or scale (JSON merge patch); its assessments must stay on the scale.
    update_criterion: PATCH "/quality-criteria/{id}", "update_quality_criterion", "support-projects", CriterionView, "A JSON merge patch of CriterionInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &CriterionData| merge_patch(&CriterionInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<CriterionView>(&state, &who, async |s| use_cases::update_criterion(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a criterion set by mistake.
    archive_criterion: DELETE "/quality-criteria/{id}", "archive_quality_criterion", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<CriterionView>(&state, &who, async |s| use_cases::archive_criterion(s, *id, &if_match.0).await).await
}

/// Record an assessment of the criterion: `baseline` (once, first), `interim` (one per day)
/// or `final` (once, last); a new baseline or final replaces the old one. The score is on the
/// criterion's scale.
#[utoipa::path(operation_id = "assess_quality_criterion", tag = "support-projects", request_body = Assessment,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The criterion with the assessment", body = CriterionView), WriteErrors))]
#[post("/quality-criteria/{id}/assessments")]
pub async fn assess(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Json<Assessment>,
) -> ApiResult {
    let input = body.into_inner();
    let assessment = Assessment { note: opt_text(input.note.clone()), ..input.clone() };
    write::act::<CriterionView>(&state, &who, key, "assess", &input, async |s| use_cases::assess(s, *id, &if_match.0, assessment).await).await
}

// Participatory procedures.

/// A participatory procedure the unit applied on its own, with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ParticipatoryInput {
    pub applied_on: NaiveDate,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// What shows it (minutes, a published invitation, a report).
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub evidence: String,
}

impl ParticipatoryInput {
    fn into_data(self) -> ApiResult<ParticipatoryData> {
        self.validate()?;
        Ok(ParticipatoryData { applied_on: self.applied_on, title: self.title, evidence: self.evidence })
    }
    fn from_data(d: &ParticipatoryData) -> Self {
        Self { applied_on: d.applied_on, title: d.title.clone(), evidence: d.evidence.clone() }
    }
}

/// A participatory procedure of a supported unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipatoryView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub supported_unit_id: Uuid,
    #[serde(flatten)]
    pub content: ParticipatoryInput,
}

impl Resource for ParticipatoryView {
    type Data = Participatory;
    const NAME: &'static str = "participatory_procedure";
    const COLLECTION: &'static str = "/api/v1/participatory-procedures";
    fn of(r: &ParticipatoryRecord) -> Self {
        Self { meta: (&r.meta).into(), supported_unit_id: r.data.supported_unit_id, content: ParticipatoryInput::from_data(&r.data.data) }
    }
}

/// List a unit's participatory procedures, by `applied_on`.
#[utoipa::path(operation_id = "list_participatory_procedures", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of participatory procedures", body = ListResponse<ParticipatoryView>), ListErrors))]
#[get("/supported-units/{id}/participatory-procedures")]
pub async fn list_participatory(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list_participatory(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| ParticipatoryView::of(&r))))
}

create_one! {
    /// Record a participatory procedure the unit applied on its own (indicator 2).
    create_participatory: POST "/supported-units/{id}/participatory-procedures", "create_participatory_procedure", "support-projects", ParticipatoryInput => ParticipatoryView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<ParticipatoryView>(&state, &who, key, &input, async |s| use_cases::create_participatory(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a participatory procedure.
    get_participatory: GET "/participatory-procedures/{id}", "get_participatory_procedure", "support-projects", ParticipatoryView, "The procedure", Auth,
    |state, who, id| write::read::<ParticipatoryView>(use_cases::get_participatory(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a participatory procedure (JSON merge patch).
    update_participatory: PATCH "/participatory-procedures/{id}", "update_participatory_procedure", "support-projects", ParticipatoryView, "A JSON merge patch of ParticipatoryInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &ParticipatoryData| merge_patch(&ParticipatoryInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<ParticipatoryView>(&state, &who, async |s| use_cases::update_participatory(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a participatory procedure recorded by mistake.
    archive_participatory: DELETE "/participatory-procedures/{id}", "archive_participatory_procedure", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<ParticipatoryView>(&state, &who, async |s| use_cases::archive_participatory(s, *id, &if_match.0).await).await
}

// KA03 analytical findings.

/// An analytical finding of KA03.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    pub published_on: NaiveDate,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    #[serde(default)]
    pub summary: Option<String>,
}

impl FindingInput {
    fn into_data(self) -> ApiResult<FindingData> {
        self.validate()?;
        Ok(FindingData { title: self.title, published_on: self.published_on, summary: opt_text(self.summary) })
    }
    fn from_data(d: &FindingData) -> Self {
        Self { title: d.title.clone(), published_on: d.published_on, summary: d.summary.clone() }
    }
}

/// An analytical finding of a project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub support_project_id: Uuid,
    #[serde(flatten)]
    pub content: FindingInput,
}

impl Resource for FindingView {
    type Data = Finding;
    const NAME: &'static str = "analytical_finding";
    const COLLECTION: &'static str = "/api/v1/analytical-findings";
    fn of(r: &FindingRecord) -> Self {
        Self { meta: (&r.meta).into(), support_project_id: r.data.support_project_id, content: FindingInput::from_data(&r.data.data) }
    }
}

/// List a project's KA03 analytical findings, by `published_on`.
#[utoipa::path(operation_id = "list_analytical_findings", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of findings", body = ListResponse<FindingView>), ListErrors))]
#[get("/support-projects/{id}/findings")]
pub async fn list_findings(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list_findings(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| FindingView::of(&r))))
}

create_one! {
    /// Record a KA03 analytical finding.
    create_finding: POST "/support-projects/{id}/findings", "create_analytical_finding", "support-projects", FindingInput => FindingView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<FindingView>(&state, &who, key, &input, async |s| use_cases::create_finding(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get an analytical finding.
    get_finding: GET "/analytical-findings/{id}", "get_analytical_finding", "support-projects", FindingView, "The finding", Auth,
    |state, who, id| write::read::<FindingView>(use_cases::get_finding(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update an analytical finding (JSON merge patch).
    update_finding: PATCH "/analytical-findings/{id}", "update_analytical_finding", "support-projects", FindingView, "A JSON merge patch of FindingInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &FindingData| merge_patch(&FindingInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<FindingView>(&state, &who, async |s| use_cases::update_finding(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a finding recorded by mistake (documents referencing only it no longer count).
    archive_finding: DELETE "/analytical-findings/{id}", "archive_analytical_finding", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<FindingView>(&state, &who, async |s| use_cases::archive_finding(s, *id, &if_match.0).await).await
}

// KA01/KA02 documents.

/// A document of KA01 or KA02 with the KA03 findings it references.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// `ka01` or `ka02`.
    pub key_activity: DocumentActivity,
    pub kind: DocumentKind,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    pub issued_on: NaiveDate,
    /// The supported unit it was made for; none for one of the whole project.
    #[serde(default)]
    pub supported_unit_id: Option<Uuid>,
    /// The project's findings it references (indicator 3).
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    #[serde(default)]
    pub finding_ids: Vec<Uuid>,
}

impl DocumentInput {
    fn into_data(self) -> ApiResult<DocumentData> {
        self.validate()?;
        Ok(DocumentData {
            key_activity: self.key_activity,
            kind: self.kind,
            title: self.title,
            issued_on: self.issued_on,
            supported_unit_id: self.supported_unit_id,
            finding_ids: self.finding_ids,
        })
    }
    fn from_data(d: &DocumentData) -> Self {
        Self {
            key_activity: d.key_activity,
            kind: d.kind,
            title: d.title.clone(),
            issued_on: d.issued_on,
            supported_unit_id: d.supported_unit_id,
            finding_ids: d.finding_ids.clone(),
        }
    }
}

/// A KA01/KA02 document of a project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub support_project_id: Uuid,
    #[serde(flatten)]
    pub content: DocumentInput,
}

impl Resource for DocumentView {
    type Data = Document;
    const NAME: &'static str = "support_project_document";
    const COLLECTION: &'static str = "/api/v1/support-project-documents";
    fn of(r: &DocumentRecord) -> Self {
        Self { meta: (&r.meta).into(), support_project_id: r.data.support_project_id, content: DocumentInput::from_data(&r.data.data) }
    }
}

/// List a project's KA01/KA02 documents (a partner: the project's and its own units'), by `issued_on`.
#[utoipa::path(operation_id = "list_support_project_documents", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of documents", body = ListResponse<DocumentView>), ListErrors))]
#[get("/support-projects/{id}/documents")]
pub async fn list_documents(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let found = use_cases::list_documents(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| DocumentView::of(&r))))
}

create_one! {
    /// Record a KA01/KA02 document; its unit and findings must be the project's.
    create_document: POST "/support-projects/{id}/documents", "create_support_project_document", "support-projects", DocumentInput => DocumentView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<DocumentView>(&state, &who, key, &input, async |s| use_cases::create_document(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a KA01/KA02 document.
    get_document: GET "/support-project-documents/{id}", "get_support_project_document", "support-projects", DocumentView, "The document", Auth,
    |state, who, id| write::read::<DocumentView>(use_cases::get_document(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a document (JSON merge patch), e.g. the findings it references.
    update_document: PATCH "/support-project-documents/{id}", "update_support_project_document", "support-projects", DocumentView, "A JSON merge patch of DocumentInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &DocumentData| merge_patch(&DocumentInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<DocumentView>(&state, &who, async |s| use_cases::update_document(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a document recorded by mistake.
    archive_document: DELETE "/support-project-documents/{id}", "archive_support_project_document", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<DocumentView>(&state, &who, async |s| use_cases::archive_document(s, *id, &if_match.0).await).await
}

// KA04 good-practice events.

/// A KA04 good-practice transfer event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: EventKind,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    pub held_on: NaiveDate,
    /// Its length in hours, in quarter hours (e.g. 6.5), at most 24.
    pub hours: f64,
    /// Organizations of the registry or bodies named in text; never a person's name.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub presenters: Vec<Presenter>,
    /// Representatives of central bodies (ministries, the Labour Office's headquarters) attended.
    #[serde(default)]
    pub central_bodies_attended: bool,
    /// The event presented data and recommendations.
    #[serde(default)]
    pub presents_data_and_recommendations: bool,
}

impl EventInput {
    fn into_data(self) -> ApiResult<EventData> {
        self.validate()?;
        Ok(EventData {
            kind: self.kind,
            title: self.title,
            held_on: self.held_on,
            minutes: hours("hours", self.hours)?,
            presenters: self.presenters,
            central_bodies_attended: self.central_bodies_attended,
            presents_data_and_recommendations: self.presents_data_and_recommendations,
        })
    }
    fn from_data(d: &EventData) -> Self {
        Self {
            kind: d.kind,
            title: d.title.clone(),
            held_on: d.held_on,
            hours: hours_of_minutes(d.minutes),
            presenters: d.presenters.clone(),
            central_bodies_attended: d.central_bodies_attended,
            presents_data_and_recommendations: d.presents_data_and_recommendations,
        }
    }
}

/// A unit's social-inclusion manager at an event (personal data: admins and consultants only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagerAttendanceInput {
    pub supported_unit_id: Uuid,
    /// The manager, a person of the registry.
    pub person_id: Uuid,
    /// Hours attended, in quarter hours, at most the event's.
    pub hours: f64,
}

/// A KA04 event. Who attended (`attendance`) is shown to admins and consultants only; everyone
/// else reads the counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub support_project_id: Uuid,
    #[serde(flatten)]
    pub content: EventInput,
    /// The units whose manager attended.
    pub attendance_count: usize,
    /// The hours attended by all of them together.
    pub attendance_hours: f64,
    /// Each unit's manager and hours (admins and consultants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendance: Option<Vec<ManagerAttendanceInput>>,
}

impl EventView {
    fn shown(r: &EventRecord, attendees: bool) -> Self {
        let a = &r.data.attendance;
        let listed =
            |x: &Attendance| ManagerAttendanceInput { supported_unit_id: x.supported_unit_id, person_id: x.person_id, hours: hours_of_minutes(x.minutes) };
        Self {
            meta: (&r.meta).into(),
            support_project_id: r.data.support_project_id,
            content: EventInput::from_data(&r.data.data),
            attendance_count: a.len(),
            attendance_hours: hours_of_minutes(a.iter().map(|x| x.minutes).sum()),
            attendance: attendees.then(|| a.iter().map(listed).collect()),
        }
    }
}

impl Resource for EventView {
    type Data = Event;
    const NAME: &'static str = "good_practice_event";
    const COLLECTION: &'static str = "/api/v1/good-practice-events";
    /// As its writers (admins and consultants) see it.
    fn of(r: &EventRecord) -> Self {
        Self::shown(r, true)
    }
}

/// List a project's KA04 events, by `held_on`.
#[utoipa::path(operation_id = "list_good_practice_events", tag = "support-projects", params(SupportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of events", body = ListResponse<EventView>), ListErrors))]
#[get("/support-projects/{id}/events")]
pub async fn list_events(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<SupportQuery>) -> ApiResult {
    let page = query.page()?;
    let (found, attendees) = use_cases::list_events(state.store.conn(), &who, *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| EventView::shown(&r, attendees))))
}

create_one! {
    /// Record a KA04 event (its attendance follows by `POST /good-practice-events/{id}/attendance`).
    create_event: POST "/support-projects/{id}/events", "create_good_practice_event", "support-projects", EventInput => EventView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<EventView>(&state, &who, key, &input, async |s| use_cases::create_event(s, *id, || input.clone().into_data()).await).await
    }
}

/// Get a KA04 event (attendees to admins and consultants, counts to everyone).
#[utoipa::path(operation_id = "get_good_practice_event", tag = "support-projects", security(("bearer" = [])),
    responses((status = 200, description = "The event", body = EventView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/good-practice-events/{id}")]
pub async fn get_event(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let (found, attendees) = use_cases::get_event(state.store.conn(), &who, *id).await?;
    Ok(crate::http::ok_versioned(found.meta.version, &EventView::shown(&found, attendees)))
}

update_one! {
    /// Update an event (JSON merge patch); its hours may not fall below an attendance.
    update_event: PATCH "/good-practice-events/{id}", "update_good_practice_event", "support-projects", EventView, "A JSON merge patch of EventInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &EventData| merge_patch(&EventInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<EventView>(&state, &who, async |s| use_cases::update_event(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive an event recorded by mistake.
    archive_event: DELETE "/good-practice-events/{id}", "archive_good_practice_event", "support-projects", "Archived",
    |state, who, id, if_match| write::archive::<EventView>(&state, &who, async |s| use_cases::archive_event(s, *id, &if_match.0).await).await
}

/// Record a unit's social-inclusion manager at the event (replaces the unit's earlier record).
#[utoipa::path(operation_id = "record_good_practice_attendance", tag = "support-projects", request_body = ManagerAttendanceInput,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The event with the attendance", body = EventView), WriteErrors))]
#[post("/good-practice-events/{id}/attendance")]
pub async fn attend(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Json<ManagerAttendanceInput>,
) -> ApiResult {
    let input = body.into_inner();
    let a = Attendance { supported_unit_id: input.supported_unit_id, person_id: input.person_id, minutes: hours("hours", input.hours)? };
    write::act::<EventView>(&state, &who, key, "attend", &input, async |s| use_cases::attend(s, *id, &if_match.0, a).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list)
        .service(create)
        .service(get_project)
        .service(update)
        .service(archive)
        .service(indicators)
        .service(list_units)
        .service(create_unit)
        .service(get_unit)
        .service(update_unit)
        .service(archive_unit)
        .service(list_criteria)
        .service(create_criterion)
        .service(get_criterion)
        .service(update_criterion)
        .service(archive_criterion)
        .service(assess)
        .service(list_participatory)
        .service(create_participatory)
        .service(get_participatory)
        .service(update_participatory)
        .service(archive_participatory)
        .service(list_findings)
        .service(create_finding)
        .service(get_finding)
        .service(update_finding)
        .service(archive_finding)
        .service(list_documents)
        .service(create_document)
        .service(get_document)
        .service(update_document)
        .service(archive_document)
        .service(list_events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(archive_event)
        .service(attend);
}
