//! Cooperations between the Agency and partnerships (`/cooperations`), their lifecycle
//! (`start`, `hand-over`, `end`), milestones and timeline (on the templates of
//! `timeline_templates`). Not public: a cooperation is read by those who read its
//! partnership's records, and written by admins and the partnership's consultants.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::codelist::Region;
use domain::cooperation::{CooperationAction, CooperationData, CooperationRequest, CooperationStatus, Milestone, PhaseLine, Summary};
use persistence::cooperations::{Cooperation, CooperationRecord, Filter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, merge_patch, page_query};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};
use service::cooperations as use_cases;

/// What a client sets on a cooperation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CooperationInput {
    /// The partnership the Agency cooperates with (its territorial units are the partnership's).
    pub partnership_id: Uuid,
    /// The first day of month 1 of the cooperation.
    pub start_on: NaiveDate,
    /// The cooperation's length in months; defaults to the template's.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 120)]
    pub months: Option<u32>,
    /// A timeline template's code (`GET /timeline-templates`): `standard_36`, `rozvoj_systemu_24`
    /// or one an admin defined (not archived when it is set).
    pub template: String,
    /// The predefined activities committed (codes or text); the `predefined_measure` phase is
    /// on the timeline only when there are some.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub predefined_activities: Vec<String>,
    /// The Agency's consultants for this cooperation (people).
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub consultant_ids: Vec<Uuid>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl CooperationInput {
    pub(crate) fn into_request(self) -> ApiResult<CooperationRequest> {
        self.validate()?;
        Ok(CooperationRequest {
            partnership_id: self.partnership_id,
            start_on: self.start_on,
            months: self.months,
            template: self.template.trim().to_owned(),
            predefined_activities: self.predefined_activities.into_iter().map(|a| a.trim().to_owned()).collect(),
            consultant_ids: self.consultant_ids,
            note: opt_text(self.note),
        })
    }
    pub(crate) fn from_data(d: &CooperationData) -> Self {
        Self {
            partnership_id: d.partnership_id,
            start_on: d.start_on,
            months: Some(d.months),
            template: d.template.clone(),
            predefined_activities: d.predefined_activities.clone(),
            consultant_ids: d.consultant_ids.clone(),
            note: d.note.clone(),
        }
    }
}

/// A cooperation between the Agency and a partnership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CooperationView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: CooperationInput,
    /// agreed → running → handed_over | ended_early.
    pub status: CooperationStatus,
    pub started_on: Option<NaiveDate>,
    pub handed_over_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    /// Why it ended early.
    pub end_reason: Option<String>,
    /// Phases recorded explicitly (`POST /cooperations/{id}/milestones`).
    pub milestones: Vec<Milestone>,
}

impl Resource for CooperationView {
    type Data = Cooperation;
    const NAME: &'static str = "cooperation";
    const COLLECTION: &'static str = "/api/v1/cooperations";
    fn of(r: &CooperationRecord) -> Self {
        let c = &r.data;
        Self {
            meta: (&r.meta).into(),
            content: CooperationInput::from_data(&c.data),
            status: c.status,
            started_on: c.started_on,
            handed_over_on: c.handed_over_on,
            ended_on: c.ended_on,
            end_reason: c.end_reason.clone(),
            milestones: c.milestones.clone(),
        }
    }
}

/// A cooperation in a list, with its state on `as_of` when asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CooperationListItem {
    #[serde(flatten)]
    pub cooperation: CooperationView,
    /// The state on `as_of` (present when `as_of` or `late` was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Summary>,
}

