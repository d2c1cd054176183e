//! Monitoring that follows a measure's stable identity (`measure_key`) across plan versions:
//! the latest report as of a day, indicator actuals, the SQL forms of the `status`/`overdue`
//! rules of `domain::monitoring`, and which needs the partnership's measures address.

use crate::Conn;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use domain::codelist::{Coded, PlanStatus, ProgressStatus, ThematicArea};
use domain::monitoring::{FINISHED, ReportFact, latest_as_of};
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::StoreError;
use crate::convert::code;
use crate::entities::{measure, need, progress_report as pr, strategic_plan as sp};
use crate::plans::IndicatorValue;

/// What is known of one measure identity as of a day.
#[derive(Debug, Clone, Default)]
pub struct KeyState {
    /// The latest report as of the day (any version's).
    pub latest: Option<ReportFact>,
    /// The latest reported value per indicator key, as of the day.
    pub actuals: HashMap<String, f64>,
}

/// The ids of every measure (of any version) sharing one of `keys`, with their key.
pub async fn measures_with_keys(conn: &impl Conn, keys: &[Uuid]) -> Result<HashMap<Uuid, Uuid>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(ids_and_keys(conn, measure::Column::MeasureKey.is_in(keys.iter().copied())).await?.into_iter().collect())
}

/// `(id, measure key)` of the measures matching `condition`, reading these two columns alone:
/// following identities needs none of a measure's other columns (JSON among them).
pub(crate) async fn ids_and_keys(conn: &impl Conn, condition: impl IntoCondition) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let rows: Vec<(Uuid, Option<Uuid>)> =
        measure::Entity::find().select_only().columns([measure::Column::Id, measure::Column::MeasureKey]).filter(condition).into_tuple().all(conn).await?;
    Ok(rows.into_iter().map(|(id, key)| (id, key.unwrap_or(id))).collect())
}

/// Monitoring per measure key as of `as_of` (`None`: everything reported), from the reports
/// posted on any version of the measure.
pub async fn state_by_key(conn: &impl Conn, keys: &[Uuid], as_of: Option<NaiveDate>) -> Result<HashMap<Uuid, KeyState>, StoreError> {
    state_of_versions(conn, &measures_with_keys(conn, keys).await?, as_of).await
}

/// [`state_by_key`] of the identities whose versions are `ids` (measure id → key, as
/// [`measures_with_keys`] reads them).
pub(crate) async fn state_of_versions(conn: &impl Conn, ids: &HashMap<Uuid, Uuid>, as_of: Option<NaiveDate>) -> Result<HashMap<Uuid, KeyState>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut select = pr::Entity::find().filter(pr::Column::MeasureId.is_in(ids.keys().copied()));
    if let Some(day) = as_of {
        select = select.filter(pr::Column::ReportedOn.lte(day));
    }
    let mut reports = crate::page::models(conn, select).await?;
    // The order of `latest_as_of`: actuals are overwritten by later reports.
    reports.sort_by_key(|r| (r.reported_on, r.created_at, r.id));
    let day = as_of.unwrap_or(NaiveDate::MAX);
    let mut facts: HashMap<Uuid, Vec<ReportFact>> = HashMap::new();
    let mut out: HashMap<Uuid, KeyState> = HashMap::new();
    for r in reports {
        let Some(key) = ids.get(&r.measure_id).copied() else { continue };
        let values: Vec<IndicatorValue> = r.indicator_values.0;
        let state = out.entry(key).or_default();
        for v in values {
            if let Some(value) = v.value {
                state.actuals.insert(v.indicator_key, value);
            }
        }
        let status: ProgressStatus = code(&r.status)?;
        facts.entry(key).or_default().push(ReportFact { id: r.id, reported_on: r.reported_on, created_at: r.created_at, status, percent_done: r.percent_done });
    }
    for (key, list) in facts {
        out.entry(key).or_default().latest = latest_as_of(&list, day).cloned();
    }
    Ok(out)
}

