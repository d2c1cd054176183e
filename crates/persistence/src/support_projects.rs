//! The Agency's support projects ([`domain::support_project`]): the project, its supported
//! units with their descriptions of cooperation, quality criteria with their assessments,
//! participatory procedures, KA03 findings, KA01/KA02 documents and KA04 events with the
//! managers' attendance; who a unit concerns (the partnership of its cooperation); and the
//! facts of the project's indicators.

use crate::Conn;
use std::collections::HashMap;

use domain::codelist::{ProgrammingPeriod, ThematicArea};
use domain::registry::Record;
use domain::support_project::{
    Assessment, Attendance, CompetenceRule, CriterionData, DocumentActivity, DocumentData, DocumentFacts, EventData, EventFacts, EventKind, Facts, FindingData,
    KeyActivity, ParticipatoryData, Presenter, SupportProjectData, SupportedUnitData, UnitFacts,
};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Select, Set};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, meta, now, update_guarded};
use crate::entities::{
    analytical_finding as af, cooperation, good_practice_event as ev, operational_programme as op, organization, participatory_procedure as pp,
    quality_criterion as qc, support_project as sp, support_project_document as doc, supported_unit as su, territorial_unit,
};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

/// A supported unit as stored: its project and its description of cooperation.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportedUnit {
    pub support_project_id: Uuid,
    pub data: SupportedUnitData,
}

/// A quality criterion with its assessments.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub supported_unit_id: Uuid,
    pub data: CriterionData,
    pub assessments: Vec<Assessment>,
}

/// A participatory procedure a unit applied on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Participatory {
    pub supported_unit_id: Uuid,
    pub data: ParticipatoryData,
}

/// A KA03 analytical finding of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub support_project_id: Uuid,
    pub data: FindingData,
}

/// A KA01/KA02 document of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub support_project_id: Uuid,
    pub data: DocumentData,
}

/// A KA04 event with the managers' attendance.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub support_project_id: Uuid,
    pub data: EventData,
    pub attendance: Vec<Attendance>,
}

pub type SupportProjectRecord = Record<SupportProjectData>;
pub type SupportedUnitRecord = Record<SupportedUnit>;
pub type CriterionRecord = Record<Criterion>;
pub type ParticipatoryRecord = Record<Participatory>;
pub type FindingRecord = Record<Finding>;
pub type DocumentRecord = Record<Document>;
pub type EventRecord = Record<Event>;

pub const SORT: &[SortField<sp::Column>] = &[field("start_on", sp::Column::StartOn, SortKind::Date)];
const UNIT_SORT: &[SortField<su::Column>] = &[field("joined_on", su::Column::JoinedOn, SortKind::Date)];
const CRITERION_SORT: &[SortField<qc::Column>] = &[field("created_at", qc::Column::CreatedAt, SortKind::Timestamp)];
const PARTICIPATORY_SORT: &[SortField<pp::Column>] = &[field("applied_on", pp::Column::AppliedOn, SortKind::Date)];
const FINDING_SORT: &[SortField<af::Column>] = &[field("published_on", af::Column::PublishedOn, SortKind::Date)];
const DOCUMENT_SORT: &[SortField<doc::Column>] = &[field("issued_on", doc::Column::IssuedOn, SortKind::Date)];
const EVENT_SORT: &[SortField<ev::Column>] = &[field("held_on", ev::Column::HeldOn, SortKind::Date)];

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

fn stored<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| StoreError::Database(sea_orm::DbErr::Type(format!("unknown {what} `{value}` in the database"))))
}

fn wire<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn unsigned(minutes: i32) -> u32 {
    u32::try_from(minutes).unwrap_or(0)
}

// Records from rows, and rows from content.

fn project(m: sp::Model) -> Result<SupportProjectRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: SupportProjectData {
            registration_number: m.registration_number,
            title: m.title,
            programme: m.programme,
            start_on: m.start_on,
            end_on: m.end_on,
            key_activities: json::<Vec<KeyActivity>>(m.key_activities)?,
            competence_rule: json::<CompetenceRule>(m.competence_rule)?,
            note: m.note,
        },
    })
}

