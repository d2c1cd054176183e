//! Strategic plans: `/partnerships/{id}/strategic-plans`, `/strategic-plans`, the lifecycle
//! actions (submit, withdraw, approve-by-council, approve-by-assembly, expire, revise),
//! `versions`, `diff`, `fulfilment` and `evaluations`. Approved plans (in force, superseded,
//! expired) are public; drafts and plans awaiting approval are visible to the partnership.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use domain::access::Principal;
use domain::codelist::PlanStatus;
use domain::diff::{FieldChange, ItemsDiff, diff_items};
use domain::fulfilment::Fulfilment;
use domain::plan::{Approval, PlanData};
use persistence::plans::{Plan, PlanFilter, PlanRecord};
use serde::{Deserialize, Serialize};
use service::plans::{self, StepRecord};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, views};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, PageQuery, list_query, merge_patch};
use crate::routes::goals::GoalView;
use crate::routes::measures::MeasureView;
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};

/// What a client sets on a strategic plan (while it is a draft).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Strategický plán sociálního začleňování Mikroregionu Rozvodí 2019–2022")]
    pub title: String,
    pub valid_from: NaiveDate,
    /// Not before `valid_from`.
    pub valid_to: NaiveDate,
    /// The situational analysis the plan builds on.
    #[serde(default)]
    pub analysis_id: Option<Uuid>,
}

impl PlanInput {
    fn into_data(self, partnership_id: Uuid) -> ApiResult<PlanData> {
        self.validate()?;
        Ok(PlanData {
            partnership_id,
            title: self.title.trim().to_owned(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            analysis_id: self.analysis_id,
        }
        .validate()?)
    }
    fn from_data(d: &PlanData) -> Self {
        Self { title: d.title.clone(), valid_from: d.valid_from, valid_to: d.valid_to, analysis_id: d.analysis_id }
    }
}

/// A strategic plan (one version of it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    /// draft → submitted → council_approved → in_force → superseded / expired.
    pub status: PlanStatus,
    /// Shared by every version of the plan (the id of version 1).
    pub lineage_id: Uuid,
    /// 1 for the first plan, +1 for each revision.
    pub version_number: i32,
    /// The version this one revises.
    pub predecessor_id: Option<Uuid>,
    pub submitted_on: Option<NaiveDate>,
    /// The municipal council's approval (rada).
    pub council_approval: Option<Approval>,
    /// The municipal assembly's approval (zastupitelstvo): the plan is in force from then.
    pub assembly_approval: Option<Approval>,
    /// When the plan stopped being in force (superseded or expired).
    pub ended_on: Option<NaiveDate>,
    #[serde(flatten)]
    pub content: PlanInput,
}

impl From<&PlanRecord> for PlanView {
    fn from(r: &PlanRecord) -> Self {
        let p = &r.data;
        Self {
            meta: (&r.meta).into(),
            partnership_id: p.data.partnership_id,
            status: p.status,
            lineage_id: p.lineage_id,
            version_number: p.version_number,
            predecessor_id: p.predecessor_id,
            submitted_on: p.submitted_on,
            council_approval: p.council_approval.clone(),
            assembly_approval: p.assembly_approval.clone(),
            ended_on: p.ended_on,
            content: PlanInput::from_data(&p.data),
        }
    }
}

/// Whether the caller may see the plan: approved plans are public.
impl Resource for PlanView {
    type Data = Plan;
    const NAME: &'static str = "strategic_plan";
    const COLLECTION: &'static str = "/api/v1/strategic-plans";
    fn of(record: &PlanRecord) -> Self {
        Self::from(record)
    }
}

