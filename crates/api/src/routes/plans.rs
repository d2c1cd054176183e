//! Strategic plans: `/partnerships/{id}/strategic-plans`, `/strategic-plans`, the lifecycle
//! actions (submit, withdraw, approve-by-council, approve-by-assembly, expire, revise),
//! `versions`, `diff`, `fulfilment` and `evaluations`. Approved plans (in force, superseded,
//! expired) are public; drafts and plans awaiting approval are visible to the partnership.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use domain::access::Principal;
use domain::codelist::PlanStatus;
use domain::diff::{FieldChange, ItemsDiff, diff_items};
use domain::fulfilment::{Fulfilment, compute};
use domain::partnership::Activity;
use domain::plan::{Approval, PlanAction, PlanData, check_step_date, ensure_draft, ensure_enters_within_validity, ensure_revisable, is_public, transition};
use persistence::plans::{self, PlanFilter, PlanRecord, StatusChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::MetaView;
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, Begun, IdempotencyKey, IfMatch, ListResponse, PageQuery, Unit, guard_partnership_read, list_query, merge_patch, ok_versioned};
use crate::routes::measures::{GoalView, MeasureView};
use crate::routes::partnerships::{ensure_may_decide, ensure_may_write, permits, require};

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
pub(crate) fn visible(who: Option<&Principal>, plan: &PlanRecord) -> bool {
    is_public(plan.data.status) || who.is_some_and(|w| w.may_read_partnership(plan.data.data.partnership_id))
}

/// Loads a plan the caller may see (404 otherwise).
pub(crate) async fn visible_plan(conn: &impl persistence::ConnectionTrait, who: Option<&Principal>, id: Uuid) -> ApiResult<PlanRecord> {
    let plan = plans::get_plan(conn, id).await?;
    if visible(who, &plan) { Ok(plan) } else { Err(ApiError::NotFound) }
}

/// Loads a plan the caller may change: 404 when invisible, 403 when only visible.
pub(crate) async fn writable_plan(conn: &impl persistence::ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<PlanRecord> {
    let plan = visible_plan(conn, Some(who), id).await?;
    ensure_may_write(who, plan.data.data.partnership_id)?;
    if plan.meta.archived_at.is_some() {
        return Err(ApiError::Conflict { detail: "the plan is archived; it can no longer change".into(), errors: vec![] });
    }
    // Every write on a plan, its goals and measures, its lifecycle and evaluations passes here.
    permits(conn, plan.data.data.partnership_id, Activity::Planning).await?;
    Ok(plan)
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
    require(state.store.conn(), *id).await?;
    let filter =
        PlanFilter { partnership_id: Some(*id), status: query.status, include_archived: query.include_archived.unwrap_or(false), scope: scope(who.as_ref()) };
    let page = plans::list_plans(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| PlanView::from(&r))))
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
    let page = plans::list_plans(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| PlanView::from(&r))))
}

/// Start a new strategic plan (version 1, a draft).
#[utoipa::path(operation_id = "create_partnership_strategic_plan", tag = "strategic-plans", request_body = PlanInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PlanView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/partnerships/{id}/strategic-plans")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<PlanInput>) -> ApiResult {
    require(state.store.conn(), *id).await?;
    ensure_may_write(&who, *id)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), *id, Activity::Planning).await?;
    let created = plans::create_plan(unit.tx(), input.into_data(*id)?).await?;
    let view = PlanView::from(&created);
    unit.created("strategic_plan", created.meta.id, created.meta.version, format!("/api/v1/strategic-plans/{}", created.meta.id), &view).await
}

