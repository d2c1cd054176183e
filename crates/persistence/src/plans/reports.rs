//! Progress reports on measures, and the facts a plan's fulfilment is computed from.

use super::*;
use crate::Conn;

/// An actual value of one indicator, for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    pub indicator_key: String,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
}

/// A progress report on a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: Uuid,
    pub measure_id: Uuid,
    /// The plan of the measure (the version reported on).
    pub plan_id: Uuid,
    pub reported_on: NaiveDate,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValue>,
    pub comment: Option<String>,
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The client's own key for idempotent imports (unique where set).
    pub external_ref: Option<String>,
}

pub(super) fn report(m: pr::Model) -> Result<Report, StoreError> {
    Ok(Report {
        id: m.id,
        measure_id: m.measure_id,
        plan_id: m.plan_id,
        reported_on: m.reported_on,
        status: code(&m.status)?,
        percent_done: m.percent_done,
        indicator_values: m.indicator_values.0,
        comment: m.comment,
        author_subject: m.author_subject,
        author_person_id: m.author_person_id,
        created_at: m.created_at,
        external_ref: m.external_ref,
    })
}

/// A report by its id.
pub async fn get_report(conn: &impl Conn, id: Uuid) -> Result<Report, StoreError> {
    crate::page::by_id::<pr::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(report)
}

/// Which reports an export reads.
#[derive(Debug, Default)]
pub struct ReportFilter {
    pub partnership_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub measure_id: Option<Uuid>,
    /// The partnerships whose reports the caller reads; `None` all.
    pub scope: Option<Vec<Uuid>>,
}