list_query! {
    /// Filters of plans across partnerships.
    PlanQuery {
        partnership_id: Option<Uuid>,
        status: Option<PlanStatus>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of a partnership's plans.
    PartnershipPlanQuery {
        status: Option<PlanStatus>,
        include_archived: Option<bool>,
    }
}

fn scope(who: Option<&Principal>) -> Option<Vec<Uuid>> {
    match who {
        None => Some(Vec::new()),
        Some(w) => w.readable_partnerships().map(<[Uuid]>::to_vec),
    }
}

/// List a partnership's plans (every version). Sortable by `title`, `valid_from`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_partnership_strategic_plans", tag = "strategic-plans", params(PartnershipPlanQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of plans", body = ListResponse<PlanView>), ListErrors))]
#[get("/partnerships/{id}/strategic-plans")]
pub async fn list_of_partnership(
    state: web::Data<AppState>,
    MaybeAuth(who): MaybeAuth,
    id: web::Path<Uuid>,
    query: web::Query<PartnershipPlanQuery>,
) -> ApiResult {
    let page = query.page()?;
    service::partnerships::require(state.store.conn(), *id).await?;
    let filter =
        PlanFilter { partnership_id: Some(*id), status: query.status, include_archived: query.include_archived.unwrap_or(false), scope: scope(who.as_ref()) };
    let page = persistence::plans::list_plans(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| PlanView::from(&r))))
}

/// List plans across partnerships; without a token only approved plans.
#[utoipa::path(operation_id = "list_strategic_plans", tag = "strategic-plans", params(PlanQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of plans", body = ListResponse<PlanView>), ListErrors))]
#[get("/strategic-plans")]
pub async fn list(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, query: web::Query<PlanQuery>) -> ApiResult {
    let page = query.page()?;
    let filter = PlanFilter {
        partnership_id: query.partnership_id,
        status: query.status,
        include_archived: query.include_archived.unwrap_or(false),
        scope: scope(who.as_ref()),
    };
    let page = persistence::plans::list_plans(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| PlanView::from(&r))))
}

create_one! {
    /// Start a new strategic plan (version 1, a draft).
    create: POST "/partnerships/{id}/strategic-plans", "create_partnership_strategic_plan", "strategic-plans", PlanInput => PlanView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<PlanView>(&state, &who, key, &input, async |s| plans::create(s, *id, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get a plan.
    get: GET "/strategic-plans/{id}", "get_strategic_plan", "strategic-plans", PlanView, "The plan", MaybeAuth,
    |state, who, id| write::read::<PlanView>(plans::get(state.store.conn(), who.as_ref(), *id).await)
}

update_one! {
    /// Update a draft plan (JSON merge patch); any other status is 409 — revise a plan in force.
    update: PATCH "/strategic-plans/{id}", "update_strategic_plan", "strategic-plans", PlanView, "A JSON merge patch of PlanInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &PlanData| merge_patch(&PlanInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<PlanView>(&state, &who, async |s| plans::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a draft plan (approved plans are history and stay).
    archive: DELETE "/strategic-plans/{id}", "archive_strategic_plan", "strategic-plans", "Archived",
    |state, who, id, if_match| write::archive::<PlanView>(&state, &who, async |s| plans::archive(s, *id, &if_match.0).await).await
}

/// The optional body of `submit` and `expire`: the day of the step (default today).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDate {
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &web::Bytes) -> ApiResult<T> {
    let value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request("body", "malformed", format!("the JSON body could not be read: {e}")))?
    };
    if value.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request("body", "malformed", format!("the JSON body could not be read: {e}")))
}

/// A lifecycle step, answered with the plan after it; `request` is what a retry must repeat.
async fn act(state: &AppState, who: &Principal, id: Uuid, key: IdempotencyKey, if_match: IfMatch, step: StepRecord, request: &impl Serialize) -> ApiResult {
    let action = step.action().name();
    write::act::<PlanView>(state, who, key, action, request, async |s| plans::take_step(s, id, &if_match.0, step).await).await
}