/// Get a plan.
#[utoipa::path(operation_id = "get_strategic_plan", tag = "strategic-plans", security((), ("bearer" = [])),
    responses((status = 200, description = "The plan", body = PlanView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/strategic-plans/{id}")]
pub async fn get(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    let plan = visible_plan(state.store.conn(), who.as_ref(), *id).await?;
    Ok(ok_versioned(plan.meta.version, &PlanView::from(&plan)))
}

/// Update a draft plan (JSON merge patch); any other status is 409 — revise a plan in force.
#[utoipa::path(operation_id = "update_strategic_plan", tag = "strategic-plans", request_body(content = serde_json::Value, description = "A JSON merge patch of PlanInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = PlanView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/strategic-plans/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = writable_plan(unit.tx().conn(), &who, *id).await?;
    let data = merge_patch(&PlanInput::from_data(&current.data.data), patch.into_inner())?.into_data(current.data.data.partnership_id)?;
    if_match.check(current.meta.version)?;
    ensure_draft(current.data.status)?;
    let updated = plans::update_plan(unit.tx(), &current, data).await?;
    unit.changed("update", "strategic_plan", current.meta.id, updated.meta.version, &PlanView::from(&current), &PlanView::from(&updated)).await
}

/// Archive a draft plan (approved plans are history and stay).
#[utoipa::path(operation_id = "archive_strategic_plan", tag = "strategic-plans", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/strategic-plans/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = writable_plan(unit.tx().conn(), &who, *id).await?;
    if_match.check(current.meta.version)?;
    ensure_draft(current.data.status)?;
    let archived = plans::archive_plan(unit.tx(), &current).await?;
    unit.archived("strategic_plan", current.meta.id, &PlanView::from(&current), &PlanView::from(&archived)).await
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

/// A lifecycle step: the action, what it records, and the request body it came with.
struct Step<B> {
    action: PlanAction,
    change: StatusChange,
    body: B,
}

async fn act<B: Serialize>(state: &AppState, who: &Principal, id: Uuid, key: IdempotencyKey, if_match: IfMatch, step: Step<B>) -> ApiResult {
    let Step { action, change, body } = step;
    let plan = writable_plan(state.store.conn(), who, id).await?;
    ensure_may_decide(who, plan.data.data.partnership_id)?;
    let unit = match Unit::begin_post(state, who, key, &body).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let current = writable_plan(unit.tx().conn(), who, id).await?;
    if_match.check(current.meta.version)?;
    let next = transition(current.data.status, action)?;
    for approval in change.council.iter().chain(change.assembly.iter()) {
        approval.validate(None)?;
    }
    // No step is dated in the future, and each comes after the step before it.
    let previous = match action {
        PlanAction::ApproveByCouncil => current.data.submitted_on,
        PlanAction::ApproveByAssembly => current.data.council_approval.as_ref().map(|a| a.date),
        PlanAction::Expire => current.data.assembly_approval.as_ref().map(|a| a.date),
        PlanAction::Submit | PlanAction::Withdraw => None,
    };
    let predecessor_approved_on = match (action, current.data.predecessor_id) {
        (PlanAction::ApproveByAssembly, Some(p)) => plans::get_plan(unit.tx().conn(), p).await?.data.assembly_approval.map(|a| a.date),
        _ => None,
    };
    let step_day = change.submitted_on.or(change.council.as_ref().map(|a| a.date)).or(change.assembly.as_ref().map(|a| a.date)).or(change.ended_on);
    if let Some(day) = step_day {
        check_step_date(day, Utc::now().date_naive(), "date", previous, predecessor_approved_on)?;
    }
    if let Some(assembly) = &change.assembly {
        ensure_enters_within_validity(assembly.date, current.data.data.valid_to)?;
    }
    let mut updated = plans::set_plan_status(unit.tx(), &current, next, change).await?;
    // Approved after its validity had ended: it is never in force past it, so it expires at once.
    if action == PlanAction::ApproveByAssembly
        && let Some(expired) = plans::expire_if_lapsed(unit.tx(), &updated, Utc::now().date_naive()).await?
    {
        updated = expired;
    }
    unit.changed(action.name(), "strategic_plan", id, updated.meta.version, &PlanView::from(&current), &PlanView::from(&updated)).await
}

/// Submit a draft to the municipal council (draft → submitted). Body optional: `{"date": …}`.
#[utoipa::path(operation_id = "submit_strategic_plan", tag = "strategic-plans", request_body(content = Option<StepDate>, description = "Optional: the day of submission (default today)"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, now submitted", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/submit")]
pub async fn submit(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch, body: web::Bytes) -> ApiResult {
    let step: StepDate = optional_body(&body)?;
    let change = StatusChange { submitted_on: Some(step.date.unwrap_or_else(|| Utc::now().date_naive())), ..Default::default() };
    act(&state, &who, *id, key, if_match, Step { action: PlanAction::Submit, change, body: step }).await
}

/// Return a submitted plan to draft for changes (submitted → draft).
#[utoipa::path(operation_id = "withdraw_strategic_plan", tag = "strategic-plans", params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, a draft again", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/withdraw")]
pub async fn withdraw(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch) -> ApiResult {
    act(&state, &who, *id, key, if_match, Step { action: PlanAction::Withdraw, change: StatusChange { reset: true, ..Default::default() }, body: "withdraw" })
        .await
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
    act(
        &state,
        &who,
        *id,
        key,
        if_match,
        Step { action: PlanAction::ApproveByCouncil, change: StatusChange { council: Some(approval.clone()), ..Default::default() }, body: approval },
    )
    .await
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
    act(
        &state,
        &who,
        *id,
        key,
        if_match,
        Step { action: PlanAction::ApproveByAssembly, change: StatusChange { assembly: Some(approval.clone()), ..Default::default() }, body: approval },
    )
    .await
}

/// End a plan in force without a successor (in_force → expired). Body optional: `{"date": …}`.
#[utoipa::path(operation_id = "expire_strategic_plan", tag = "strategic-plans", request_body(content = Option<StepDate>, description = "Optional: the last day (default today)"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The plan, now expired", body = PlanView), WriteErrors))]
#[post("/strategic-plans/{id}/expire")]
pub async fn expire(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch, body: web::Bytes) -> ApiResult {
    let step: StepDate = optional_body(&body)?;
    let change = StatusChange { ended_on: Some(step.date.unwrap_or_else(|| Utc::now().date_naive())), ..Default::default() };
    act(&state, &who, *id, key, if_match, Step { action: PlanAction::Expire, change, body: step }).await
}

/// Revise a plan in force: creates the next version as a draft with a copy of all goals and
/// measures. It supersedes this version once the assembly approves it.
#[utoipa::path(operation_id = "revise_strategic_plan", tag = "strategic-plans", params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "The new draft version", body = PlanView, headers(("Location" = String, description = "URL of the new version"))), WriteErrors))]
#[post("/strategic-plans/{id}/revise")]
pub async fn revise(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey) -> ApiResult {
    let plan = writable_plan(state.store.conn(), &who, *id).await?;
    ensure_may_decide(&who, plan.data.data.partnership_id)?;
    let unit = match Unit::begin_post(&state, &who, key, &"revise").await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let current = writable_plan(unit.tx().conn(), &who, *id).await?;
    ensure_revisable(current.data.status)?;
    let created = plans::revise(unit.tx(), &current).await?;
    let view = PlanView::from(&created);
    unit.created("strategic_plan", created.meta.id, created.meta.version, format!("/api/v1/strategic-plans/{}", created.meta.id), &view).await
}

/// Every version of this plan, oldest first (those the caller may see).
#[utoipa::path(operation_id = "list_strategic_plan_versions", tag = "strategic-plans", security((), ("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "The versions", body = ListResponse<PlanView>), ListErrors))]
#[get("/strategic-plans/{id}/versions")]
pub async fn versions(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>, query: web::Query<PageQuery>) -> ApiResult {
    let request = query.page()?;
    let plan = visible_plan(state.store.conn(), who.as_ref(), *id).await?;
    let all = plans::versions(state.store.conn(), plan.data.lineage_id).await?;
    let views: Vec<PlanView> = all.iter().filter(|p| visible(who.as_ref(), p)).map(PlanView::from).collect();
    // Version numbers are zero-padded so that the text key orders them numerically.
    let page = persistence::page::in_memory(views, "plan-versions", |v: &PlanView| format!("{:010}", v.version_number), &request)?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |v| v)))
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

