//! Monitoring of the plan in force: progress reports on its measures and the values of their
//! indicators per period. Who may report is the policy's
//! ([`domain::access::Action::ReportProgress`]); when, the domain's
//! ([`domain::plan::ensure_monitored`], [`domain::plan::check_progress_report`]).

use domain::access::{Action, Principal};
use domain::codelist::ProgressStatus;
use domain::indicator::NewValue;
use domain::partnership::Activity;
use domain::plan::{self, Indicator};
use persistence::Conn;
use persistence::indicators::{self, IndicatorValueRecord, NewIndicatorValue};
use persistence::plans::{self as repo, IndicatorValue, MeasureRecord, NewReport, PlanRecord, Report};
use uuid::Uuid;

use crate::{Error, Result, Session, partnerships};

/// A measure whose monitoring the caller reads: 404 unless it reads the partnership's records.
#[tracing::instrument(name = "monitoring::readable", skip_all, fields(%id))]
pub async fn readable(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<MeasureRecord> {
    let measure = repo::get_measure(conn, id).await?;
    who.authorize(Action::Read { partnership: measure.data.partnership_id })?;
    Ok(measure)
}

/// One of the measure's indicators by its key: 404 when the measure has none of that key.
pub fn indicator_of(measure: &MeasureRecord, key: &str) -> Result<Indicator> {
    measure.data.data.indicators.iter().find(|i| i.key == key).cloned().ok_or_else(Error::not_found)
}

/// 404 unless the caller reads the measure's partnership's records, 403 unless it may report
/// on this measure.
async fn allow_report(s: &Session<'_>, measure: &MeasureRecord) -> Result<()> {
    s.allow(Action::ReportProgress { partnership: measure.data.partnership_id, responsible: measure.data.data.responsible_organization_id }).await
}

/// The measure's plan, where it is monitored: 409 unless the partnership's status permits
/// monitoring and the plan is in force today.
async fn monitored_plan(s: &Session<'_>, measure: &MeasureRecord, what: &str) -> Result<PlanRecord> {
    let plan = repo::get_plan(s.conn(), measure.data.plan_id).await?;
    partnerships::permits(s.conn(), plan.data.data.partnership_id, Activity::Monitoring).await?;
    plan::ensure_monitored(plan.data.status, &plan.data.validity(), s.today(), what)?;
    Ok(plan)
}

/// What a progress report says (its author is the caller).
#[derive(Debug, Clone)]
pub struct ProgressContent {
    pub reported_on: Option<chrono::NaiveDate>,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValue>,
    pub comment: Option<String>,
    pub author_person_id: Option<Uuid>,
    /// The client's own key for idempotent imports.
    pub external_ref: Option<String>,
}

/// Reports progress on a measure of the plan in force; the newest report is its current state.
#[tracing::instrument(name = "monitoring::report_progress", skip_all, fields(%measure_id))]
pub async fn report_progress<E>(s: &Session<'_>, measure_id: Uuid, content: impl FnOnce() -> Result<ProgressContent, E>) -> Result<(MeasureRecord, Report)>
where
    Error: From<E>,
{
    let measure = repo::get_measure(s.conn(), measure_id).await?;
    allow_report(s, &measure).await?;
    let content = content()?;
    let plan = monitored_plan(s, &measure, "progress is").await?;
    let reported_on = content.reported_on.unwrap_or(s.today());
    plan::check_progress_report(plan.data.status, &plan.data.validity(), reported_on, s.today())?;
    let report = NewReport {
        reported_on,
        status: content.status,
        percent_done: plan::reported_percent(content.status, content.percent_done),
        indicator_values: content.indicator_values,
        comment: content.comment,
        author_subject: s.who().subject.clone(),
        author_person_id: content.author_person_id,
        external_ref: content.external_ref,
    };
    let created = repo::add_report(s.tx(), &measure, report).await?;
    Ok((measure, created))
}

/// What an indicator's value for a period says.
#[derive(Debug, Clone)]
pub struct IndicatorValueContent {
    pub value: NewValue,
    pub comment: Option<String>,
}

/// Reports an indicator's value for a period; the same period again is a correction.
#[tracing::instrument(name = "monitoring::report_indicator_value", skip_all, fields(%measure_id))]
pub async fn report_indicator_value<E>(
    s: &Session<'_>,
    measure_id: Uuid,
    key: &str,
    content: impl FnOnce() -> Result<IndicatorValueContent, E>,
) -> Result<IndicatorValueRecord>
where
    Error: From<E>,
{
    let measure = repo::get_measure(s.conn(), measure_id).await?;
    allow_report(s, &measure).await?;
    let indicator = indicator_of(&measure, key)?;
    let content = content()?;
    monitored_plan(s, &measure, "indicator values are").await?;
    let new = NewIndicatorValue { value: content.value, comment: content.comment, reported_by: s.who().subject.clone() };
    Ok(indicators::add(s.tx(), &measure, &indicator, new, s.today()).await?)
}

/// One of a measure's indicators as of a day: its current values per reporting period, each
/// with the actual value as of the period's end, and the actual value and attainment as of the
/// day (`indicator::actual_as_of` under its aggregation, `fulfilment::attainment`). What
/// `GET …/indicators/{key}/attainment` answers and `…/chart.svg` draws.
pub struct IndicatorState {
    pub measure: MeasureRecord,
    pub indicator: Indicator,
    pub as_of: chrono::NaiveDate,
    /// The current values (one per period), by period start.
    pub values: Vec<IndicatorValueRecord>,
    /// Per value: the actual value as of its period's end.
    pub actual_at_end: Vec<Option<f64>>,
    pub actual: Option<f64>,
    pub attainment: Option<f64>,
    /// The periods ended by `as_of` with a numeric value.
    pub periods_counted: u32,
}

/// [`IndicatorState`] of a measure's indicator the caller reads (404 otherwise, and for a key
/// the measure has no indicator of).
#[tracing::instrument(name = "monitoring::indicator_state", skip_all, fields(%id))]
pub async fn indicator_state(conn: &impl Conn, who: &Principal, id: Uuid, key: &str, as_of: chrono::NaiveDate) -> Result<IndicatorState> {
    let measure = readable(conn, who, id).await?;
    let indicator = indicator_of(&measure, key)?;
    let values = indicators::list(conn, &measure, &indicator.key, false).await?;
    let series: Vec<(domain::indicator::Period, Option<f64>)> = values.iter().map(|r| (r.period, r.value)).collect();
    let actual_at_end = values.iter().map(|r| domain::indicator::actual_as_of(indicator.aggregation, &series, r.period.end)).collect();
    let actual = domain::indicator::actual_as_of(indicator.aggregation, &series, as_of);
    let periods_counted = u32::try_from(series.iter().filter(|(p, v)| p.end <= as_of && v.is_some()).count()).unwrap_or(u32::MAX);
    let attainment = domain::fulfilment::attainment(&indicator, actual);
    Ok(IndicatorState { measure, indicator, as_of, values, actual_at_end, actual, attainment, periods_counted })
}
