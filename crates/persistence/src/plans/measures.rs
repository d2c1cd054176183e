//! Measures and activities of a plan, with the rows their rules are checked against, and the
//! filters of `GET /measures`.

use super::*;
use crate::Conn;
use crate::entities::JsonOf;

/// The latest reported state of a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub reported_on: NaiveDate,
}

/// A measure as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub plan_id: Uuid,
    /// Shared by the measure and its copies in other versions of the plan.
    pub measure_key: Uuid,
    pub partnership_id: Uuid,
    pub data: MeasureData,
    pub current: Option<Current>,
}

pub type MeasureRecord = Record<Measure>;

pub(super) fn measure_record(m: measure::Model) -> Result<MeasureRecord, StoreError> {
    let current = match (m.current_status.as_deref(), m.current_percent, m.last_reported_on) {
        (Some(s), Some(p), Some(d)) => Some(Current { status: code(s)?, percent_done: p, reported_on: d }),
        _ => None,
    };
    Ok(Record {
        meta: meta!(m),
        data: Measure {
            measure_key: m.measure_key.unwrap_or(m.id),
            plan_id: m.plan_id,
            partnership_id: m.partnership_id,
            current,
            data: MeasureData {
                external_ref: m.external_ref,
                goal_id: m.goal_id,
                kind: code::<MeasureKind>(&m.kind)?,
                parent_measure_id: m.parent_measure_id,
                code: m.code,
                title: m.title,
                description: m.description,
                thematic_area: code(&m.thematic_area)?,
                need_ids: m.need_ids.0,
                responsible_organization_id: m.responsible_organization_id,
                co_implementer_ids: m.co_implementer_ids.0,
                starts_on: m.starts_on,
                deadline: m.deadline,
                budget: m.budget.0,
                predefined_activity: m.predefined_activity,
                indicators: m.indicators.0,
            },
        },
    })
}

