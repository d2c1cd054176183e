//! Goals and measures of a draft plan. Their rules are the domain's
//! ([`domain::plan::GoalData::validate`], [`domain::plan::MeasureData::validate`], the
//! hierarchy and validity checks of [`domain::plan`]); the repository loads the rows they are
//! checked against inside the write.

use domain::access::Principal;
use domain::plan::{self, GoalData, MeasureData};
use persistence::Conn;
use persistence::plans::{self as repo, GoalRecord, MeasureRecord, PlanRecord};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, plans};

/// The draft plan whose goals or measures change: [`plans::changeable`], and a draft (409).
async fn draft(s: &Session<'_>, plan_id: Uuid, expect: Option<(&Precondition, i32)>) -> Result<PlanRecord> {
    let plan = plans::changeable(s, plan_id).await?;
    if let Some((expect, version)) = expect {
        expect.check(version)?;
    }
    plan::ensure_draft(plan.data.status)?;
    Ok(plan)
}

/// A goal of a plan the caller may see.
#[tracing::instrument(name = "measures::get_goal", skip_all, fields(%id))]
pub async fn get_goal(conn: &impl Conn, who: Option<&Principal>, id: Uuid) -> Result<GoalRecord> {
    let goal = repo::get_goal(conn, id).await?;
    plans::get(conn, who, goal.data.0).await?;
    Ok(goal)
}

#[tracing::instrument(name = "measures::create_goal", skip_all, fields(%plan_id))]
pub async fn create_goal<E>(s: &Session<'_>, plan_id: Uuid, content: impl FnOnce() -> Result<GoalData, E>) -> Result<GoalRecord>
where
    Error: From<E>,
{
    let plan = draft(s, plan_id, None).await?;
    Ok(repo::create_goal(s.tx(), plan.meta.id, content()?).await?)
}

#[tracing::instrument(name = "measures::update_goal", skip_all, fields(%id))]
pub async fn update_goal<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&GoalData) -> Result<GoalData, E>,
) -> Result<Updated<GoalRecord>>
where
    Error: From<E>,
{
    let before = repo::get_goal(s.conn(), id).await?;
    plans::changeable(s, before.data.0).await?;
    let data = edit(&before.data.1)?;
    draft(s, before.data.0, Some((expect, before.meta.version))).await?;
    let after = repo::update_goal(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Deletes a goal of a draft (one with sub-goals or measures is a conflict).
#[tracing::instrument(name = "measures::delete_goal", skip_all, fields(%id))]
pub async fn delete_goal(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<GoalRecord> {
    let before = repo::get_goal(s.conn(), id).await?;
    draft(s, before.data.0, Some((expect, before.meta.version))).await?;
    repo::delete_goal(s.tx(), &before).await?;
    Ok(before)
}

/// A measure of a plan the caller may see.
#[tracing::instrument(name = "measures::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, who: Option<&Principal>, id: Uuid) -> Result<MeasureRecord> {
    let measure = repo::get_measure(conn, id).await?;
    plans::get(conn, who, measure.data.plan_id).await?;
    Ok(measure)
}

#[tracing::instrument(name = "measures::create", skip_all, fields(%plan_id))]
pub async fn create<E>(s: &Session<'_>, plan_id: Uuid, content: impl FnOnce() -> Result<MeasureData, E>) -> Result<MeasureRecord>
where
    Error: From<E>,
{
    let plan = draft(s, plan_id, None).await?;
    Ok(repo::create_measure(s.tx(), &plan, content()?).await?)
}

#[tracing::instrument(name = "measures::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&MeasureData) -> Result<MeasureData, E>,
) -> Result<Updated<MeasureRecord>>
where
    Error: From<E>,
{
    let before = repo::get_measure(s.conn(), id).await?;
    plans::changeable(s, before.data.plan_id).await?;
    let data = edit(&before.data.data)?;
    let plan = draft(s, before.data.plan_id, Some((expect, before.meta.version))).await?;
    let after = repo::update_measure(s.tx(), &plan, &before, data).await?;
    Ok(Updated { before, after })
}

/// Deletes a measure of a draft (refused while a project links any version of it).
#[tracing::instrument(name = "measures::delete", skip_all, fields(%id))]
pub async fn delete(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<MeasureRecord> {
    let before = repo::get_measure(s.conn(), id).await?;
    draft(s, before.data.plan_id, Some((expect, before.meta.version))).await?;
    repo::delete_measure(s.tx(), &before).await?;
    Ok(before)
}