/// Reports across measures (the exports), in the order of `REPORT_SORT`.
pub async fn list_all_reports(conn: &impl Conn, f: &ReportFilter, req: &PageRequest) -> Result<Page<Report>, StoreError> {
    let mut select = pr::Entity::find();
    if let Some(id) = f.partnership_id {
        select = select.filter(pr::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.plan_id {
        select = select.filter(pr::Column::PlanId.eq(id));
    }
    if let Some(id) = f.measure_id {
        select = select.filter(pr::Column::MeasureId.eq(id));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(pr::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, REPORT_SORT, "created_at", pr::Column::Id, req).await?;
    let items = page.items.into_iter().map(report).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub const REPORT_SORT: &[SortField<pr::Column>] =
    &[field("reported_on", pr::Column::ReportedOn, SortKind::Date), field("created_at", pr::Column::CreatedAt, SortKind::Timestamp)];

/// The reports of a measure's identity: posted on it or on any other version of it.
pub async fn list_reports(conn: &impl Conn, measure: &MeasureRecord, req: &PageRequest) -> Result<Page<Report>, StoreError> {
    let ids = crate::monitoring::measures_with_keys(conn, &[measure.data.measure_key]).await?;
    let select = pr::Entity::find().filter(pr::Column::MeasureId.is_in(ids.into_keys().chain([measure.meta.id])));
    let page = page::fetch(conn, select, REPORT_SORT, "reported_on", pr::Column::Id, req).await?;
    let items = page.items.into_iter().map(report).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// What a reporter sends.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub reported_on: NaiveDate,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValue>,
    pub comment: Option<String>,
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
    pub external_ref: Option<String>,
}

/// Appends a report and, when it is the newest, makes it the measure's current state. The
/// measure's `version` is untouched: monitoring is not an edit of the measure.
pub async fn add_report(tx: &WriteTx, measure: &MeasureRecord, r: NewReport) -> Result<Report, StoreError> {
    let keys: Vec<&str> = measure.data.data.indicators.iter().map(|i| i.key.as_str()).collect();
    let mut v = domain::Violations::new();
    for (i, value) in r.indicator_values.iter().enumerate() {
        if !keys.contains(&value.indicator_key.as_str()) {
            v.push(FieldError::new(
                format!("indicator_values[{i}].indicator_key"),
                "unknown_indicator",
                format!("the measure has no indicator `{}`", value.indicator_key),
            ));
        }
        v.check(domain::period::ensure_ordered(value.period_from, value.period_to, &format!("indicator_values[{i}].period_to"), "period_from"));
    }
    v.into_result()?;
    let author: Vec<Uuid> = r.author_person_id.into_iter().collect();
    crate::people::ensure_people(tx.conn(), &author, "author_person_id", true).await?;
    let m = report_row(measure.meta.id, measure.data.plan_id, measure.data.partnership_id, r, now()).insert(tx.conn()).await?;
    {
        measure::Entity::update_many()
            .set(measure::ActiveModel {
                current_status: Set(Some(m.status.clone())),
                current_percent: Set(Some(m.percent_done)),
                last_reported_on: Set(Some(m.reported_on)),
                ..Default::default()
            })
            // Every version of the measure shares the state (one identity, `measure_key`).
            .filter(Condition::any().add(measure::Column::Id.eq(measure.meta.id)).add(measure::Column::MeasureKey.eq(measure.data.measure_key)))
            // Conditional on the stored state, so that a concurrent older report never wins.
            .filter(Condition::any().add(measure::Column::LastReportedOn.is_null()).add(measure::Column::LastReportedOn.lte(m.reported_on)))
            .exec(tx.conn())
            .await?;
    }
    report(m)
}

/// The row of a report on measure `measure_id` (of `plan_id`, of `partnership_id`). Checks
/// nothing and leaves the measure's current state alone: [`add_report`] does both; the bench's
/// bulk load writes the state on the measure's row itself.
pub(crate) fn report_row(measure_id: Uuid, plan_id: Uuid, partnership_id: Uuid, r: NewReport, at: chrono::DateTime<chrono::Utc>) -> pr::ActiveModel {
    pr::ActiveModel {
        id: Set(Uuid::now_v7()),
        measure_id: Set(measure_id),
        plan_id: Set(plan_id),
        partnership_id: Set(partnership_id),
        reported_on: Set(r.reported_on),
        status: Set(r.status.to_string()),
        percent_done: Set(r.percent_done),
        indicator_values: Set(crate::entities::JsonOf(r.indicator_values)),
        comment: Set(r.comment),
        author_subject: Set(r.author_subject),
        author_person_id: Set(r.author_person_id),
        created_at: Set(at),
        external_ref: Set(r.external_ref),
    }
}

/// The plan's goals and measures with their latest reports as of `as_of`, and the series of
/// their indicators' values (`indicators::series_of` of the plan's current measures): the
/// input of the fulfilment computation. The identities' versions are read once for both (they
/// were read twice, two of the report's nine statements; issue 11).
pub async fn fulfilment_input(
    conn: &impl Conn,
    plan_id: Uuid,
    as_of: NaiveDate,
) -> Result<(Vec<GoalNode>, Vec<MeasureState>, domain::indicator::Series), StoreError> {
    let goals = goals_of(conn, plan_id)
        .await?
        .into_iter()
        .map(|g| GoalNode { id: g.meta.id, code: g.data.1.code, title: g.data.1.title, parent_id: g.data.1.parent_goal_id })
        .collect();
    let all = measures_of(conn, plan_id).await?;
    let mine: Vec<(Uuid, Uuid)> = all.iter().map(|m| (m.meta.id, m.data.measure_key)).collect();
    let measures: Vec<MeasureRecord> = all.into_iter().filter(|m| m.data.data.kind == MeasureKind::Measure).collect();
    // Every version of each identity, whichever version reports and values were posted on.
    let keys: Vec<Uuid> = mine.iter().map(|(_, key)| *key).collect::<std::collections::HashSet<_>>().into_iter().collect();
    let versions = crate::monitoring::measures_with_keys(conn, &keys).await?;
    let mut by_key = crate::monitoring::state_of_versions(conn, &versions, Some(as_of)).await?;
    let series = crate::indicators::series_of(conn, &mine, &versions).await?;
    // Budgets in different currencies cannot weigh against each other: fall back to the average.
    let mut currencies: Vec<String> = measures.iter().filter_map(|m| m.data.data.budget_total().map(|b| b.currency)).collect();
    currencies.sort();
    currencies.dedup();
    let comparable = currencies.len() <= 1;
    let states = measures
        .into_iter()
        .map(|m| MeasureState {
            id: m.meta.id,
            budget_minor: m.data.data.budget_total().filter(|_| comparable).map(|b| b.amount_minor),
            code: m.data.data.code,
            title: m.data.data.title,
            goal_id: m.data.data.goal_id,
            thematic_area: m.data.data.thematic_area,
            deadline: m.data.data.deadline,
            latest: by_key.get_mut(&m.data.measure_key).and_then(|k| k.latest.take()).map(|r| LatestReport {
                status: r.status,
                percent_done: r.percent_done,
                reported_on: r.reported_on,
            }),
            indicators: m.data.data.indicators,
            actuals: by_key.remove(&m.data.measure_key).map(|k| k.actuals).unwrap_or_default(),
        })
        .collect();
    Ok((goals, states, series))
}