/// Submit a draft to the municipal council (draft → submitted). Body optional: `{"date": …}`.
#[utoipa::path(operation_id = "submit_strategic_plan", tag = "strategic-plans", request_body(content = Option<StepDate>, description = "Optional: the day of submission (default today)"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, now submitted", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/submit")]
pub async fn submit(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch, body: web::Bytes) -> ApiResult {
    let step: StepDate = optional_body(&body)?;
    let on = step.date.unwrap_or_else(|| Utc::now().date_naive());
    act(&state, &who, *id, key, if_match, StepRecord::Submit { on }, &step).await
}

/// Return a submitted plan to draft for changes (submitted → draft).
#[utoipa::path(operation_id = "withdraw_strategic_plan", tag = "strategic-plans", params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, a draft again", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/withdraw")]
pub async fn withdraw(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch) -> ApiResult {
    act(&state, &who, *id, key, if_match, StepRecord::Withdraw, &"withdraw").await
}

/// Record the municipal council's approval (submitted → council_approved).
#[utoipa::path(operation_id = "approve_strategic_plan_by_council", tag = "strategic-plans", request_body = Approval,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, approved by the council", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/approve-by-council")]
pub async fn approve_by_council(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    if_match: IfMatch,
    body: web::Json<Approval>,
) -> ApiResult {
    let approval = body.into_inner();
    act(&state, &who, *id, key, if_match, StepRecord::ApproveByCouncil(approval.clone()), &approval).await
}

/// Record the municipal assembly's approval: the plan comes into force (council_approved →
/// in_force) and supersedes the version it revises. Another plan in force is a conflict.
#[utoipa::path(operation_id = "approve_strategic_plan_by_assembly", tag = "strategic-plans", request_body = Approval,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, now in force", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/approve-by-assembly")]
pub async fn approve_by_assembly(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    if_match: IfMatch,
    body: web::Json<Approval>,
) -> ApiResult {
    let approval = body.into_inner();
    act(&state, &who, *id, key, if_match, StepRecord::ApproveByAssembly(approval.clone()), &approval).await
}

/// End a plan in force without a successor (in_force → expired). Body optional: `{"date": …}`.
#[utoipa::path(operation_id = "expire_strategic_plan", tag = "strategic-plans", request_body(content = Option<StepDate>, description = "Optional: the last day (default today)"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, now expired", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/expire")]
pub async fn expire(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch, body: web::Bytes) -> ApiResult {
    let step: StepDate = optional_body(&body)?;
    let on = step.date.unwrap_or_else(|| Utc::now().date_naive());
    act(&state, &who, *id, key, if_match, StepRecord::Expire { on }, &step).await
}

/// Revise a plan in force: creates the next version as a draft with a copy of all goals and
/// measures. It supersedes this version once the assembly approves it.
#[utoipa::path(operation_id = "revise_strategic_plan", tag = "strategic-plans", params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "The new draft version", body = PlanView, headers(("Location" = String, description = "URL of the new version"))), WriteErrors))]
#[post("/strategic-plans/{id}/revise")]
pub async fn revise(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey) -> ApiResult {
    write::create::<PlanView>(&state, &who, key, &"revise", async |s| plans::revise(s, *id).await).await
}

/// Every version of this plan, oldest first (those the caller may see).
#[utoipa::path(operation_id = "list_strategic_plan_versions", tag = "strategic-plans", security((), ("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "The versions", body = ListResponse<PlanView>), ListErrors))]
#[get("/strategic-plans/{id}/versions")]
pub async fn versions(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>, query: web::Query<PageQuery>) -> ApiResult {
    let request = query.page()?;
    let plan = plans::get(state.store.conn(), who.as_ref(), *id).await?;
    let all = persistence::plans::versions(state.store.conn(), plan.data.lineage_id).await?;
    let views: Vec<PlanView> = all.iter().filter(|p| plans::visible(who.as_ref(), p)).map(PlanView::from).collect();
    // Version numbers are zero-padded so that the text key orders them numerically.
    let page = persistence::page::in_memory(views, "plan-versions", |v: &PlanView| format!("{:010}", v.version_number), &request)?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |v| v)))
}

