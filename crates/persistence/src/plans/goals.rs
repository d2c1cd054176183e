//! Goals of a plan: a tree by `parent_goal_id`, codes unique within the plan.

use super::*;
use crate::Conn;

/// A goal with the plan it belongs to.
pub type GoalRecord = Record<(Uuid, GoalData)>;

pub(super) fn goal_record(m: goal::Model) -> Result<GoalRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: (
            m.plan_id,
            GoalData {
                code: m.code,
                title: m.title,
                thematic_area: m.thematic_area.as_deref().map(code::<ThematicArea>).transpose()?,
                level: code::<GoalLevel>(&m.level)?,
                parent_goal_id: m.parent_goal_id,
                description: m.description,
            },
        ),
    })
}

pub(super) fn goal_content(d: &GoalData) -> goal::ActiveModel {
    goal::ActiveModel {
        code: Set(d.code.clone()),
        title: Set(d.title.clone()),
        thematic_area: Set(d.thematic_area.map(|a| a.to_string())),
        level: Set(d.level.to_string()),
        parent_goal_id: Set(d.parent_goal_id),
        description: Set(d.description.clone()),
        ..Default::default()
    }
}

pub async fn get_goal(conn: &impl Conn, id: Uuid) -> Result<GoalRecord, StoreError> {
    crate::page::by_id::<goal::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(goal_record)
}

/// All goals of a plan, by code.
pub async fn goals_of(conn: &impl Conn, plan_id: Uuid) -> Result<Vec<GoalRecord>, StoreError> {
    crate::page::models(
        conn,
        goal::Entity::find().filter(goal::Column::PlanId.eq(plan_id)).filter(goal::Column::ArchivedAt.is_null()).order_by_asc(goal::Column::Code),
    )
    .await?
    .into_iter()
    .map(goal_record)
    .collect()
}

pub(super) async fn check_goal(tx: &WriteTx, plan_id: Uuid, this: Option<Uuid>, d: &GoalData) -> Result<(), StoreError> {
    if d.parent_goal_id.is_some() {
        let goals: Vec<(Uuid, Option<Uuid>)> = goals_of(tx.conn(), plan_id).await?.iter().map(|g| (g.meta.id, g.data.1.parent_goal_id)).collect();
        domain::plan::check_goal_parent(this, d.parent_goal_id, &goals)?;
    }
    Ok(())
}

pub async fn create_goal(tx: &WriteTx, plan_id: Uuid, d: GoalData) -> Result<GoalRecord, StoreError> {
    check_goal(tx, plan_id, None, &d).await?;
    let at = now();
    let m = goal::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        plan_id: Set(plan_id),
        ..goal_content(&d)
    }
    .insert(tx.conn())
    .await?;
    goal_record(m)
}

pub async fn update_goal(tx: &WriteTx, current: &GoalRecord, d: GoalData) -> Result<GoalRecord, StoreError> {
    check_goal(tx, current.data.0, Some(current.meta.id), &d).await?;
    let m = &current.meta;
    let changes = goal::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..goal_content(&d) };
    update_guarded(tx.conn(), changes, goal::Column::Id.eq(m.id).and(goal::Column::Version.eq(m.version))).await?;
    get_goal(tx.conn(), m.id).await
}

/// Deletes a goal of a draft; a goal with sub-goals or measures is a conflict.
pub async fn delete_goal(tx: &WriteTx, current: &GoalRecord) -> Result<(), StoreError> {
    let id = current.meta.id;
    let children = goal::Entity::find().filter(goal::Column::ParentGoalId.eq(id)).one(tx.conn()).await?.is_some()
        || measure::Entity::find().filter(measure::Column::GoalId.eq(id)).one(tx.conn()).await?.is_some();
    if children {
        return Err(StoreError::Conflict { field: None, message: "the goal still has sub-goals or measures; move or delete them first".into() });
    }
    goal::Entity::delete_by_id(id).exec(tx.conn()).await?;
    Ok(())
}