/// SQL: the status of the measure identity's latest report as of `day` (the rule of
/// [`domain::monitoring::latest_as_of`]), as a scalar subquery correlated to `measures`.
/// The day is a typed date and the codes are fixed: nothing from a client is spliced in.
fn latest_status_sql(day: NaiveDate) -> String {
    format!(
        "(SELECT r.status FROM progress_reports r JOIN measures mk ON mk.id = r.measure_id \
         WHERE mk.measure_key = measures.measure_key AND r.reported_on <= '{}' \
         ORDER BY r.reported_on DESC, r.created_at DESC, r.id DESC LIMIT 1)",
        day.format("%Y-%m-%d")
    )
}

/// SQL condition: the latest status as of `day` is `status` (`None`: nothing reported by then).
pub fn status_as_of(status: Option<ProgressStatus>, day: NaiveDate) -> Expr {
    let sub = latest_status_sql(day);
    match status {
        Some(s) => Expr::cust(format!("{sub} = '{}'", s.code())),
        None => Expr::cust(format!("{sub} IS NULL")),
    }
}

/// SQL condition of [`domain::monitoring::overdue_on`]: deadline before `day`, and the latest
/// status as of `day` neither completed nor cancelled.
pub fn overdue_as_of(day: NaiveDate) -> Expr {
    let sub = latest_status_sql(day);
    let finished: Vec<String> = FINISHED.iter().map(|s| format!("'{}'", s.code())).collect();
    Expr::cust(format!("(measures.deadline < '{}' AND ({sub} IS NULL OR {sub} NOT IN ({})))", day.format("%Y-%m-%d"), finished.join(", ")))
}

/// SQL condition: the measure names the need among its `need_ids`.
pub fn names_need(need_id: Uuid) -> Expr {
    // A typed UUID, hyphenated lowercase as serde writes it into the JSON array.
    Expr::cust(format!("CAST(measures.need_ids AS TEXT) LIKE '%{}%'", need_id.hyphenated()))
}

/// The needs addressed by a non-archived measure of a non-archived plan of the partnership
/// whose status counts ([`domain::monitoring::addresses_needs`]).
pub async fn addressed_needs(conn: &impl Conn, partnership_id: Uuid) -> Result<HashSet<Uuid>, StoreError> {
    let counting: Vec<String> = PlanStatus::ALL.iter().filter(|s| domain::monitoring::addresses_needs(**s)).map(|s| s.code().to_owned()).collect();
    let plans: Vec<Uuid> = crate::page::models(
        conn,
        sp::Entity::find()
            .filter(sp::Column::PartnershipId.eq(partnership_id))
            .filter(sp::Column::ArchivedAt.is_null())
            .filter(sp::Column::Status.is_in(counting)),
    )
    .await?
    .into_iter()
    .map(|p| p.id)
    .collect();
    if plans.is_empty() {
        return Ok(HashSet::new());
    }
    let measures =
        crate::page::models(conn, measure::Entity::find().filter(measure::Column::PlanId.is_in(plans)).filter(measure::Column::ArchivedAt.is_null())).await?;
    let mut out = HashSet::new();
    for m in measures {
        out.extend(m.need_ids.0);
    }
    Ok(out)
}

/// The thematic areas of needs, by id (unknown ids are left out).
pub async fn need_areas(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, ThematicArea>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Each need once (a page of measures names the same few needs many times), and only the
    // two columns needed: the page's measures list is read often (issue 11).
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let rows: Vec<(Uuid, String)> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .column(need::Column::ThematicArea)
        .filter(need::Column::Id.is_in(distinct))
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter().map(|(id, area)| Ok((id, code(&area)?))).collect()
}

/// Per measure key, the measure carrying it in the partnership's plan in force (if any).
pub async fn in_force_by_key(conn: &impl Conn, partnership_id: Uuid, keys: &[Uuid]) -> Result<HashMap<Uuid, Uuid>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let plans = crate::page::models(
        conn,
        sp::Entity::find()
            .filter(sp::Column::PartnershipId.eq(partnership_id))
            .filter(sp::Column::Status.eq(PlanStatus::InForce.code()))
            .filter(sp::Column::ArchivedAt.is_null()),
    )
    .await?;
    if plans.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = crate::page::models(
        conn,
        measure::Entity::find()
            .filter(measure::Column::PlanId.is_in(plans.iter().map(|p| p.id)))
            .filter(measure::Column::MeasureKey.is_in(keys.iter().copied())),
    )
    .await?;
    Ok(rows.into_iter().map(|m| (m.measure_key.unwrap_or(m.id), m.id)).collect())
}
