//! Evaluations of approved plans, with their frozen fulfilment.

use super::*;
use crate::Conn;

/// A frozen evaluation of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub as_of: NaiveDate,
    pub narrative: String,
    pub recommendations: Option<String>,
    pub fulfilment: serde_json::Value,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub(super) fn evaluation_of(m: evaluation::Model) -> Evaluation {
    Evaluation {
        id: m.id,
        plan_id: m.plan_id,
        as_of: m.as_of,
        narrative: m.narrative,
        recommendations: m.recommendations,
        fulfilment: m.fulfilment,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

pub async fn add_evaluation(tx: &WriteTx, plan: &PlanRecord, e: Evaluation) -> Result<Evaluation, StoreError> {
    let m = evaluation::ActiveModel {
        id: Set(e.id),
        plan_id: Set(plan.meta.id),
        partnership_id: Set(plan.data.data.partnership_id),
        as_of: Set(e.as_of),
        narrative: Set(e.narrative),
        recommendations: Set(e.recommendations),
        fulfilment: Set(e.fulfilment),
        created_by: Set(e.created_by),
        created_at: Set(e.created_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(evaluation_of(m))
}

/// An evaluation with the partnership of its plan (for access checks).
pub async fn get_evaluation(conn: &impl Conn, id: Uuid) -> Result<(Uuid, Evaluation), StoreError> {
    let m = crate::page::by_id::<evaluation::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    Ok((m.partnership_id, evaluation_of(m)))
}

pub const EVALUATION_SORT: &[SortField<evaluation::Column>] =
    &[field("as_of", evaluation::Column::AsOf, SortKind::Date), field("created_at", evaluation::Column::CreatedAt, SortKind::Timestamp)];

pub async fn list_evaluations(conn: &impl Conn, plan_id: Uuid, req: &PageRequest) -> Result<Page<Evaluation>, StoreError> {
    let select = evaluation::Entity::find().filter(evaluation::Column::PlanId.eq(plan_id));
    Ok(page::fetch(conn, select, EVALUATION_SORT, "created_at", evaluation::Column::Id, req).await?.map(evaluation_of))
}
