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
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, PageQuery, merge_patch};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |g| g)))
}

create_one! {
    /// Add a goal to a draft plan.
    create_goal: POST "/strategic-plans/{id}/goals", "create_strategic_plan_goal", "strategic-plans", GoalInput => GoalView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<GoalView>(&state, &who, key, &input, async |s| measures::create_goal(s, *id, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a goal.
    get_goal: GET "/goals/{id}", "get_goal", "strategic-plans", GoalView, "The goal", MaybeAuth,
    |state, who, id| write::read::<GoalView>(measures::get_goal(state.store.conn(), who.as_ref(), *id).await)
}

update_one! {
    /// Update a goal of a draft plan (JSON merge patch).
    update_goal: PATCH "/goals/{id}", "update_goal", "strategic-plans", GoalView, "A JSON merge patch of GoalInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &GoalData| merge_patch(&GoalInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<GoalView>(&state, &who, async |s| measures::update_goal(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Delete a goal of a draft plan (one with sub-goals or measures is a conflict).
    delete_goal: DELETE "/goals/{id}", "delete_goal", "strategic-plans", "Deleted",
    |state, who, id, if_match| write::delete::<GoalView>(&state, &who, async |s| measures::delete_goal(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_goals).service(create_goal).service(get_goal).service(update_goal).service(delete_goal);
}
