//! Progress reports on a measure of the plan in force: `/measures/{id}/progress-reports`.
//! Reports are never edited: a correction is a newer report. Not public.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use domain::codelist::ProgressStatus;
use persistence::plans::{IndicatorValue, Report};
use serde::{Deserialize, Serialize};
use service::monitoring::{self, ProgressContent};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::opt_text;
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, ListResponse, list_query};
use crate::write::{Ran, Unit};

/// An actual value of one of the measure's indicators.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorValueInput {
    /// The indicator's `key` in the measure.
    pub indicator_key: String,
    /// The value of a count or percentage indicator.
    #[serde(default)]
    pub value: Option<f64>,
    /// The state of a qualitative indicator.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub period_from: Option<NaiveDate>,
    #[serde(default)]
    pub period_to: Option<NaiveDate>,
}

/// What a reporter sends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProgressReportInput {
    /// Your own stable key for idempotent imports; unique among progress reports.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The day the report describes (default today).
    #[serde(default)]
    pub reported_on: Option<NaiveDate>,
    pub status: ProgressStatus,
    /// 0–100.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub percent_done: i32,
    #[serde(default)]
    pub indicator_values: Vec<IndicatorValueInput>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub comment: Option<String>,
    /// The person who reports, if known.
    #[serde(default)]
    pub author_person_id: Option<Uuid>,
}

impl ProgressReportInput {
    pub(crate) fn into_content(self) -> ProgressContent {
        ProgressContent {
            external_ref: opt_text(self.external_ref),
            reported_on: self.reported_on,
            status: self.status,
            percent_done: self.percent_done,
            indicator_values: self
                .indicator_values
                .into_iter()
                .map(|v| IndicatorValue {
                    indicator_key: v.indicator_key,
                    value: v.value.filter(|x| x.is_finite()),
                    text: opt_text(v.text),
                    period_from: v.period_from,
                    period_to: v.period_to,
                })
                .collect(),
            comment: opt_text(self.comment),
            author_person_id: self.author_person_id,
        }
    }

    /// The input a stored report was made of (its day as stored).
    pub(crate) fn from_report(r: &Report) -> Self {
        Self {
            external_ref: r.external_ref.clone(),
            reported_on: Some(r.reported_on),
            status: r.status,
            percent_done: r.percent_done,
            indicator_values: r.indicator_values.iter().map(IndicatorValueInput::from).collect(),
            comment: r.comment.clone(),
            author_person_id: r.author_person_id,
        }
    }
}

impl From<&IndicatorValue> for IndicatorValueInput {
    fn from(v: &IndicatorValue) -> Self {
        Self { indicator_key: v.indicator_key.clone(), value: v.value, text: v.text.clone(), period_from: v.period_from, period_to: v.period_to }
    }
}

/// A progress report. Reports are never edited: a correction is a newer report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressReportView {
    pub id: Uuid,
    /// Your own stable key for idempotent imports.
    pub external_ref: Option<String>,
    pub measure_id: Uuid,
    pub reported_on: NaiveDate,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValueInput>,
    pub comment: Option<String>,
    /// The token subject that reported.
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<Report> for ProgressReportView {
    fn from(r: Report) -> Self {
        Self {
            id: r.id,
            external_ref: r.external_ref,
            measure_id: r.measure_id,
            reported_on: r.reported_on,
            status: r.status,
            percent_done: r.percent_done,
            indicator_values: r
                .indicator_values
                .into_iter()
                .map(|v| IndicatorValueInput {
                    indicator_key: v.indicator_key,
                    value: v.value,
                    text: v.text,
                    period_from: v.period_from,
                    period_to: v.period_to,
                })
                .collect(),
            comment: r.comment,
            author_subject: r.author_subject,
            author_person_id: r.author_person_id,
            created_at: r.created_at,
        }
    }
}

list_query! {
    /// Paging of a measure's reports.
    ReportQuery {}
}

/// A measure's progress reports. Sortable by `reported_on` (default), `created_at`.
#[utoipa::path(operation_id = "list_measure_progress_reports", tag = "strategic-plans", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of reports", body = ListResponse<ProgressReportView>), ListErrors))]
#[get("/measures/{id}/progress-reports")]
pub async fn list_reports(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<ReportQuery>) -> ApiResult {
    let page = query.page()?;
    let measure = monitoring::readable(state.store.conn(), &who, *id).await?;
    let page = persistence::plans::list_reports(state.store.conn(), &measure, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, ProgressReportView::from)))
}

/// Report progress on a measure of a plan in force.
#[utoipa::path(operation_id = "create_measure_progress_report", tag = "strategic-plans", request_body = ProgressReportInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ProgressReportView, headers(("Location" = String, description = "URL of the measure's reports"))), WriteErrors))]
#[post("/measures/{id}/progress-reports")]
pub async fn create_report(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: web::Json<ProgressReportInput>,
) -> ApiResult {
    let input = body.into_inner();
    let unit = Unit::open(&state, &who, key, Some(&input)).await?;
    let content = || -> ApiResult<ProgressContent> {
        input.validate()?;
        Ok(input.clone().into_content())
    };
    match unit.perform(&who, async |s| monitoring::report_progress(s, *id, content).await).await? {
        Ran::Done((measure, created)) => {
            let view = ProgressReportView::from(created);
            unit.created("progress_report", view.id, 1, format!("/api/v1/measures/{}/progress-reports", measure.meta.id), &view).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_reports).service(create_report);
}