fn project_content(d: &SupportProjectData) -> sp::ActiveModel {
    sp::ActiveModel {
        registration_number: Set(d.registration_number.clone()),
        title: Set(d.title.clone()),
        programme: Set(d.programme.clone()),
        start_on: Set(d.start_on),
        end_on: Set(d.end_on),
        key_activities: Set(serde_json::json!(d.key_activities)),
        competence_rule: Set(serde_json::json!(d.competence_rule)),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

fn unit(m: su::Model) -> Result<SupportedUnitRecord, StoreError> {
    let codes: Vec<String> = json(m.thematic_areas)?;
    let thematic_areas = codes.iter().map(|c| code::<ThematicArea>(c)).collect::<Result<_, _>>()?;
    Ok(Record {
        meta: meta!(m),
        data: SupportedUnit {
            support_project_id: m.support_project_id,
            data: SupportedUnitData {
                territorial_unit_id: m.territorial_unit_id,
                cooperation_id: m.cooperation_id,
                joined_on: m.joined_on,
                description_agreed_on: m.description_agreed_on,
                scope: m.scope,
                thematic_areas,
                note: m.note,
            },
        },
    })
}

fn unit_content(u: &SupportedUnit) -> su::ActiveModel {
    let d = &u.data;
    su::ActiveModel {
        support_project_id: Set(u.support_project_id),
        territorial_unit_id: Set(d.territorial_unit_id),
        cooperation_id: Set(d.cooperation_id),
        joined_on: Set(d.joined_on),
        description_agreed_on: Set(d.description_agreed_on),
        scope: Set(d.scope.clone()),
        thematic_areas: Set(serde_json::json!(domain::support_project::area_codes(&d.thematic_areas))),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

fn criterion(m: qc::Model) -> Result<CriterionRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Criterion {
            supported_unit_id: m.supported_unit_id,
            data: CriterionData { title: m.title, scale_min: m.scale_min, scale_max: m.scale_max, description: m.description },
            assessments: json(m.assessments)?,
        },
    })
}

fn criterion_content(c: &Criterion) -> qc::ActiveModel {
    qc::ActiveModel {
        supported_unit_id: Set(c.supported_unit_id),
        title: Set(c.data.title.clone()),
        description: Set(c.data.description.clone()),
        scale_min: Set(c.data.scale_min),
        scale_max: Set(c.data.scale_max),
        assessments: Set(serde_json::json!(c.assessments)),
        ..Default::default()
    }
}

fn participatory(m: pp::Model) -> Result<ParticipatoryRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Participatory {
            supported_unit_id: m.supported_unit_id,
            data: ParticipatoryData { applied_on: m.applied_on, title: m.title, evidence: m.evidence },
        },
    })
}

fn participatory_content(p: &Participatory) -> pp::ActiveModel {
    pp::ActiveModel {
        supported_unit_id: Set(p.supported_unit_id),
        applied_on: Set(p.data.applied_on),
        title: Set(p.data.title.clone()),
        evidence: Set(p.data.evidence.clone()),
        ..Default::default()
    }
}

fn finding(m: af::Model) -> Result<FindingRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Finding { support_project_id: m.support_project_id, data: FindingData { title: m.title, published_on: m.published_on, summary: m.summary } },
    })
}

fn finding_content(f: &Finding) -> af::ActiveModel {
    af::ActiveModel {
        support_project_id: Set(f.support_project_id),
        title: Set(f.data.title.clone()),
        published_on: Set(f.data.published_on),
        summary: Set(f.data.summary.clone()),
        ..Default::default()
    }
}

fn document(m: doc::Model) -> Result<DocumentRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Document {
            support_project_id: m.support_project_id,
            data: DocumentData {
                key_activity: stored::<DocumentActivity>("key activity", &m.key_activity)?,
                kind: stored("document kind", &m.kind)?,
                title: m.title,
                issued_on: m.issued_on,
                supported_unit_id: m.supported_unit_id,
                finding_ids: json(m.finding_ids)?,
            },
        },
    })
}

fn document_content(d: &Document) -> doc::ActiveModel {
    doc::ActiveModel {
        support_project_id: Set(d.support_project_id),
        supported_unit_id: Set(d.data.supported_unit_id),
        key_activity: Set(wire(d.data.key_activity)),
        kind: Set(wire(d.data.kind)),
        title: Set(d.data.title.clone()),
        issued_on: Set(d.data.issued_on),
        finding_ids: Set(serde_json::json!(d.data.finding_ids)),
        ..Default::default()
    }
}

