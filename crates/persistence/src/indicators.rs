//! Indicator values per reporting period (`indicator_values`). The rules are
//! `domain::indicator`; this module loads the facts they need and writes what they decide.
//! A correction of a period inserts the new value and marks the old row `superseded_by` it.
//!
//! Each row names the measure (version) it was reported on; a series is read by the measure's
//! stable identity (`measure_key`): the values reported on every version of the measure, so
//! that a revision keeps its indicators' history and periods never overlap across versions.

use crate::Conn;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::indicator::{NewValue, Period, RecordedPeriod, Recording, Series, record};
use domain::plan::Indicator;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::now;
use crate::entities::indicator_value as iv;
use crate::plans::MeasureRecord;
use crate::{StoreError, WriteTx};

/// A recorded value of one indicator for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValueRecord {
    pub id: Uuid,
    pub measure_id: Uuid,
    pub indicator_key: String,
    pub period: Period,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub comment: Option<String>,
    /// The token subject that reported it.
    pub reported_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The correction that replaced it (`None`: current).
    pub superseded_by: Option<Uuid>,
}

fn record_of(m: iv::Model) -> IndicatorValueRecord {
    IndicatorValueRecord {
        id: m.id,
        measure_id: m.measure_id,
        indicator_key: m.indicator_key,
        period: Period { start: m.period_start, end: m.period_end },
        value: m.value,
        text: m.text,
        comment: m.comment,
        reported_by: m.reported_by,
        recorded_at: m.recorded_at,
        superseded_by: m.superseded_by,
    }
}

/// The values of one indicator of a measure, reported on any version of it (same
/// `measure_key`), by period start (corrections after what they replaced); superseded ones
/// only with `include_history`.
pub async fn list(conn: &impl Conn, measure: &MeasureRecord, key: &str, include_history: bool) -> Result<Vec<IndicatorValueRecord>, StoreError> {
    let mut ids: Vec<Uuid> = crate::monitoring::measures_with_keys(conn, &[measure.data.measure_key]).await?.into_keys().collect();
    ids.push(measure.meta.id);
    let mut select = iv::Entity::find().filter(iv::Column::MeasureId.is_in(ids)).filter(iv::Column::IndicatorKey.eq(key));
    if !include_history {
        select = select.filter(iv::Column::SupersededBy.is_null());
    }
    let rows = crate::page::models(
        conn,
        select.order_by_asc(iv::Column::PeriodStart).order_by_asc(iv::Column::PeriodEnd).order_by_asc(iv::Column::RecordedAt).order_by_asc(iv::Column::Id),
    )
    .await?;
    Ok(rows.into_iter().map(record_of).collect())
}

/// What a reporter sends for one period.
#[derive(Debug, Clone)]
pub struct NewIndicatorValue {
    pub value: NewValue,
    pub comment: Option<String>,
    pub reported_by: String,
}

/// Records a value of `indicator` of `measure` (a correction when the period was reported
/// before), after the domain's checks against the indicator's current values.
pub async fn add(
    tx: &WriteTx,
    measure: &MeasureRecord,
    indicator: &Indicator,
    new: NewIndicatorValue,
    today: NaiveDate,
) -> Result<IndicatorValueRecord, StoreError> {
    // Serialise writes per measure so that two concurrent values cannot both pass the overlap
    // check (PostgreSQL; SQLite writes are already serialised by the store).
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect;
        crate::entities::measure::Entity::find_by_id(measure.meta.id).lock_exclusive().one(tx.conn()).await?;
    }
    let current: Vec<RecordedPeriod> =
        list(tx.conn(), measure, &indicator.key, false).await?.into_iter().map(|r| RecordedPeriod { id: r.id, period: r.period }).collect();
    let recording = record(indicator, &new.value, &current, today)?;
    let id = Uuid::now_v7();
    let row = iv::ActiveModel {
        id: Set(id),
        measure_id: Set(measure.meta.id),
        plan_id: Set(measure.data.plan_id),
        partnership_id: Set(measure.data.partnership_id),
        indicator_key: Set(indicator.key.clone()),
        period_start: Set(new.value.period.start),
        period_end: Set(new.value.period.end),
        value: Set(new.value.value),
        text: Set(new.value.text),
        comment: Set(new.comment),
        reported_by: Set(new.reported_by),
        recorded_at: Set(now()),
        superseded_by: Set(None),
    }
    .insert(tx.conn())
    .await?;
    if let Recording::Replaces(old) = recording {
        iv::Entity::update_many()
            .set(iv::ActiveModel { superseded_by: Set(Some(id)), ..Default::default() })
            .filter(iv::Column::Id.eq(old))
            .exec(tx.conn())
            .await?;
    }
    Ok(record_of(row))
}

/// The current values of every indicator of a plan's measures (reported on any version of
/// them), as `(measure id in this plan, indicator key) → [(period, value)]`: the input of the
/// actual values as of a day (the domain's `actual_as_of` keeps the periods ended by then, as
/// `/attainment` does).
///
/// `mine` are the plan's measures (`(id, measure key)`) and `versions` every version of their
/// identities (measure id → key, as `monitoring::measures_with_keys` reads them).
pub(crate) async fn series_of(conn: &impl Conn, mine: &[(Uuid, Uuid)], versions: &HashMap<Uuid, Uuid>) -> Result<Series, StoreError> {
    // This plan's measure for each identity.
    let here: HashMap<Uuid, Uuid> = mine.iter().map(|(id, key)| (*key, *id)).collect();
    let mut ids: Vec<Uuid> = versions.keys().copied().collect();
    ids.extend(mine.iter().map(|(id, _)| *id));
    // A measure reported on (of any version) → this plan's measure of the same identity.
    let target = |id: Uuid| versions.get(&id).and_then(|k| here.get(k)).copied().or_else(|| mine.iter().any(|(mine, _)| *mine == id).then_some(id));
    let rows = crate::page::models(conn, iv::Entity::find().filter(iv::Column::MeasureId.is_in(ids)).filter(iv::Column::SupersededBy.is_null())).await?;
    let mut out = Series::new();
    for r in rows {
        let Some(measure_id) = target(r.measure_id) else { continue };
        out.entry((measure_id, r.indicator_key)).or_default().push((Period { start: r.period_start, end: r.period_end }, r.value));
    }
    Ok(out)
}
