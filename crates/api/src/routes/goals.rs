//! Goals of a strategic plan: `/strategic-plans/{id}/goals` and `/goals/{id}`. They change
//! only while their plan is a draft; public with the plan once it is approved.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::codelist::{GoalLevel, ThematicArea};
use domain::plan::GoalData;
use persistence::plans::GoalRecord;
use serde::{Deserialize, Serialize};
use service::measures;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, PageQuery, merge_patch};
use crate::write::{self, Resource};

/// What a client sets on a goal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    /// Unique in the plan, e.g. `2` or `2.1`.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "2.1")]
    pub code: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[serde(default)]
    pub thematic_area: Option<ThematicArea>,
    pub level: GoalLevel,
    /// The goal this one specifies (in the same plan).
    #[serde(default)]
    pub parent_goal_id: Option<Uuid>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    #[serde(default)]
    pub description: Option<String>,
}

impl GoalInput {
    fn into_data(self) -> ApiResult<GoalData> {
        self.validate()?;
        Ok(GoalData {
            code: self.code.trim().to_owned(),
            title: self.title.trim().to_owned(),
            thematic_area: self.thematic_area,
            level: self.level,
            parent_goal_id: self.parent_goal_id,
            description: opt_text(self.description),
        }
        .validate()?)
    }
    fn from_data(d: &GoalData) -> Self {
        Self {
            code: d.code.clone(),
            title: d.title.clone(),
            thematic_area: d.thematic_area,
            level: d.level,
            parent_goal_id: d.parent_goal_id,
            description: d.description.clone(),
        }
    }
}

/// A goal of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub plan_id: Uuid,
    #[serde(flatten)]
    pub content: GoalInput,
}

impl Resource for GoalView {
    type Data = (Uuid, GoalData);
    const NAME: &'static str = "goal";
    const COLLECTION: &'static str = "/api/v1/goals";
    fn of(record: &GoalRecord) -> Self {
        Self::from(record)
    }
}

impl From<&GoalRecord> for GoalView {
    fn from(r: &GoalRecord) -> Self {
        Self { meta: (&r.meta).into(), plan_id: r.data.0, content: GoalInput::from_data(&r.data.1) }
    }
}

/// The goals of a plan, by code.
#[utoipa::path(operation_id = "list_strategic_plan_goals", tag = "strategic-plans", security((), ("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "The goals", body = ListResponse<GoalView>), ListErrors))]
#[get("/strategic-plans/{id}/goals")]
pub async fn list_goals(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>, query: web::Query<PageQuery>) -> ApiResult {
    let request = query.page()?;
    service::plans::get(state.store.conn(), who.as_ref(), *id).await?;
    let goals: Vec<GoalView> = persistence::plans::goals_of(state.store.conn(), *id).await?.iter().map(GoalView::from).collect();
    // Codes are unique within a plan; the id breaks ties should a code ever repeat.
    let page = persistence::page::in_memory(goals, "plan-goals", |g: &GoalView| format!("{}\u{0}{}", g.content.code, g.meta.id), &request)?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |g| g)))
}

/// Add a goal to a draft plan.
#[utoipa::path(operation_id = "create_strategic_plan_goal", tag = "strategic-plans", request_body = GoalInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = GoalView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/strategic-plans/{id}/goals")]
pub async fn create_goal(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<GoalInput>) -> ApiResult {
    let input = body.into_inner();
    write::create::<GoalView>(&state, &who, key, &input, async |s| measures::create_goal(s, *id, || input.clone().into_data()).await).await
}

/// Get a goal.
#[utoipa::path(operation_id = "get_goal", tag = "strategic-plans", security((), ("bearer" = [])),
    responses((status = 200, description = "The goal", body = GoalView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/goals/{id}")]
pub async fn get_goal(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<GoalView>(measures::get_goal(state.store.conn(), who.as_ref(), *id).await)
}

/// Update a goal of a draft plan (JSON merge patch).
#[utoipa::path(operation_id = "update_goal", tag = "strategic-plans", request_body(content = serde_json::Value, description = "A JSON merge patch of GoalInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = GoalView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/goals/{id}")]
pub async fn update_goal(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    patch: web::Json<serde_json::Value>,
) -> ApiResult {
    let edit = |current: &GoalData| merge_patch(&GoalInput::from_data(current), patch.into_inner())?.into_data();
    write::update::<GoalView>(&state, &who, async |s| measures::update_goal(s, *id, &if_match.0, edit).await).await
}

/// Delete a goal of a draft plan (one with sub-goals or measures is a conflict).
#[utoipa::path(operation_id = "delete_goal", tag = "strategic-plans", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), WriteErrors))]
#[delete("/goals/{id}")]
pub async fn delete_goal(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    write::delete::<GoalView>(&state, &who, async |s| measures::delete_goal(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_goals).service(create_goal).service(get_goal).service(update_goal).service(delete_goal);
}
