//! Bulk imports: the stored reports (`/imports`), and the look-ups an import row needs to
//! find the record it updates (by `external_ref`, or a membership by its partnership,
//! organization and start) and the records its reference columns name.

use crate::Conn;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::{
    call, goal, import_report as ir, measure, meeting, membership, operational_programme, organization, partnership, person, progress_report, project,
    territorial_unit, working_group,
};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

/// The report of one import, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// The token subject that imported, and its role.
    pub actor: String,
    pub actor_role: String,
    pub resource: String,
    pub mode: String,
    pub strategy: String,
    pub dry_run: bool,
    /// Whether the rows' writes were kept (never for a dry run).
    pub committed: bool,
    pub body_sha256: String,
    pub rows: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
    /// The refused rows' reasons, as the API shows them.
    pub errors: serde_json::Value,
}

fn from_model(m: ir::Model) -> ImportReport {
    ImportReport {
        id: m.id,
        created_at: m.created_at,
        actor: m.actor,
        actor_role: m.actor_role,
        resource: m.resource,
        mode: m.mode,
        strategy: m.strategy,
        dry_run: m.dry_run,
        committed: m.committed,
        body_sha256: m.body_sha256,
        rows: m.rows,
        created: m.created,
        updated: m.updated,
        unchanged: m.unchanged,
        failed: m.failed,
        errors: m.errors,
    }
}