page_query! {
    /// Filters of cooperations (ordered by `start_on`).
    CooperationQuery {
        partnership_id: Option<Uuid>,
        status: Option<CooperationStatus>,
        /// Only cooperations with partnerships covering a territorial unit in this region (kraj).
        region: Option<Region>,
        /// Only cooperations with a late phase on `as_of` (default today). Judged per page, so
        /// a page may hold fewer items than `limit`; follow `next_cursor`.
        late: Option<bool>,
        /// The day each item's `state` is computed for.
        as_of: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List cooperations (a partner sees only its own partnerships'); with `as_of` each carries its
/// state on that day, with `late=true` only those with a late phase.
#[utoipa::path(operation_id = "list_cooperations", tag = "cooperations", params(CooperationQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of cooperations", body = ListResponse<CooperationListItem>), ListErrors))]
#[get("/cooperations")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<CooperationQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let late = q.late.unwrap_or(false);
    let as_of = q.as_of.or_else(|| late.then(|| chrono::Utc::now().date_naive()));
    let filter =
        Filter { partnership_id: q.partnership_id, status: q.status, region: q.region, include_archived: q.include_archived.unwrap_or(false), scope: None };
    let page = use_cases::list(state.store.conn(), &who, filter, &page, as_of, late).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |(c, s)| CooperationListItem { cooperation: CooperationView::of(&c), state: s })))
}

create_one! {
    /// Agree a cooperation between the Agency and a partnership (status `agreed`).
    create: POST "/cooperations", "create_cooperation", "cooperations", CooperationInput => CooperationView,
    |state, who, key, body| {
        let input = body.into_inner();
        let partnership_id = input.partnership_id;
        write::create::<CooperationView>(&state, &who, key, &input, async |s| use_cases::create(s, partnership_id, || input.clone().into_request()).await).await
    }
}

get_one! {
    /// Get a cooperation.
    get: GET "/cooperations/{id}", "get_cooperation", "cooperations", CooperationView, "The cooperation", Auth,
    |state, who, id| write::read::<CooperationView>(use_cases::get(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a cooperation (JSON merge patch); its partnership stays.
    update: PATCH "/cooperations/{id}", "update_cooperation", "cooperations", CooperationView, "A JSON merge patch of CooperationInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &CooperationData| merge_patch(&CooperationInput::from_data(current), patch.into_inner())?.into_request();
        write::update::<CooperationView>(&state, &who, async |s| use_cases::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a cooperation entered by mistake (one that ends gets `end` instead).
    archive: DELETE "/cooperations/{id}", "archive_cooperation", "cooperations", "Archived",
    |state, who, id, if_match| write::archive::<CooperationView>(&state, &who, async |s| use_cases::archive(s, *id, &if_match.0).await).await
}

/// The day of a lifecycle step (default today).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Ending a cooperation early.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    /// Why the cooperation ends early.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// Default today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// An optional JSON body: none (or empty) is the default.
fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &web::Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request("body", "malformed", e.to_string()))
}

/// A lifecycle step as asked: the action, its name in the audit trail, its day and reason.
struct Step {
    action: CooperationAction,
    name: &'static str,
    date: Option<NaiveDate>,
    reason: Option<String>,
}

async fn step(state: &AppState, who: &domain::access::Principal, id: Uuid, if_match: IfMatch, key: IdempotencyKey, step: Step) -> ApiResult {
    let Step { action, name, date, reason } = step;
    let request = serde_json::json!({ "action": name, "date": date, "reason": reason });
    write::act::<CooperationView>(state, who, key, name, &request, async |s| use_cases::step(s, id, &if_match.0, action, date, reason).await).await
}

/// Start the cooperation (agreed → running); `date` defaults to today.
#[utoipa::path(operation_id = "start_cooperation", tag = "cooperations", request_body(content = Option<StepInput>, description = "Optional"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The cooperation, now running", body = CooperationView), WriteErrors))]
#[post("/cooperations/{id}/start")]
pub async fn start(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, key: IdempotencyKey, body: web::Bytes) -> ApiResult {
    let input: StepInput = optional_body(&body)?;
    step(&state, &who, *id, if_match, key, Step { action: CooperationAction::Start, name: "start", date: input.date, reason: None }).await
}

/// Hand the partnership's management over to the municipality (running → handed_over).
#[utoipa::path(operation_id = "hand_over_cooperation", tag = "cooperations", request_body(content = Option<StepInput>, description = "Optional"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The cooperation, now handed over", body = CooperationView), WriteErrors))]
#[post("/cooperations/{id}/hand-over")]
pub async fn hand_over(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Bytes,
) -> ApiResult {
    let input: StepInput = optional_body(&body)?;
    step(&state, &who, *id, if_match, key, Step { action: CooperationAction::HandOver, name: "hand_over", date: input.date, reason: None }).await
}

/// End the cooperation early (agreed | running → ended_early), with a reason.
#[utoipa::path(operation_id = "end_cooperation", tag = "cooperations", request_body = EndInput,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The cooperation, now ended early", body = CooperationView), WriteErrors))]
#[post("/cooperations/{id}/end")]
pub async fn end(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Json<EndInput>,
) -> ApiResult {
    let input = body.into_inner();
    input.validate()?;
    step(&state, &who, *id, if_match, key, Step { action: CooperationAction::End, name: "end", date: input.date, reason: Some(input.reason) }).await
}

/// A phase's start and/or completion recorded explicitly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    /// A phase code of the cooperation's template.
    pub phase: String,
    #[serde(default)]
    pub started_on: Option<NaiveDate>,
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

/// Record a phase's start and/or completion where the data shows no event (replaces the
/// phase's earlier milestone; a milestone's date wins over one derived from the data).
#[utoipa::path(operation_id = "record_cooperation_milestone", tag = "cooperations", request_body = MilestoneInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The cooperation with the milestone", body = CooperationView), WriteErrors))]
#[post("/cooperations/{id}/milestones")]
pub async fn milestone(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<MilestoneInput>) -> ApiResult {
    let input = body.into_inner();
    let m = Milestone { phase: input.phase.trim().to_owned(), started_on: input.started_on, completed_on: input.completed_on };
    write::act::<CooperationView>(&state, &who, key, "milestone", &input, async |s| use_cases::add_milestone(s, *id, m).await).await
}

/// The day a timeline is judged on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Default today (UTC).
    pub as_of: Option<NaiveDate>,
}

