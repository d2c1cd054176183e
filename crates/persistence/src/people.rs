//! People: representatives, coordinators, consultants. Personal data: a partner sees only
//! the people connected to its own partnerships (see [`Scope`]).

use crate::Conn;
use domain::access::PersonTie;
use domain::registry::{PersonData, Record};
use domain::search::search_text;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::convert::{ensure_exist, like, meta, now, update_guarded};
use crate::entities::{
    action_item, meeting, meeting_attendance as att, membership, membership_representative as rep, organization, partnership_consultant as pc, person,
    working_group, working_group_member as wgm,
};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Person = Record<PersonData>;

#[derive(Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub organization_id: Option<Uuid>,
    pub external_ref: Option<String>,
    pub include_archived: bool,
    /// `Some(ids)`: only people connected to these partnerships (a partner's view).
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<person::Column>] = &[
    field("name", person::Column::SortName, SortKind::Text),
    field("created_at", person::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", person::Column::UpdatedAt, SortKind::Timestamp),
];

fn record(m: person::Model) -> Person {
    Record {
        meta: meta!(m),
        data: PersonData {
            external_ref: m.external_ref,
            name: m.name,
            email: m.email,
            phone: m.phone,
            organization_id: m.organization_id,
            job_title: m.job_title,
        },
    }
}

fn content(d: &PersonData) -> person::ActiveModel {
    person::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        name: Set(d.name.clone()),
        email: Set(d.email.clone()),
        phone: Set(d.phone.clone()),
        organization_id: Set(d.organization_id),
        job_title: Set(d.job_title.clone()),
        sort_name: Set(domain::search::fold(&d.name)),
        search_text: Set(search_text([d.name.as_str(), d.email.as_deref().unwrap_or(""), d.job_title.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

/// People connected to these partnerships through the partnerships' own records:
/// representatives of (non-archived) memberships, assigned consultants, working-group
/// coordinators and members, meeting attendees and action-item owners. Being employed by an
/// organization that is a member is not enough: organizations such as the police or the
/// labour office are members of many partnerships, and their staff in one partnership are
/// none of another's business.
pub(crate) fn connected_to(partnerships: &[Uuid]) -> Condition {
    named_by(Some(partnerships))
}

/// People named by the records of these partnerships (`None`: of any partnership).
fn named_by(partnerships: Option<&[Uuid]>) -> Condition {
    // The partnership column of each record, limited to the given partnerships if any.
    let of = |column: Expr| partnerships.map(|ids| column.is_in(ids.iter().copied()));
    let via = |select: SelectStatement| person::Column::Id.in_subquery(select);
    Condition::any()
        .add(via(Query::select()
            .column((rep::Entity, rep::Column::PersonId))
            .from(rep::Entity)
            .inner_join(membership::Entity, Expr::col((membership::Entity, membership::Column::Id)).equals((rep::Entity, rep::Column::MembershipId)))
            .and_where_option(of(Expr::col((membership::Entity, membership::Column::PartnershipId))))
            .and_where(Expr::col((membership::Entity, membership::Column::ArchivedAt)).is_null())
            .take()))
        .add(via(Query::select().column(pc::Column::PersonId).from(pc::Entity).and_where_option(of(Expr::col(pc::Column::PartnershipId))).take()))
        .add(via(Query::select()
            .column((wgm::Entity, wgm::Column::PersonId))
            .from(wgm::Entity)
            .inner_join(working_group::Entity, Expr::col((working_group::Entity, working_group::Column::Id)).equals((wgm::Entity, wgm::Column::WorkingGroupId)))
            .and_where_option(of(Expr::col((working_group::Entity, working_group::Column::PartnershipId))))
            .take()))
        .add(via(Query::select()
            .column(working_group::Column::CoordinatorId)
            .from(working_group::Entity)
            .and_where_option(of(Expr::col(working_group::Column::PartnershipId)))
            .and_where(working_group::Column::CoordinatorId.is_not_null())
            .take()))
        .add(via(Query::select()
            .column((att::Entity, att::Column::PersonId))
            .from(att::Entity)
            .inner_join(meeting::Entity, Expr::col((meeting::Entity, meeting::Column::Id)).equals((att::Entity, att::Column::MeetingId)))
            .and_where_option(of(Expr::col((meeting::Entity, meeting::Column::PartnershipId))))
            .take()))
        .add(via(Query::select()
            .column(action_item::Column::OwnerId)
            .from(action_item::Entity)
            .and_where_option(of(Expr::col(action_item::Column::PartnershipId)))
            .and_where(action_item::Column::OwnerId.is_not_null())
            .take()))
}

/// How a person is tied to these partnerships (a consultant's), by the same records that make
/// people visible to partners.
pub async fn tie(conn: &impl Conn, id: Uuid, partnerships: &[Uuid]) -> Result<PersonTie, StoreError> {
    let named = |scope: Option<&[Uuid]>| person::Entity::find_by_id(id).filter(named_by(scope)).count(conn);
    Ok(if named(Some(partnerships)).await? > 0 {
        PersonTie::NamedByOwn
    } else if named(None).await? > 0 {
        PersonTie::NamedByOthersOnly
    } else {
        PersonTie::Unnamed
    })
}

/// One person, if it exists and the scope allows it.
pub async fn get(conn: &impl Conn, id: Uuid, scope: Option<&[Uuid]>) -> Result<Person, StoreError> {
    let mut select = person::Entity::find_by_id(id);
    if let Some(partnerships) = scope {
        select = select.filter(connected_to(partnerships));
    }
    select.one(conn).await?.ok_or(StoreError::NotFound).map(record)
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<Person>, StoreError> {
    let mut select = person::Entity::find();
    if !f.include_archived {
        select = select.filter(person::Column::ArchivedAt.is_null());
    }
    if let Some(q) = &f.q {
        select = select.filter(like(person::Column::SearchText, q));
    }
    if let Some(organization_id) = f.organization_id {
        select = select.filter(person::Column::OrganizationId.eq(organization_id));
    }
    if let Some(external_ref) = &f.external_ref {
        select = select.filter(person::Column::ExternalRef.eq(external_ref.clone()));
    }
    if let Some(partnerships) = &f.scope {
        select = select.filter(connected_to(partnerships));
    }
    Ok(page::fetch(conn, select, SORT, "name", person::Column::Id, req).await?.map(record))
}

async fn check_references(tx: &WriteTx, data: &PersonData) -> Result<(), StoreError> {
    let orgs: Vec<Uuid> = data.organization_id.into_iter().collect();
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &orgs, "organization_id", true).await
}

pub async fn create(tx: &WriteTx, data: PersonData) -> Result<Person, StoreError> {
    check_references(tx, &data).await?;
    let at = now();
    let model =
        person::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
            .insert(tx.conn())
            .await?;
    Ok(record(model))
}

pub async fn update(tx: &WriteTx, current: &Person, data: PersonData) -> Result<Person, StoreError> {
    check_references(tx, &data).await?;
    let m = &current.meta;
    let changes = person::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, person::Column::Id.eq(m.id).and(person::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id, None).await
}

pub async fn archive(tx: &WriteTx, current: &Person) -> Result<Person, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = person::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, person::Column::Id.eq(m.id).and(person::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id, None).await
}

/// Checks that people referenced from another resource exist (`field[i]` on error).
pub async fn ensure_people(conn: &impl Conn, ids: &[Uuid], field: &str, single: bool) -> Result<(), StoreError> {
    ensure_exist::<person::Entity, _>(conn, person::Column::Id, ids, field, single).await
}