/// Stores a report (in a write of its own: a report is kept for a dry run and for an import
/// whose writes rolled back too).
pub async fn insert(tx: &WriteTx, r: &ImportReport) -> Result<(), StoreError> {
    ir::ActiveModel {
        id: Set(r.id),
        created_at: Set(r.created_at),
        actor: Set(r.actor.clone()),
        actor_role: Set(r.actor_role.clone()),
        resource: Set(r.resource.clone()),
        mode: Set(r.mode.clone()),
        strategy: Set(r.strategy.clone()),
        dry_run: Set(r.dry_run),
        committed: Set(r.committed),
        body_sha256: Set(r.body_sha256.clone()),
        rows: Set(r.rows),
        created: Set(r.created),
        updated: Set(r.updated),
        unchanged: Set(r.unchanged),
        failed: Set(r.failed),
        errors: Set(r.errors.clone()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// A report; `owner` limits it to the reports of one token subject (not found otherwise).
pub async fn get(conn: &impl Conn, id: Uuid, owner: Option<&str>) -> Result<ImportReport, StoreError> {
    let found = crate::page::by_id::<ir::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    if owner.is_some_and(|o| o != found.actor) {
        return Err(StoreError::NotFound);
    }
    Ok(from_model(found))
}

const SORT: &[SortField<ir::Column>] = &[field("created_at", ir::Column::CreatedAt, SortKind::Timestamp)];

/// Reports, newest first; `owner` limits them to one token subject's.
pub async fn list(conn: &impl Conn, owner: Option<&str>, req: &PageRequest) -> Result<Page<ImportReport>, StoreError> {
    let mut select = ir::Entity::find();
    if let Some(owner) = owner {
        select = select.filter(ir::Column::Actor.eq(owner.to_owned()));
    }
    Ok(page::fetch(conn, select, SORT, "-created_at", ir::Column::Id, req).await?.map(from_model))
}

/// The kinds of record an import row can name by `external_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TerritorialUnit,
    Organization,
    Person,
    Partnership,
    WorkingGroup,
    Meeting,
    ProgressReport,
    Call,
    Project,
}

/// The record of this kind with this `external_ref` (archived ones included: the key stays
/// taken), if any.
pub async fn find_by_external_ref(conn: &impl Conn, kind: Kind, external_ref: &str) -> Result<Option<Uuid>, StoreError> {
    let r = external_ref.to_owned();
    let id = match kind {
        Kind::TerritorialUnit => {
            first_id(
                territorial_unit::Entity::find().filter(territorial_unit::Column::ExternalRef.eq(r)).select_only().column(territorial_unit::Column::Id),
                conn,
            )
            .await?
        }
        Kind::Organization => {
            first_id(organization::Entity::find().filter(organization::Column::ExternalRef.eq(r)).select_only().column(organization::Column::Id), conn).await?
        }
        Kind::Person => first_id(person::Entity::find().filter(person::Column::ExternalRef.eq(r)).select_only().column(person::Column::Id), conn).await?,
        Kind::Partnership => {
            first_id(partnership::Entity::find().filter(partnership::Column::ExternalRef.eq(r)).select_only().column(partnership::Column::Id), conn).await?
        }
        Kind::WorkingGroup => {
            first_id(working_group::Entity::find().filter(working_group::Column::ExternalRef.eq(r)).select_only().column(working_group::Column::Id), conn)
                .await?
        }
        Kind::Call => first_id(call::Entity::find().filter(call::Column::ExternalRef.eq(r)).select_only().column(call::Column::Id), conn).await?,
        Kind::Project => first_id(project::Entity::find().filter(project::Column::ExternalRef.eq(r)).select_only().column(project::Column::Id), conn).await?,
        Kind::ProgressReport => {
            first_id(progress_report::Entity::find().filter(progress_report::Column::ExternalRef.eq(r)).select_only().column(progress_report::Column::Id), conn)
                .await?
        }
        Kind::Meeting => first_id(meeting::Entity::find().filter(meeting::Column::ExternalRef.eq(r)).select_only().column(meeting::Column::Id), conn).await?,
    };
    Ok(id)
}

/// [`find_by_external_ref`] for many keys at once (a batch of an import's rows): the ids of the
/// records of this kind with these `external_ref`s, by key; a key nobody has is absent.
pub async fn find_many_by_external_ref(conn: &impl Conn, kind: Kind, refs: &[String]) -> Result<HashMap<String, Uuid>, StoreError> {
    if refs.is_empty() {
        return Ok(HashMap::new());
    }
    let refs = refs.to_vec();
    macro_rules! ids_of {
        ($entity:ident) => {
            $entity::Entity::find()
                .filter($entity::Column::ExternalRef.is_in(refs))
                .select_only()
                .column($entity::Column::ExternalRef)
                .column($entity::Column::Id)
                .into_tuple::<(Option<String>, Uuid)>()
                .all(conn)
                .await?
        };
    }
    let found = match kind {
        Kind::TerritorialUnit => ids_of!(territorial_unit),
        Kind::Organization => ids_of!(organization),
        Kind::Person => ids_of!(person),
        Kind::Partnership => ids_of!(partnership),
        Kind::WorkingGroup => ids_of!(working_group),
        Kind::Meeting => ids_of!(meeting),
        Kind::ProgressReport => ids_of!(progress_report),
        Kind::Call => ids_of!(call),
        Kind::Project => ids_of!(project),
    };
    Ok(found.into_iter().filter_map(|(r, id)| r.map(|r| (r, id))).collect())
}

async fn first_id<E: EntityTrait>(select: sea_orm::Select<E>, conn: &impl Conn) -> Result<Option<Uuid>, StoreError> {
    Ok(select.into_tuple::<Uuid>().one(conn).await?)
}

/// The membership (not archived) of an organization in a partnership that started that day:
/// what a membership row of an import updates, memberships having no `external_ref`.
pub async fn find_membership(conn: &impl Conn, partnership_id: Uuid, organization_id: Uuid, joined_on: NaiveDate) -> Result<Option<Uuid>, StoreError> {
    let select = membership::Entity::find()
        .filter(membership::Column::PartnershipId.eq(partnership_id))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::JoinedOn.eq(joined_on))
        .filter(membership::Column::ArchivedAt.is_null())
        .select_only()
        .column(membership::Column::Id);
    first_id(select, conn).await
}

/// The measure of a plan with this `external_ref` (unique within a plan), if any.
pub async fn find_measure(conn: &impl Conn, plan_id: Uuid, external_ref: &str) -> Result<Option<Uuid>, StoreError> {
    let select = measure::Entity::find()
        .filter(measure::Column::PlanId.eq(plan_id))
        .filter(measure::Column::ExternalRef.eq(external_ref.to_owned()))
        .select_only()
        .column(measure::Column::Id);
    first_id(select, conn).await
}

/// The measure of a plan with this code (unique within a plan), if any.
pub async fn find_measure_by_code(conn: &impl Conn, plan_id: Uuid, code: &str) -> Result<Option<Uuid>, StoreError> {
    let select = measure::Entity::find()
        .filter(measure::Column::PlanId.eq(plan_id))
        .filter(measure::Column::Code.eq(code.to_owned()))
        .select_only()
        .column(measure::Column::Id);
    first_id(select, conn).await
}

/// The goal of a plan with this code (unique within a plan), if any.
pub async fn find_goal_by_code(conn: &impl Conn, plan_id: Uuid, code: &str) -> Result<Option<Uuid>, StoreError> {
    let select =
        goal::Entity::find().filter(goal::Column::PlanId.eq(plan_id)).filter(goal::Column::Code.eq(code.to_owned())).select_only().column(goal::Column::Id);
    first_id(select, conn).await
}

/// The measures with this `external_ref` (in one plan, or one partnership, when given) and
/// their plans: every
/// version of a revised plan's measure has it.
pub async fn measures_by_external_ref(
    conn: &impl Conn,
    external_ref: &str,
    plan_id: Option<Uuid>,
    partnership_id: Option<Uuid>,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let mut select = measure::Entity::find().filter(measure::Column::ExternalRef.eq(external_ref.to_owned()));
    if let Some(plan_id) = plan_id {
        select = select.filter(measure::Column::PlanId.eq(plan_id));
    }
    if let Some(partnership_id) = partnership_id {
        select = select.filter(measure::Column::PartnershipId.eq(partnership_id));
    }
    Ok(select.select_only().column(measure::Column::Id).column(measure::Column::PlanId).into_tuple::<(Uuid, Uuid)>().all(conn).await?)
}

/// The operational programme with this code (unique), if any.
pub async fn find_programme_by_code(conn: &impl Conn, code: &str) -> Result<Option<Uuid>, StoreError> {
    let select = operational_programme::Entity::find()
        .filter(operational_programme::Column::Code.eq(code.to_owned()))
        .select_only()
        .column(operational_programme::Column::Id);
    first_id(select, conn).await
}