/// Which versions to compare.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version number (default: the version this one revises).
    pub from: Option<i32>,
    /// The newer version number (default: this plan's version).
    pub to: Option<i32>,
}

/// One side of a diff.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffSide {
    pub plan_id: Uuid,
    pub version_number: i32,
    pub status: PlanStatus,
}

/// What changed between two versions of a plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDiff {
    pub from: DiffSide,
    pub to: DiffSide,
    /// Changes of the plan's own fields (title, validity, analysis).
    pub plan: Vec<FieldChange>,
    /// Goals matched by code.
    pub goals: ItemsDiff,
    /// Measures and activities matched by code, with field-level changes.
    pub measures: ItemsDiff,
}

async fn comparable(conn: &impl persistence::Conn, plan: &PlanRecord) -> ApiResult<(Vec<(String, serde_json::Value)>, Vec<(String, serde_json::Value)>)> {
    let goals = persistence::plans::goals_of(conn, plan.meta.id).await?;
    let measures = persistence::plans::measures_of(conn, plan.meta.id).await?;
    let goal_code = |id: Option<Uuid>| id.and_then(|id| goals.iter().find(|g| g.meta.id == id)).map(|g| g.data.1.code.clone());
    let measure_code = |id: Option<Uuid>| id.and_then(|id| measures.iter().find(|m| m.meta.id == id)).map(|m| m.data.data.code.clone());
    let to_json = |value: serde_json::Result<serde_json::Value>| value.unwrap_or_default();
    let goal_items = goals
        .iter()
        .map(|g| {
            let mut v = to_json(serde_json::to_value(GoalView::from(g).content));
            if let Some(obj) = v.as_object_mut() {
                obj.remove("parent_goal_id");
                obj.insert("parent_goal_code".into(), serde_json::json!(goal_code(g.data.1.parent_goal_id)));
            }
            (g.data.1.code.clone(), v)
        })
        .collect();
    let measure_items = measures
        .iter()
        .map(|m| {
            let mut v = to_json(serde_json::to_value(MeasureView::from(m).content));
            if let Some(obj) = v.as_object_mut() {
                obj.remove("goal_id");
                obj.remove("parent_measure_id");
                obj.insert("goal_code".into(), serde_json::json!(goal_code(Some(m.data.data.goal_id))));
                obj.insert("parent_measure_code".into(), serde_json::json!(measure_code(m.data.data.parent_measure_id)));
            }
            (m.data.data.code.clone(), v)
        })
        .collect();
    Ok((goal_items, measure_items))
}

/// What changed between two versions of this plan: goals and measures matched by code, with
/// field-level changes.
#[utoipa::path(operation_id = "get_strategic_plan_diff", tag = "strategic-plans", params(DiffQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "The differences", body = PlanDiff), ReadErrors))]
#[get("/strategic-plans/{id}/diff")]
pub async fn diff(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>, query: web::Query<DiffQuery>) -> ApiResult {
    Ok(HttpResponse::Ok().json_body(plan_diff(state.store.conn(), who.as_ref(), *id, &query).await?))
}