/// A cooperation's timeline on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    pub cooperation_id: Uuid,
    pub partnership_id: Uuid,
    pub template: String,
    pub start_on: NaiveDate,
    pub as_of: NaiveDate,
    /// Each phase: planned from the template, actual from the partnership's records or a
    /// milestone, and its state on `as_of`.
    pub phases: Vec<PhaseLine>,
    pub summary: Summary,
}

/// The timeline of a cooperation on `as_of` (default today): every phase's planned and actual
/// dates and state (not_started, on_time, late, done_late, done).
#[utoipa::path(operation_id = "get_cooperation_timeline", tag = "cooperations", params(TimelineQuery), security(("bearer" = [])),
    responses((status = 200, description = "The timeline", body = TimelineView,
        headers(("Link" = String, description = "RFC 8288: the timeline's Gantt chart, `</api/v1/cooperations/{id}/timeline.svg>; rel=\"alternate\"; type=\"image/svg+xml\"`"))), ReadErrors))]
#[get("/cooperations/{id}/timeline")]
pub async fn timeline(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<TimelineQuery>) -> ApiResult {
    let as_of = query.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (c, phases, summary) = use_cases::timeline(state.store.conn(), &who, *id, as_of).await?;
    let chart = format!("/api/v1/cooperations/{id}/timeline.svg");
    Ok(HttpResponse::Ok().insert_header(super::views::alternate(&[(&chart, super::views::SVG)])).json_body(TimelineView {
        cooperation_id: c.meta.id,
        partnership_id: c.data.data.partnership_id,
        template: c.data.data.template.clone(),
        start_on: c.data.data.start_on,
        as_of,
        phases,
        summary,
    }))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(archive)
        .service(start)
        .service(hand_over)
        .service(end)
        .service(milestone)
        .service(timeline);
}
