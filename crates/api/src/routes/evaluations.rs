//! Evaluations of approved strategic plans: `/strategic-plans/{id}/evaluations` and
//! `/evaluations/{id}`. Each freezes the plan's fulfilment as of its day. Not public.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use domain::fulfilment::Fulfilment;
use persistence::plans::Evaluation;
use serde::{Deserialize, Serialize};
use service::plans::{self, EvaluationContent};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, ListResponse, list_query};
use crate::write::{Ran, Unit};

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

impl From<Evaluation> for EvaluationView {
    fn from(e: Evaluation) -> Self {
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
    plans::readable(state.store.conn(), &who, *id).await?;
    let page = persistence::plans::list_evaluations(state.store.conn(), *id, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, EvaluationView::from)))
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
    let input = body.into_inner();
    input.validate()?;
    let content =
        EvaluationContent { as_of: input.as_of, narrative: input.narrative.trim().to_owned(), recommendations: super::opt_text(input.recommendations.clone()) };
    let unit = Unit::open(&state, &who, key, Some(&input)).await?;
    match unit.perform(&who, async |s| plans::evaluate(s, *id, content).await).await? {
        Ran::Done(created) => {
            let view = EvaluationView::from(created);
            unit.created("evaluation", view.id, 1, format!("/api/v1/evaluations/{}", view.id), &view).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

/// Get an evaluation.
#[utoipa::path(operation_id = "get_evaluation", tag = "strategic-plans", security(("bearer" = [])),
    responses((status = 200, description = "The evaluation", body = EvaluationView), ReadErrors))]
#[get("/evaluations/{id}")]
pub async fn get_evaluation(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    Ok(HttpResponse::Ok().json_body(EvaluationView::from(plans::get_evaluation(state.store.conn(), &who, *id).await?)))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_evaluations).service(create_evaluation).service(get_evaluation);
}
