//! Indicator values per reporting period: `/measures/{id}/indicators/{key}/values` (record,
//! correct, list with history) and `/measures/{id}/indicators/{key}/attainment` (the actual
//! value and attainment as of a day under the indicator's aggregation). The rules are
//! `domain::indicator`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use domain::codelist::{IndicatorAggregation, IndicatorMeasure};
use domain::indicator::{NewValue, Period};
use persistence::indicators::{self, IndicatorValueRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::opt_text;
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, ListResponse, page_query};
use crate::write::{Ran, Unit};
use service::monitoring::{self, IndicatorValueContent};

/// The value of an indicator for one reporting period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct IndicatorPeriodValueInput {
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The last day of the period (included); not before `period_start`, not in the future.
    pub period_end: NaiveDate,
    /// The actual value of a numeric indicator in this period (a percentage 0–100). For a
    /// `flow` indicator the value of this period alone; for a `cumulative` one the total so far.
    #[serde(default)]
    pub value: Option<f64>,
    /// The state of a qualitative indicator.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub text: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub comment: Option<String>,
}

/// A reported value of an indicator for a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorValueView {
    pub id: Uuid,
    pub measure_id: Uuid,
    pub indicator_key: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub comment: Option<String>,
    /// The token subject that reported it.
    pub reported_by: String,
    pub recorded_at: chrono::DateTime<Utc>,
    /// The correction that replaced this value (`null`: the current value of its period).
    pub superseded_by: Option<Uuid>,
}

impl From<IndicatorValueRecord> for IndicatorValueView {
    fn from(r: IndicatorValueRecord) -> Self {
        Self {
            id: r.id,
            measure_id: r.measure_id,
            indicator_key: r.indicator_key,
            period_start: r.period.start,
            period_end: r.period.end,
            value: r.value,
            text: r.text,
            comment: r.comment,
            reported_by: r.reported_by,
            recorded_at: r.recorded_at,
            superseded_by: r.superseded_by,
        }
    }
}

page_query! {
    /// Paging of an indicator's values (by period start; a correction after what it replaced).
    IndicatorValueQuery {
        /// `true` to include values replaced by corrections (with `superseded_by` set).
        include_history: Option<bool>,
    }
}

impl IndicatorPeriodValueInput {
    /// The value to record, once its form is valid.
    fn content(&self) -> ApiResult<IndicatorValueContent> {
        self.validate()?;
        let period = Period { start: self.period_start, end: self.period_end };
        Ok(IndicatorValueContent { value: NewValue { period, value: self.value, text: opt_text(self.text.clone()) }, comment: opt_text(self.comment.clone()) })
    }
}

/// An indicator's values per reporting period, by `period_start`. Only current values (one
/// per period) unless `include_history=true`, which adds the values corrections replaced.
#[utoipa::path(operation_id = "list_measure_indicator_values", tag = "strategic-plans", params(("id" = Uuid, Path, description = "The measure"), ("key" = String, Path, description = "The indicator's key in the measure"), IndicatorValueQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of values", body = ListResponse<IndicatorValueView>), ListErrors))]
#[get("/measures/{id}/indicators/{key}/values")]
pub async fn list_values(state: web::Data<AppState>, Auth(who): Auth, path: web::Path<(Uuid, String)>, query: web::Query<IndicatorValueQuery>) -> ApiResult {
    let request = query.page()?;
    let (id, key) = path.into_inner();
    let measure = monitoring::readable(state.store.conn(), &who, id).await?;
    let indicator = monitoring::indicator_of(&measure, &key)?;
    let rows = indicators::list(state.store.conn(), &measure, &indicator.key, query.include_history.unwrap_or(false)).await?;
    let views: Vec<IndicatorValueView> = rows.into_iter().map(IndicatorValueView::from).collect();
    let list = format!("indicator-values/{id}/{key}");
    let page = persistence::page::in_memory(views, &list, |v: &IndicatorValueView| format!("{}\u{0}{}", v.period_start, v.id), &request)?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |v| v)))
}