pub(super) fn measure_content(d: &MeasureData) -> measure::ActiveModel {
    let total = d.budget_total();
    measure::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        goal_id: Set(d.goal_id),
        kind: Set(d.kind.to_string()),
        parent_measure_id: Set(d.parent_measure_id),
        code: Set(d.code.clone()),
        title: Set(d.title.clone()),
        description: Set(d.description.clone()),
        thematic_area: Set(d.thematic_area.to_string()),
        need_ids: Set(JsonOf(d.need_ids.clone())),
        responsible_organization_id: Set(d.responsible_organization_id),
        co_implementer_ids: Set(JsonOf(d.co_implementer_ids.clone())),
        starts_on: Set(d.starts_on),
        deadline: Set(d.deadline),
        budget: Set(JsonOf(d.budget.clone())),
        budget_total_minor: Set(total.as_ref().map(|m| m.amount_minor)),
        budget_currency: Set(total.map(|m| m.currency)),
        predefined_activity: Set(d.predefined_activity),
        indicators: Set(JsonOf(d.indicators.clone())),
        search_text: Set(search_text([d.code.as_str(), d.title.as_str(), d.description.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct MeasureFilter {
    pub plan_id: Option<Uuid>,
    pub partnership_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    pub kind: Option<MeasureKind>,
    pub responsible_organization_id: Option<Uuid>,
    pub thematic_area: Option<ThematicArea>,
    /// The latest reported status; `None` inside means "never reported".
    pub status: Option<Option<ProgressStatus>>,
    /// Deadline passed before this day and not completed or cancelled.
    pub overdue_on: Option<NaiveDate>,
    /// Judge `status` and `overdue_on` on the reports dated up to this day (any version's)
    /// instead of the current state.
    pub as_of: Option<NaiveDate>,
    /// Only measures naming this need.
    pub need_id: Option<Uuid>,
    pub deadline_before: Option<NaiveDate>,
    pub deadline_after: Option<NaiveDate>,
    pub predefined_activity: Option<bool>,
    pub q: Option<String>,
    pub include_archived: bool,
    /// Only measures of plans in these statuses.
    pub plan_statuses: Option<Vec<PlanStatus>>,
    /// Only measures of plans in force on this day ([`in_force_on_sql`]).
    pub plans_in_force_on: Option<NaiveDate>,
    /// Which plans the caller may see: `None` all; `Some(ids)` plans of these partnerships
    /// plus approved (public) plans.
    pub scope: Option<Vec<Uuid>>,
    /// Restricts to these partnerships only (no public plans of others): used when a scoped
    /// caller filters on monitoring data it may not see for other partnerships.
    pub strict_scope: bool,
}

pub const MEASURE_SORT: &[SortField<measure::Column>] = &[
    field("code", measure::Column::Code, SortKind::Text),
    field("deadline", measure::Column::Deadline, SortKind::Date),
    field("created_at", measure::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", measure::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_measure(conn: &impl Conn, id: Uuid) -> Result<MeasureRecord, StoreError> {
    crate::page::by_id::<measure::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(measure_record)
}

pub async fn list_measures(conn: &impl Conn, f: &MeasureFilter, req: &PageRequest) -> Result<Page<MeasureRecord>, StoreError> {
    let mut select = measure::Entity::find();
    if !f.include_archived {
        select = select.filter(measure::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.plan_id {
        select = select.filter(measure::Column::PlanId.eq(id));
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(measure::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.goal_id {
        select = select.filter(measure::Column::GoalId.eq(id));
    }
    if let Some(kind) = f.kind {
        select = select.filter(measure::Column::Kind.eq(kind.to_string()));
    }
    if let Some(id) = f.responsible_organization_id {
        select = select.filter(measure::Column::ResponsibleOrganizationId.eq(id));
    }
    if let Some(area) = f.thematic_area {
        select = select.filter(measure::Column::ThematicArea.eq(area.to_string()));
    }
    if let Some(day) = f.as_of {
        if let Some(status) = f.status {
            select = select.filter(crate::monitoring::status_as_of(status, day));
        }
        if let Some(day) = f.overdue_on {
            select = select.filter(crate::monitoring::overdue_as_of(day));
        }
    }
    if let Some(need) = f.need_id {
        select = select.filter(crate::monitoring::names_need(need));
    }
    match f.status.filter(|_| f.as_of.is_none()) {
        Some(Some(s)) => select = select.filter(measure::Column::CurrentStatus.eq(s.to_string())),
        Some(None) => select = select.filter(measure::Column::CurrentStatus.is_null()),
        None => {}
    }
    if let Some(day) = f.overdue_on.filter(|_| f.as_of.is_none()) {
        let finished = [ProgressStatus::Completed.to_string(), ProgressStatus::Cancelled.to_string()];
        select = select
            .filter(measure::Column::Deadline.lt(day))
            .filter(Condition::any().add(measure::Column::CurrentStatus.is_null()).add(measure::Column::CurrentStatus.is_not_in(finished)));
    }
    if let Some(day) = f.deadline_before {
        select = select.filter(measure::Column::Deadline.lt(day));
    }
    if let Some(day) = f.deadline_after {
        select = select.filter(measure::Column::Deadline.gte(day));
    }
    if let Some(p) = f.predefined_activity {
        select = select.filter(measure::Column::PredefinedActivity.eq(p));
    }
    if let Some(q) = &f.q {
        select = select.filter(crate::convert::like(measure::Column::SearchText, q));
    }
    if let Some(statuses) = &f.plan_statuses {
        select = select.filter(plan_meets(Condition::all().add(sp::Column::Status.is_in(statuses.iter().map(ToString::to_string)))));
    }
    if let Some(day) = f.plans_in_force_on {
        select = select.filter(plan_meets(in_force_on_sql(day)));
    }
    if let Some(scope) = &f.scope {
        let mine = measure::Column::PartnershipId.is_in(scope.iter().copied());
        if f.strict_scope {
            select = select.filter(mine);
        } else {
            let public = plan_meets(Condition::all().add(sp::Column::Status.is_in(public_codes())));
            select = select.filter(Condition::any().add(mine).add(public));
        }
    }
    let page = page::fetch(conn, select, MEASURE_SORT, "code", measure::Column::Id, req).await?;
    let items = page.items.into_iter().map(measure_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// The measure's plan meets `condition`: `EXISTS (SELECT 1 FROM strategic_plans WHERE id =
/// measures.plan_id AND …)`. Correlated, not `plan_id IN (SELECT id …)`: SQLite builds such a
/// list (every plan in force, ~900 ids in `make bench`) into a temporary index at every run,
/// which was a tenth of a page of measures, where this looks up the plans of the rows the page
/// reads (issue 11).
fn plan_meets(condition: Condition) -> sea_orm::sea_query::SimpleExpr {
    let plan = Query::select()
        .expr(sea_orm::sea_query::Expr::val(1))
        .from(sp::Entity)
        .and_where(sea_orm::sea_query::Expr::col((sp::Entity, sp::Column::Id)).equals((measure::Entity, measure::Column::PlanId)))
        .cond_where(condition)
        .take();
    sea_orm::sea_query::Expr::exists(plan)
}

/// Loads the rows a measure's rules are checked against ([`domain::plan::check_measure`])
/// and checks its references (needs of the partnership, co-implementers that exist).
async fn check_measure(tx: &WriteTx, plan: &PlanRecord, previous: Option<&MeasureRecord>, d: &MeasureData) -> Result<(), StoreError> {
    let this = previous.map(|p| p.meta.id);
    let partnership_id = plan.data.data.partnership_id;
    let goal_in_plan = goal::Entity::find_by_id(d.goal_id).one(tx.conn()).await?.is_some_and(|g| g.plan_id == plan.meta.id);
    let parent = match d.parent_measure_id {
        Some(parent) => measure::Entity::find_by_id(parent)
            .one(tx.conn())
            .await?
            .filter(|p| p.plan_id == plan.meta.id && p.kind == MeasureKind::Measure.code() && Some(p.id) != this)
            .map(|p| domain::plan::Placement { goal_id: p.goal_id, deadline: p.deadline }),
        None => None,
    };
    let activity_deadlines = match this {
        Some(me) => measure::Entity::find().filter(measure::Column::ParentMeasureId.eq(me)).all(tx.conn()).await?.into_iter().map(|a| a.deadline).collect(),
        None => Vec::new(),
    };
    let unchanged = previous.is_some_and(|p| p.data.data.responsible_organization_id == d.responsible_organization_id);
    let responsible = match d.responsible_organization_id.filter(|_| !unchanged) {
        Some(org) => Some(crate::memberships::standing(tx.conn(), partnership_id, org).await?),
        None => None,
    };
    let facts = domain::plan::MeasureFacts {
        previous: previous.map(|p| &p.data.data),
        plan_valid_to: plan.data.data.valid_to,
        goal_in_plan,
        parent,
        activity_deadlines,
        responsible,
    };
    domain::plan::check_measure(d, &facts, chrono::Utc::now().date_naive())?;
    crate::analyses::ensure_needs_of(tx.conn(), partnership_id, &d.need_ids).await?;
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &d.co_implementer_ids, "co_implementer_ids", false).await?;
    Ok(())
}

pub async fn create_measure(tx: &WriteTx, plan: &PlanRecord, d: MeasureData) -> Result<MeasureRecord, StoreError> {
    check_measure(tx, plan, None, &d).await?;
    let m = new_measure_row(Uuid::now_v7(), plan.meta.id, plan.data.data.partnership_id, &d, now()).insert(tx.conn()).await?;
    measure_record(m)
}

/// The row of a new measure `id` of a plan: its first version (its own key), never reported on.
/// Checks nothing: [`create_measure`] checks before writing it; the bench's bulk load writes
/// rows it generated valid.
pub(crate) fn new_measure_row(id: Uuid, plan_id: Uuid, partnership_id: Uuid, d: &MeasureData, at: chrono::DateTime<chrono::Utc>) -> measure::ActiveModel {
    measure::ActiveModel {
        id: Set(id),
        measure_key: Set(Some(id)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        plan_id: Set(plan_id),
        partnership_id: Set(partnership_id),
        current_status: Set(None),
        current_percent: Set(None),
        last_reported_on: Set(None),
        ..measure_content(d)
    }
}

pub async fn update_measure(tx: &WriteTx, plan: &PlanRecord, current: &MeasureRecord, d: MeasureData) -> Result<MeasureRecord, StoreError> {
    check_measure(tx, plan, Some(current), &d).await?;
    let m = &current.meta;
    let changes = measure::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..measure_content(&d) };
    update_guarded(tx.conn(), changes, measure::Column::Id.eq(m.id).and(measure::Column::Version.eq(m.version))).await?;
    get_measure(tx.conn(), m.id).await
}

/// Deletes a measure of a draft; one with activities, or one a project implements, is a conflict.
pub async fn delete_measure(tx: &WriteTx, current: &MeasureRecord) -> Result<(), StoreError> {
    use crate::entities::project_measure;
    use sea_orm::QuerySelect;
    // A project linked to any version of the measure (same key) implements this one too.
    let versions: Vec<Uuid> = measure::Entity::find()
        .select_only()
        .column(measure::Column::Id)
        .filter(measure::Column::MeasureKey.eq(current.data.measure_key))
        .into_tuple::<Uuid>()
        .all(tx.conn())
        .await?
        .into_iter()
        .chain([current.meta.id])
        .collect();
    if project_measure::Entity::find().filter(project_measure::Column::MeasureId.is_in(versions)).one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: None, message: "a project implements this measure; unlink it from the project first".into() });
    }
    if measure::Entity::find().filter(measure::Column::ParentMeasureId.eq(current.meta.id)).one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: None, message: "the measure still has activities; delete them first".into() });
    }
    measure::Entity::delete_by_id(current.meta.id).exec(tx.conn()).await?;
    Ok(())
}

/// Every measure of a plan (activities included), by code.
pub async fn measures_of(conn: &impl Conn, plan_id: Uuid) -> Result<Vec<MeasureRecord>, StoreError> {
    crate::page::models(
        conn,
        measure::Entity::find().filter(measure::Column::PlanId.eq(plan_id)).filter(measure::Column::ArchivedAt.is_null()).order_by_asc(measure::Column::Code),
    )
    .await?
    .into_iter()
    .map(measure_record)
    .collect()
}