fn event(m: ev::Model) -> Result<EventRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Event {
            support_project_id: m.support_project_id,
            data: EventData {
                kind: stored::<EventKind>("event kind", &m.kind)?,
                title: m.title,
                held_on: m.held_on,
                minutes: unsigned(m.minutes),
                presenters: json::<Vec<Presenter>>(m.presenters)?,
                central_bodies_attended: m.central_bodies_attended,
                presents_data_and_recommendations: m.presents_data_and_recommendations,
            },
            attendance: json(m.attendance)?,
        },
    })
}

fn event_content(e: &Event) -> ev::ActiveModel {
    ev::ActiveModel {
        support_project_id: Set(e.support_project_id),
        kind: Set(wire(e.data.kind)),
        title: Set(e.data.title.clone()),
        held_on: Set(e.data.held_on),
        minutes: Set(i32::try_from(e.data.minutes).unwrap_or(i32::MAX)),
        presenters: Set(serde_json::json!(e.data.presenters)),
        central_bodies_attended: Set(e.data.central_bodies_attended),
        presents_data_and_recommendations: Set(e.data.presents_data_and_recommendations),
        attendance: Set(serde_json::json!(e.attendance)),
        ..Default::default()
    }
}

/// get, create, update and archive of one kind of record, written once.
macro_rules! repository {
    ($get:ident, $create:ident, $update:ident, $archive:ident, $ent:ident, $stored:ty, $rec:ty, $record:ident, $content:ident) => {
        pub async fn $get(conn: &impl Conn, id: Uuid) -> Result<$rec, StoreError> {
            crate::page::by_id::<$ent::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then($record)
        }

        /// Inserts the content (its references checked by the caller).
        pub async fn $create(tx: &WriteTx, value: &$stored) -> Result<$rec, StoreError> {
            let at = now();
            let id = Uuid::now_v7();
            $ent::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..$content(value) }
                .insert(tx.conn())
                .await?;
            $get(tx.conn(), id).await
        }

        /// Writes the content over the version that was read.
        pub async fn $update(tx: &WriteTx, current: &$rec, value: &$stored) -> Result<$rec, StoreError> {
            let m = &current.meta;
            let changes = $ent::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..$content(value) };
            update_guarded(tx.conn(), changes, $ent::Column::Id.eq(m.id).and($ent::Column::Version.eq(m.version))).await?;
            $get(tx.conn(), m.id).await
        }

        pub async fn $archive(tx: &WriteTx, current: &$rec) -> Result<$rec, StoreError> {
            let m = &current.meta;
            let at = now();
            let changes = $ent::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
            update_guarded(tx.conn(), changes, $ent::Column::Id.eq(m.id).and($ent::Column::Version.eq(m.version))).await?;
            $get(tx.conn(), m.id).await
        }
    };
}

repository!(get, create, update, archive, sp, SupportProjectData, SupportProjectRecord, project, project_content);
repository!(get_unit, create_unit, update_unit, archive_unit, su, SupportedUnit, SupportedUnitRecord, unit, unit_content);
repository!(get_criterion, create_criterion, update_criterion, archive_criterion, qc, Criterion, CriterionRecord, criterion, criterion_content);
repository!(
    get_participatory,
    create_participatory,
    update_participatory,
    archive_participatory,
    pp,
    Participatory,
    ParticipatoryRecord,
    participatory,
    participatory_content
);
repository!(get_finding, create_finding, update_finding, archive_finding, af, Finding, FindingRecord, finding, finding_content);
repository!(get_document, create_document, update_document, archive_document, doc, Document, DocumentRecord, document, document_content);
repository!(get_event, create_event, update_event, archive_event, ev, Event, EventRecord, event, event_content);

async fn page_of<E, T>(
    conn: &impl Conn,
    select: Select<E>,
    sort: &[SortField<E::Column>],
    default: &str,
    id: E::Column,
    req: &PageRequest,
    f: fn(E::Model) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: sea_orm::ModelTrait<Entity = E> + Sync,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
{
    let page = page::fetch(conn, select, sort, default, id, req).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(f(m)?);
    }
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// What a list shows: archived rows too, and for a partner only the units (or projects) of
/// its partnerships (`scope`).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub include_archived: bool,
    /// `Some(ids)`: only what concerns these partnerships (a partner's view).
    pub scope: Option<Vec<Uuid>>,
}

