//! Calls for proposals of the programmes, with the partnerships a coordinated-approach (KPSVL)
//! call is open to.

use crate::Conn;
use chrono::{DateTime, NaiveDate, Utc};
use domain::DomainError;
use domain::codelist::ProgrammingPeriod;
use domain::esif::CallData;
use domain::registry::Record;
use domain::search::search_text;
use sea_orm::sea_query::{Condition, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::programmes::get_programme;
use super::{json, money};
use crate::convert::{ensure_exist, like, meta, now, update_guarded};
use crate::entities::{call, call_partnership as cp, operational_programme as op, partnership};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Call = Record<CallData>;

pub(super) fn call_record(m: call::Model) -> Result<Call, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: CallData {
            external_ref: m.external_ref,
            programme_id: m.programme_id,
            number: m.number,
            title: m.title,
            specific_objective: m.specific_objective,
            opens_at: m.opens_at,
            closes_at: m.closes_at,
            allocation: money(m.allocation_minor, &m.currency),
            min_project: m.min_project_minor.map(|a| money(a, &m.currency)),
            max_project: m.max_project_minor.map(|a| money(a, &m.currency)),
            support_rate_bp: m.support_rate_bp,
            kpsvl: m.kpsvl,
            open_to: json(m.open_to)?,
        },
    })
}

fn call_content(d: &CallData) -> call::ActiveModel {
    call::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        programme_id: Set(d.programme_id),
        number: Set(d.number.clone()),
        title: Set(d.title.clone()),
        specific_objective: Set(d.specific_objective.clone()),
        opens_at: Set(d.opens_at),
        closes_at: Set(d.closes_at),
        allocation_minor: Set(d.allocation.amount_minor),
        currency: Set(d.allocation.currency.clone()),
        min_project_minor: Set(d.min_project.as_ref().map(|m| m.amount_minor)),
        max_project_minor: Set(d.max_project.as_ref().map(|m| m.amount_minor)),
        support_rate_bp: Set(d.support_rate_bp),
        kpsvl: Set(d.kpsvl),
        open_to: Set(serde_json::json!(d.open_to)),
        search_text: Set(search_text([d.number.as_str(), d.title.as_str()])),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct CallFilter {
    pub programme_id: Option<Uuid>,
    pub period: Option<ProgrammingPeriod>,
    /// Calls accepting applications on this day.
    pub open_on: Option<NaiveDate>,
    /// Calls a project of this partnership may apply to (all non-KPSVL calls, and KPSVL calls
    /// open to it).
    pub open_to: Option<Uuid>,
    pub kpsvl: Option<bool>,
    pub q: Option<String>,
    pub include_archived: bool,
}

pub const CALL_SORT: &[SortField<call::Column>] = &[
    field("number", call::Column::Number, SortKind::Text),
    field("opens_at", call::Column::OpensAt, SortKind::Timestamp),
    field("closes_at", call::Column::ClosesAt, SortKind::Timestamp),
    field("created_at", call::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", call::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_call(conn: &impl Conn, id: Uuid) -> Result<Call, StoreError> {
    crate::page::by_id::<call::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(call_record)
}

pub async fn list_calls(conn: &impl Conn, f: &CallFilter, req: &PageRequest) -> Result<Page<Call>, StoreError> {
    let mut select = call::Entity::find();
    if !f.include_archived {
        select = select.filter(call::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.programme_id {
        select = select.filter(call::Column::ProgrammeId.eq(id));
    }
    if let Some(p) = f.period {
        let of_period = Query::select().column(op::Column::Id).from(op::Entity).and_where(op::Column::Period.eq(p.to_string())).take();
        select = select.filter(call::Column::ProgrammeId.in_subquery(of_period));
    }
    if let Some(day) = f.open_on {
        // Open on a day: opened by its end and not closed before its start.
        let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let end = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        if let (Some(start), Some(end)) = (start, end) {
            select = select.filter(call::Column::OpensAt.lt(end)).filter(call::Column::ClosesAt.gte(start));
        }
    }
    if let Some(p) = f.open_to {
        let listed = Query::select().column(cp::Column::CallId).from(cp::Entity).and_where(cp::Column::PartnershipId.eq(p)).take();
        select = select.filter(Condition::any().add(call::Column::Kpsvl.eq(false)).add(call::Column::Id.in_subquery(listed)));
    }
    if let Some(k) = f.kpsvl {
        select = select.filter(call::Column::Kpsvl.eq(k));
    }
    if let Some(q) = &f.q {
        select = select.filter(like(call::Column::SearchText, q));
    }
    let page = page::fetch(conn, select, CALL_SORT, "closes_at", call::Column::Id, req).await?;
    let items = page.items.into_iter().map(call_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check_call(tx: &WriteTx, d: &CallData, this: Option<Uuid>) -> Result<(), StoreError> {
    if op::Entity::find_by_id(d.programme_id).one(tx.conn()).await?.is_none() {
        return Err(DomainError::invalid("programme_id", "not_found", "the programme does not exist").into());
    }
    ensure_exist::<partnership::Entity, _>(tx.conn(), partnership::Column::Id, &d.open_to, "open_to", false).await?;
    let mut same = call::Entity::find().filter(call::Column::ProgrammeId.eq(d.programme_id)).filter(call::Column::Number.eq(d.number.clone()));
    if let Some(id) = this {
        same = same.filter(call::Column::Id.ne(id));
    }
    if same.one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: Some("number".into()), message: "the programme already has a call with this number".into() });
    }
    Ok(())
}

async fn replace_call_partnerships(tx: &WriteTx, id: Uuid, d: &CallData) -> Result<(), StoreError> {
    cp::Entity::delete_many().filter(cp::Column::CallId.eq(id)).exec(tx.conn()).await?;
    if !d.open_to.is_empty() {
        cp::Entity::insert_many(d.open_to.iter().map(|p| cp::ActiveModel { call_id: Set(id), partnership_id: Set(*p) })).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn create_call(tx: &WriteTx, d: CallData) -> Result<Call, StoreError> {
    check_call(tx, &d, None).await?;
    let at = now();
    let id = Uuid::now_v7();
    call::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..call_content(&d) }
        .insert(tx.conn())
        .await?;
    replace_call_partnerships(tx, id, &d).await?;
    get_call(tx.conn(), id).await
}

pub async fn update_call(tx: &WriteTx, current: &Call, d: CallData) -> Result<Call, StoreError> {
    check_call(tx, &d, Some(current.meta.id)).await?;
    let m = &current.meta;
    let changes = call::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..call_content(&d) };
    update_guarded(tx.conn(), changes, call::Column::Id.eq(m.id).and(call::Column::Version.eq(m.version))).await?;
    replace_call_partnerships(tx, m.id, &d).await?;
    get_call(tx.conn(), m.id).await
}

pub async fn archive_call(tx: &WriteTx, current: &Call) -> Result<Call, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = call::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, call::Column::Id.eq(m.id).and(call::Column::Version.eq(m.version))).await?;
    get_call(tx.conn(), m.id).await
}

/// The programming period of a call (for its registration numbers).
pub async fn call_period(conn: &impl Conn, call: &Call) -> Result<ProgrammingPeriod, StoreError> {
    Ok(get_programme(conn, call.data.programme_id).await?.data.period)
}

/// Whether a call accepts applications at a moment (for views).
pub fn call_status(call: &Call, at: DateTime<Utc>) -> domain::codelist::CallStatus {
    domain::esif::call_status(call.data.opens_at, call.data.closes_at, at)
}