/// Report the value of one of the measure's indicators for a period, on a plan in force.
///
/// Who may: as for progress reports (the responsible organization's partner, the
/// partnership's consultants, admins, the importer). The period is ordered and has ended
/// (422 `period_end` `before_start` / `in_future`); it may not overlap another reported period
/// of the same indicator (422 `period_start` `overlapping_period`). Reporting the same period
/// again is a correction: the new value replaces the old one, which stays in the history.
#[utoipa::path(operation_id = "create_measure_indicator_value", tag = "strategic-plans", request_body = IndicatorPeriodValueInput, params(("id" = Uuid, Path, description = "The measure"), ("key" = String, Path, description = "The indicator's key in the measure"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Recorded", body = IndicatorValueView, headers(("Location" = String, description = "URL of the indicator's values"))), WriteErrors))]
#[post("/measures/{id}/indicators/{key}/values")]
pub async fn create_value(
    state: web::Data<AppState>,
    Auth(who): Auth,
    path: web::Path<(Uuid, String)>,
    key: IdempotencyKey,
    body: web::Json<IndicatorPeriodValueInput>,
) -> ApiResult {
    let (id, indicator_key) = path.into_inner();
    let input = body.into_inner();
    let content = || input.content();
    let unit = Unit::open(&state, &who, key, Some(&input)).await?;
    match unit.perform(&who, async |s| monitoring::report_indicator_value(s, id, &indicator_key, content).await).await? {
        Ran::Done(created) => {
            let view = IndicatorValueView::from(created);
            unit.created("indicator_value", view.id, 1, format!("/api/v1/measures/{id}/indicators/{indicator_key}/values"), &view).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

/// The day to compute an indicator's attainment on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttainmentQuery {
    /// Default today (UTC). Only periods ended by this day count.
    pub as_of: Option<NaiveDate>,
}

/// An indicator's actual value and attainment as of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorAttainmentView {
    pub measure_id: Uuid,
    pub key: String,
    pub as_of: NaiveDate,
    pub aggregation: IndicatorAggregation,
    pub measure: IndicatorMeasure,
    pub ascending: bool,
    pub baseline_value: Option<f64>,
    pub target_value: Option<f64>,
    /// `cumulative`: the value of the latest period ended by `as_of`; `flow`: the sum of the
    /// values of the periods ended by `as_of` (`null`: none reported).
    pub actual_value: Option<f64>,
    /// (actual − baseline) / (target − baseline), clamped to 0–100 % (`null` when it cannot
    /// be computed: qualitative, nothing reported, a descending indicator without baseline).
    pub attainment: Option<f64>,
    /// How many periods counted.
    pub periods_counted: u32,
}

/// An indicator's attainment as of a day, from its values per period under its aggregation.
#[utoipa::path(operation_id = "get_measure_indicator_attainment", tag = "strategic-plans", params(("id" = Uuid, Path, description = "The measure"), ("key" = String, Path, description = "The indicator's key in the measure"), AttainmentQuery), security(("bearer" = [])),
    responses((status = 200, description = "The attainment", body = IndicatorAttainmentView,
        headers(("Link" = String, description = "RFC 8288: the indicator's chart, `</api/v1/measures/{id}/indicators/{key}/chart.svg>; rel=\"alternate\"; type=\"image/svg+xml\"`"))), ReadErrors))]
#[get("/measures/{id}/indicators/{key}/attainment")]
pub async fn attainment(state: web::Data<AppState>, Auth(who): Auth, path: web::Path<(Uuid, String)>, query: web::Query<AttainmentQuery>) -> ApiResult {
    let (id, key) = path.into_inner();
    let as_of = query.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let indicator = monitoring::indicator_state(state.store.conn(), &who, id, &key, as_of).await?;
    let chart = format!("/api/v1/measures/{id}/indicators/{key}/chart.svg");
    Ok(HttpResponse::Ok()
        .insert_header(crate::routes::views::alternate(&[(&chart, crate::routes::views::SVG)]))
        .json_body(IndicatorAttainmentView::from(&indicator)))
}

impl From<&monitoring::IndicatorState> for IndicatorAttainmentView {
    /// The indicator's actual value and attainment as of a day, from its current values.
    fn from(s: &monitoring::IndicatorState) -> Self {
        Self {
            measure_id: s.measure.meta.id,
            key: s.indicator.key.clone(),
            as_of: s.as_of,
            aggregation: s.indicator.aggregation,
            measure: s.indicator.effective_measure(),
            ascending: s.indicator.ascending,
            baseline_value: s.indicator.baseline_value,
            target_value: s.indicator.target_value,
            actual_value: s.actual,
            attainment: s.attainment,
            periods_counted: s.periods_counted,
        }
    }
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_values).service(create_value).service(attainment);
}