/// The ids of the supported units whose cooperation is with one of `partnerships`.
async fn units_of_partnerships(conn: &impl Conn, partnerships: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    let cooperations: Vec<Uuid> = cooperation::Entity::find()
        .select_only()
        .column(cooperation::Column::Id)
        .filter(cooperation::Column::PartnershipId.is_in(partnerships.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(su::Entity::find()
        .select_only()
        .column(su::Column::Id)
        .filter(su::Column::CooperationId.is_in(cooperations))
        .filter(su::Column::ArchivedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?)
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<SupportProjectRecord>, StoreError> {
    let mut select = sp::Entity::find();
    if !f.include_archived {
        select = select.filter(sp::Column::ArchivedAt.is_null());
    }
    if let Some(scope) = &f.scope {
        let units = units_of_partnerships(conn, scope).await?;
        let projects: Vec<Uuid> =
            su::Entity::find().select_only().column(su::Column::SupportProjectId).filter(su::Column::Id.is_in(units)).into_tuple().all(conn).await?;
        select = select.filter(sp::Column::Id.is_in(projects));
    }
    page_of(conn, select, SORT, "start_on", sp::Column::Id, req, project).await
}

pub async fn list_units(conn: &impl Conn, project_id: Uuid, f: &Filter, req: &PageRequest) -> Result<Page<SupportedUnitRecord>, StoreError> {
    let mut select = su::Entity::find().filter(su::Column::SupportProjectId.eq(project_id));
    if !f.include_archived {
        select = select.filter(su::Column::ArchivedAt.is_null());
    }
    if let Some(scope) = &f.scope {
        select = select.filter(su::Column::Id.is_in(units_of_partnerships(conn, scope).await?));
    }
    page_of(conn, select, UNIT_SORT, "joined_on", su::Column::Id, req, unit).await
}

pub async fn list_criteria(conn: &impl Conn, unit_id: Uuid, include_archived: bool, req: &PageRequest) -> Result<Page<CriterionRecord>, StoreError> {
    let mut select = qc::Entity::find().filter(qc::Column::SupportedUnitId.eq(unit_id));
    if !include_archived {
        select = select.filter(qc::Column::ArchivedAt.is_null());
    }
    page_of(conn, select, CRITERION_SORT, "created_at", qc::Column::Id, req, criterion).await
}

pub async fn list_participatory(conn: &impl Conn, unit_id: Uuid, include_archived: bool, req: &PageRequest) -> Result<Page<ParticipatoryRecord>, StoreError> {
    let mut select = pp::Entity::find().filter(pp::Column::SupportedUnitId.eq(unit_id));
    if !include_archived {
        select = select.filter(pp::Column::ArchivedAt.is_null());
    }
    page_of(conn, select, PARTICIPATORY_SORT, "applied_on", pp::Column::Id, req, participatory).await
}

pub async fn list_findings(conn: &impl Conn, project_id: Uuid, include_archived: bool, req: &PageRequest) -> Result<Page<FindingRecord>, StoreError> {
    let mut select = af::Entity::find().filter(af::Column::SupportProjectId.eq(project_id));
    if !include_archived {
        select = select.filter(af::Column::ArchivedAt.is_null());
    }
    page_of(conn, select, FINDING_SORT, "published_on", af::Column::Id, req, finding).await
}

/// A project's documents; for a partner (`scope`) those of the whole project and of its own units.
pub async fn list_documents(conn: &impl Conn, project_id: Uuid, f: &Filter, req: &PageRequest) -> Result<Page<DocumentRecord>, StoreError> {
    let mut select = doc::Entity::find().filter(doc::Column::SupportProjectId.eq(project_id));
    if !f.include_archived {
        select = select.filter(doc::Column::ArchivedAt.is_null());
    }
    if let Some(scope) = &f.scope {
        let units = units_of_partnerships(conn, scope).await?;
        select = select.filter(doc::Column::SupportedUnitId.is_null().or(doc::Column::SupportedUnitId.is_in(units)));
    }
    page_of(conn, select, DOCUMENT_SORT, "issued_on", doc::Column::Id, req, document).await
}

pub async fn list_events(conn: &impl Conn, project_id: Uuid, include_archived: bool, req: &PageRequest) -> Result<Page<EventRecord>, StoreError> {
    let mut select = ev::Entity::find().filter(ev::Column::SupportProjectId.eq(project_id));
    if !include_archived {
        select = select.filter(ev::Column::ArchivedAt.is_null());
    }
    page_of(conn, select, EVENT_SORT, "held_on", ev::Column::Id, req, event).await
}

// Who a record concerns, and the references a write names.

/// The programming period of the operational programme with this code, if there is one.
pub async fn programme_period(conn: &impl Conn, programme: &str) -> Result<Option<ProgrammingPeriod>, StoreError> {
    let found = op::Entity::find().filter(op::Column::Code.eq(programme)).one(conn).await?;
    found.map(|p| code::<ProgrammingPeriod>(&p.period)).transpose()
}

/// Refuses a registration number another support project already has (409 naming the field).
pub async fn ensure_unique_number(conn: &impl Conn, number: &str, except: Option<Uuid>) -> Result<(), StoreError> {
    let mut select = sp::Entity::find().filter(sp::Column::RegistrationNumber.eq(number));
    if let Some(id) = except {
        select = select.filter(sp::Column::Id.ne(id));
    }
    if select.one(conn).await?.is_some() {
        return Err(StoreError::Conflict { field: Some("registration_number".into()), message: "another support project has this registration number".into() });
    }
    Ok(())
}

/// The partnership a supported unit concerns: that of its cooperation.
pub async fn unit_partnership(conn: &impl Conn, u: &SupportedUnitRecord) -> Result<Option<Uuid>, StoreError> {
    cooperation_partnership(conn, u.data.data.cooperation_id).await
}

/// The partnership of a cooperation, if any.
pub async fn cooperation_partnership(conn: &impl Conn, cooperation_id: Option<Uuid>) -> Result<Option<Uuid>, StoreError> {
    let Some(id) = cooperation_id else { return Ok(None) };
    Ok(crate::page::by_id::<cooperation::Entity, _>(conn, id).await?.map(|c| c.partnership_id))
}

/// Whether a project supports a unit whose cooperation is with one of `partnerships`.
pub async fn concerns(conn: &impl Conn, project_id: Uuid, partnerships: &[Uuid]) -> Result<bool, StoreError> {
    let units = units_of_partnerships(conn, partnerships).await?;
    Ok(su::Entity::find().filter(su::Column::SupportProjectId.eq(project_id)).filter(su::Column::Id.is_in(units)).one(conn).await?.is_some())
}

/// Checks a supported unit's references: the territorial unit and the cooperation exist, and
/// the project does not support the unit twice (409).
pub async fn check_unit(conn: &impl Conn, u: &SupportedUnit, except: Option<Uuid>) -> Result<(), StoreError> {
    ensure_exist::<territorial_unit::Entity, _>(conn, territorial_unit::Column::Id, &[u.data.territorial_unit_id], "territorial_unit_id", true).await?;
    if let Some(c) = u.data.cooperation_id {
        ensure_exist::<cooperation::Entity, _>(conn, cooperation::Column::Id, &[c], "cooperation_id", true).await?;
    }
    let mut twice =
        su::Entity::find().filter(su::Column::SupportProjectId.eq(u.support_project_id)).filter(su::Column::TerritorialUnitId.eq(u.data.territorial_unit_id));
    if let Some(id) = except {
        twice = twice.filter(su::Column::Id.ne(id));
    }
    if twice.one(conn).await?.is_some() {
        return Err(StoreError::Conflict { field: Some("territorial_unit_id".into()), message: "the project already supports this territorial unit".into() });
    }
    Ok(())
}

/// Checks that `unit` is a (not archived) supported unit of `project_id`, under `field`.
pub async fn ensure_unit_of(conn: &impl Conn, project_id: Uuid, unit: Uuid, field: &str) -> Result<(), StoreError> {
    let found = crate::page::by_id::<su::Entity, _>(conn, unit).await?;
    if found.is_some_and(|u| u.support_project_id == project_id && u.archived_at.is_none()) {
        Ok(())
    } else {
        Err(domain::DomainError::invalid(field, "not_found", format!("{unit} is not a supported unit of this project")).into())
    }
}

/// Checks a document's references: its unit and its findings belong to its project.
pub async fn check_document(conn: &impl Conn, d: &Document) -> Result<(), StoreError> {
    if let Some(u) = d.data.supported_unit_id {
        ensure_unit_of(conn, d.support_project_id, u, "supported_unit_id").await?;
    }
    let found: Vec<Uuid> = af::Entity::find()
        .select_only()
        .column(af::Column::Id)
        .filter(af::Column::SupportProjectId.eq(d.support_project_id))
        .filter(af::Column::Id.is_in(d.data.finding_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut v = domain::Violations::new();
    for (i, id) in d.data.finding_ids.iter().enumerate() {
        if !found.contains(id) {
            v.push(domain::FieldError::new(format!("finding_ids[{i}]"), "not_found", format!("{id} is not a finding of this project")));
        }
    }
    Ok(v.into_result()?)
}

/// Checks an event's presenting organizations exist.
pub async fn check_event(conn: &impl Conn, e: &EventData) -> Result<(), StoreError> {
    for (i, p) in e.presenters.iter().enumerate() {
        if let Some(org) = p.organization_id {
            ensure_exist::<organization::Entity, _>(conn, organization::Column::Id, &[org], &format!("presenters[{i}].organization_id"), true).await?;
        }
    }
    Ok(())
}

/// Checks an attendance's references: the unit is the event's project's, the person exists.
pub async fn check_attendance(conn: &impl Conn, e: &EventRecord, a: &Attendance) -> Result<(), StoreError> {
    ensure_unit_of(conn, e.data.support_project_id, a.supported_unit_id, "supported_unit_id").await?;
    ensure_people(conn, &[a.person_id], "person_id", true).await
}

/// The facts of a project's indicators: its units (not archived) with their criteria and
/// participatory procedures, its documents with their findings' days, its events.
pub async fn facts(conn: &impl Conn, project_id: Uuid) -> Result<Facts, StoreError> {
    let units =
        crate::page::models(conn, su::Entity::find().filter(su::Column::SupportProjectId.eq(project_id)).filter(su::Column::ArchivedAt.is_null())).await?;
    let ids: Vec<Uuid> = units.iter().map(|u| u.id).collect();
    let criteria =
        crate::page::models(conn, qc::Entity::find().filter(qc::Column::SupportedUnitId.is_in(ids.clone())).filter(qc::Column::ArchivedAt.is_null())).await?;
    let procedures =
        crate::page::models(conn, pp::Entity::find().filter(pp::Column::SupportedUnitId.is_in(ids)).filter(pp::Column::ArchivedAt.is_null())).await?;
    let mut facts = Facts::default();
    for u in units {
        let mut unit_criteria = Vec::new();
        for c in criteria.iter().filter(|c| c.supported_unit_id == u.id) {
            unit_criteria.push(json::<Vec<Assessment>>(c.assessments.clone())?);
        }
        let participatory = procedures.iter().filter(|p| p.supported_unit_id == u.id).map(|p| p.applied_on).collect();
        facts.units.push(UnitFacts { id: u.id, joined_on: u.joined_on, criteria: unit_criteria, participatory });
    }
    let findings: HashMap<Uuid, chrono::NaiveDate> =
        crate::page::models(conn, af::Entity::find().filter(af::Column::SupportProjectId.eq(project_id)).filter(af::Column::ArchivedAt.is_null()))
            .await?
            .into_iter()
            .map(|f| (f.id, f.published_on))
            .collect();
    for d in
        crate::page::models(conn, doc::Entity::find().filter(doc::Column::SupportProjectId.eq(project_id)).filter(doc::Column::ArchivedAt.is_null())).await?
    {
        let ids: Vec<Uuid> = json(d.finding_ids)?;
        facts.documents.push(DocumentFacts { issued_on: d.issued_on, findings_published_on: ids.iter().filter_map(|id| findings.get(id).copied()).collect() });
    }
    for e in crate::page::models(conn, ev::Entity::find().filter(ev::Column::SupportProjectId.eq(project_id)).filter(ev::Column::ArchivedAt.is_null())).await? {
        let r = event(e)?;
        let Event { data, attendance, .. } = r.data;
        facts.events.push(EventFacts {
            kind: data.kind,
            held_on: data.held_on,
            central_bodies_attended: data.central_bodies_attended,
            presents_data_and_recommendations: data.presents_data_and_recommendations,
            attendance,
        });
    }
    Ok(facts)
}