/// The differences between two versions the caller may see (by default this one and the
/// version it revises), as the wire shows their content.
async fn plan_diff(conn: &impl persistence::Conn, who: Option<&Principal>, id: Uuid, query: &DiffQuery) -> ApiResult<PlanDiff> {
    let plan = plans::get(conn, who, id).await?;
    let all = persistence::plans::versions(conn, plan.data.lineage_id).await?;
    let find = |n: i32, field: &str| {
        all.iter()
            .find(|p| p.data.version_number == n && p.meta.archived_at.is_none())
            .filter(|p| plans::visible(who, p))
            .cloned()
            .ok_or_else(|| ApiError::bad_request(field, "unknown_version", format!("this plan has no version {n} visible to you")))
    };
    let to = find(query.to.unwrap_or(plan.data.version_number), "to")?;
    // By default: the version this one revises.
    let from_number = match (query.from, to.data.predecessor_id) {
        (Some(n), _) => n,
        (None, Some(pred)) => all.iter().find(|p| p.meta.id == pred).map_or(to.data.version_number - 1, |p| p.data.version_number),
        (None, None) => return Err(ApiError::bad_request("from", "required", "version 1 revises nothing: name `from` and `to`")),
    };
    let from = find(from_number, "from")?;
    let (from_goals, from_measures) = comparable(conn, &from).await?;
    let (to_goals, to_measures) = comparable(conn, &to).await?;
    let plan_fields = diff_items(
        &[("plan".to_owned(), serde_json::to_value(PlanInput::from_data(&from.data.data)).unwrap_or_default())],
        &[("plan".to_owned(), serde_json::to_value(PlanInput::from_data(&to.data.data)).unwrap_or_default())],
    );
    let body = PlanDiff {
        from: DiffSide { plan_id: from.meta.id, version_number: from.data.version_number, status: from.data.status },
        to: DiffSide { plan_id: to.meta.id, version_number: to.data.version_number, status: to.data.status },
        plan: plan_fields.changed.into_iter().flat_map(|c| c.changes).collect(),
        goals: diff_items(&from_goals, &to_goals),
        measures: diff_items(&from_measures, &to_measures),
    };
    Ok(body)
}

/// The day to judge fulfilment on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Default today (UTC).
    pub as_of: Option<NaiveDate>,
}

/// The plan's fulfilment as of a day: counts by status, the completed share, overdue
/// measures, indicator attainment, and progress rolled up per goal and thematic area.
///
/// Roll-up rules: only measures count (activities are steps inside them); a measure's
/// progress is 100 % when completed, else its latest `percent_done`; a measure never reported
/// counts as 0 % and as `unreported`; cancelled measures are left out of progress and of the
/// completed share; a goal covers the measures of its sub-goals, each once; progress is
/// weighted by estimated budget when every counted measure has one, else a plain average.
///
/// Indicators: an indicator's actual value is, when values per period were reported
/// (`/measures/{id}/indicators/{key}/values`), the latest period's value ended by `as_of`
/// (`cumulative`) or the sum of the periods ended by `as_of` (`flow`); otherwise the latest
/// value named in a progress report. Attainment is (actual − baseline) / (target − baseline)
/// clamped to 0–100 %. A goal's and a thematic area's `indicator_attainment` is the plain
/// average of the attainments of its measures' indicators (a goal's sub-goals included, each
/// indicator once); indicators without a computable attainment are left out, and with none
/// left it is `null`.
#[utoipa::path(operation_id = "get_strategic_plan_fulfilment", tag = "strategic-plans", params(AsOfQuery), security(("bearer" = [])),
    responses((status = 200, description = "The fulfilment", body = Fulfilment,
        headers(("Link" = String, description = "RFC 8288: the plan's fulfilment chart and monitoring page, `</api/v1/strategic-plans/{id}/fulfilment.svg>; rel=\"alternate\"; type=\"image/svg+xml\", </api/v1/strategic-plans/{id}/report>; rel=\"alternate\"; type=\"text/html\"`"))), ReadErrors))]
#[get("/strategic-plans/{id}/fulfilment")]
pub async fn fulfilment(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<AsOfQuery>) -> ApiResult {
    let as_of = query.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let fulfilment = plans::fulfilment(state.store.conn(), &who, *id, as_of).await?;
    let (chart, page) = (format!("/api/v1/strategic-plans/{id}/fulfilment.svg"), format!("/api/v1/strategic-plans/{id}/report"));
    Ok(HttpResponse::Ok().insert_header(views::alternate(&[(&chart, views::SVG), (&page, views::HTML)])).json_body(fulfilment))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_of_partnership)
        .service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(archive)
        .service(submit)
        .service(withdraw)
        .service(approve_by_council)
        .service(approve_by_assembly)
        .service(expire)
        .service(revise)
        .service(versions)
        .service(diff)
        .service(fulfilment);
    super::evaluations::configure(cfg);
}