async fn comparable(
    conn: &impl persistence::ConnectionTrait,
    plan: &PlanRecord,
) -> ApiResult<(Vec<(String, serde_json::Value)>, Vec<(String, serde_json::Value)>)> {
    let goals = plans::goals_of(conn, plan.meta.id).await?;
    let measures = plans::measures_of(conn, plan.meta.id).await?;
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
    let conn = state.store.conn();
    let plan = visible_plan(conn, who.as_ref(), *id).await?;
    let all = plans::versions(conn, plan.data.lineage_id).await?;
    let find = |n: i32, field: &str| {
        all.iter()
            .find(|p| p.data.version_number == n && p.meta.archived_at.is_none())
            .filter(|p| visible(who.as_ref(), p))
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
    Ok(HttpResponse::Ok().json(body))
}

/// The day to judge fulfilment on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Default today (UTC).
    pub as_of: Option<NaiveDate>,
}

pub(crate) async fn fulfilment_of(conn: &impl persistence::ConnectionTrait, plan: &PlanRecord, as_of: NaiveDate) -> ApiResult<Fulfilment> {
    let (goals, mut measures) = plans::fulfilment_input(conn, plan.meta.id, as_of).await?;
    // Indicators with values per period: the actual value follows their aggregation.
    let series = persistence::indicators::series_of_plan(conn, plan.meta.id).await?;
    domain::indicator::apply_series(&mut measures, &series, as_of);
    Ok(compute(&goals, &measures, as_of))
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
    responses((status = 200, description = "The fulfilment", body = Fulfilment), ReadErrors))]
#[get("/strategic-plans/{id}/fulfilment")]
pub async fn fulfilment(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<AsOfQuery>) -> ApiResult {
    let plan = plans::get_plan(state.store.conn(), *id).await?;
    guard_partnership_read(&who, plan.data.data.partnership_id)?;
    let as_of = query.as_of.unwrap_or_else(|| Utc::now().date_naive());
    Ok(HttpResponse::Ok().json(fulfilment_of(state.store.conn(), &plan, as_of).await?))
}

// --- evaluations ------------------------------------------------------------------------------

/// What an evaluator sends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// The day the fulfilment is frozen at (default today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    #[validate(length(min = 1, max = 100000))]
    #[schema(min_length = 1, max_length = 100000)]
    pub narrative: String,
    #[validate(length(max = 100000))]
    #[schema(max_length = 100000)]
    #[serde(default)]
    pub recommendations: Option<String>,
}

/// An evaluation: the plan's fulfilment frozen at a day, with a narrative. It never changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub as_of: NaiveDate,
    pub narrative: String,
    pub recommendations: Option<String>,
    /// The fulfilment as computed when the evaluation was made.
    #[schema(value_type = Fulfilment)]
    pub fulfilment: serde_json::Value,
    pub created_by: String,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<plans::Evaluation> for EvaluationView {
    fn from(e: plans::Evaluation) -> Self {
        Self {
            id: e.id,
            plan_id: e.plan_id,
            as_of: e.as_of,
            narrative: e.narrative,
            recommendations: e.recommendations,
            fulfilment: e.fulfilment,
            created_by: e.created_by,
            created_at: e.created_at,
        }
    }
}

list_query! {
    /// Paging of a plan's evaluations.
    EvaluationQuery {}
}

/// List a plan's evaluations. Sortable by `as_of`, `created_at` (default).
#[utoipa::path(operation_id = "list_strategic_plan_evaluations", tag = "strategic-plans", params(EvaluationQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of evaluations", body = ListResponse<EvaluationView>), ListErrors))]
#[get("/strategic-plans/{id}/evaluations")]
pub async fn list_evaluations(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<EvaluationQuery>) -> ApiResult {
    let page = query.page()?;
    let plan = plans::get_plan(state.store.conn(), *id).await?;
    guard_partnership_read(&who, plan.data.data.partnership_id)?;
    let page = plans::list_evaluations(state.store.conn(), *id, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, EvaluationView::from)))
}

/// Evaluate an approved plan: freezes its fulfilment at `as_of` with a narrative and
/// recommendations (the review of months 19–22 of the cooperation, before a revision).
#[utoipa::path(operation_id = "create_strategic_plan_evaluation", tag = "strategic-plans", request_body = EvaluationInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = EvaluationView, headers(("Location" = String, description = "URL of the evaluation"))), WriteErrors))]
#[post("/strategic-plans/{id}/evaluations")]
pub async fn create_evaluation(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: web::Json<EvaluationInput>,
) -> ApiResult {
    let plan = writable_plan(state.store.conn(), &who, *id).await?;
    ensure_may_decide(&who, plan.data.data.partnership_id)?;
    let input = body.into_inner();
    input.validate()?;
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let plan = writable_plan(unit.tx().conn(), &who, *id).await?;
    if !is_public(plan.data.status) {
        return Err(ApiError::Conflict { detail: "only an approved plan (in force, superseded or expired) is evaluated".into(), errors: vec![] });
    }
    permits(unit.tx().conn(), plan.data.data.partnership_id, Activity::Monitoring).await?;
    let today = Utc::now().date_naive();
    let as_of = input.as_of.unwrap_or(today);
    domain::period::not_in_future(as_of, today, "as_of").map_err(|e| domain::DomainError::Invalid(vec![e]))?;
    let frozen = fulfilment_of(unit.tx().conn(), &plan, as_of).await?;
    let evaluation = plans::Evaluation {
        id: Uuid::now_v7(),
        plan_id: plan.meta.id,
        as_of,
        narrative: input.narrative.trim().to_owned(),
        recommendations: super::opt_text(input.recommendations),
        fulfilment: serde_json::to_value(&frozen).map_err(|e| ApiError::Internal(Box::new(e)))?,
        created_by: who.subject.clone(),
        created_at: persistence::now(),
    };
    let created = plans::add_evaluation(unit.tx(), &plan, evaluation).await?;
    let view = EvaluationView::from(created);
    unit.created("evaluation", view.id, 1, format!("/api/v1/evaluations/{}", view.id), &view).await
}

/// Get an evaluation.
#[utoipa::path(operation_id = "get_evaluation", tag = "strategic-plans", security(("bearer" = [])),
    responses((status = 200, description = "The evaluation", body = EvaluationView), ReadErrors))]
#[get("/evaluations/{id}")]
pub async fn get_evaluation(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let (partnership_id, found) = plans::get_evaluation(state.store.conn(), *id).await?;
    guard_partnership_read(&who, partnership_id)?;
    Ok(HttpResponse::Ok().json(EvaluationView::from(found)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
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
        .service(fulfilment)
        .service(list_evaluations)
        .service(create_evaluation)
        .service(get_evaluation);
}
