//! The Agency's support projects ("Rozvoj systémů pro sociální začleňování") and their records
//! ([`domain::support_project`]).
//!
//! Access: the Agency's staff (admins and consultants) write everything
//! (`Action::RunSupportProject`); admins, consultants, reporters and importers read
//! everything; a partner reads a project that supports a unit of its partnerships, and of
//! its units only those whose cooperation is with its partnerships (others are not found).
//! Who attended an event is personal data: admins and consultants read it, everyone else
//! the counts (`Action::ReadAttendees`). The indicators span all units: partners do not read
//! them (`Action::ReadProjectIndicators`).

use chrono::NaiveDate;
use domain::DomainError;
use domain::access::{Action, Principal};
use domain::support_project::{
    self as rules, Assessment, Attendance, CriterionData, DocumentData, EventData, FindingData, IndicatorReport, ParticipatoryData, SupportProjectData,
    SupportedUnitData,
};
use persistence::Conn;
use persistence::support_projects::{
    self as repo, Criterion, CriterionRecord, Document, DocumentRecord, Event, EventRecord, Filter, Finding, FindingRecord, Participatory, ParticipatoryRecord,
    SupportProjectRecord, SupportedUnit, SupportedUnitRecord,
};
use persistence::{Page, PageRequest};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated};

// Reads.

/// A support project, to a caller it concerns (404 otherwise).
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<SupportProjectRecord> {
    let found = repo::get(conn, id).await?;
    let concerned = match who.readable_partnerships() {
        None => true,
        Some(ids) => repo::concerns(conn, id, ids).await?,
    };
    who.authorize(Action::ReadSupportProject { concerned })?;
    Ok(found)
}

/// A supported unit, to a caller who reads its records (404 otherwise).
pub async fn get_unit(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<SupportedUnitRecord> {
    let found = repo::get_unit(conn, id).await?;
    let partnership = repo::unit_partnership(conn, &found).await?;
    who.authorize(Action::ReadSupportedUnit { partnership })?;
    Ok(found)
}

/// A page of the support projects the caller reads.
pub async fn list(conn: &impl Conn, who: &Principal, include_archived: bool, page: &PageRequest) -> Result<Page<SupportProjectRecord>> {
    let filter = Filter { include_archived, scope: who.readable_partnerships().map(<[Uuid]>::to_vec) };
    Ok(repo::list(conn, &filter, page).await?)
}

/// A page of a project's supported units (a partner's own only).
pub async fn list_units(conn: &impl Conn, who: &Principal, project: Uuid, include_archived: bool, page: &PageRequest) -> Result<Page<SupportedUnitRecord>> {
    get(conn, who, project).await?;
    let filter = Filter { include_archived, scope: who.readable_partnerships().map(<[Uuid]>::to_vec) };
    Ok(repo::list_units(conn, project, &filter, page).await?)
}

pub async fn get_criterion(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<CriterionRecord> {
    let found = repo::get_criterion(conn, id).await?;
    get_unit(conn, who, found.data.supported_unit_id).await?;
    Ok(found)
}

pub async fn list_criteria(conn: &impl Conn, who: &Principal, unit: Uuid, include_archived: bool, page: &PageRequest) -> Result<Page<CriterionRecord>> {
    get_unit(conn, who, unit).await?;
    Ok(repo::list_criteria(conn, unit, include_archived, page).await?)
}

pub async fn get_participatory(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<ParticipatoryRecord> {
    let found = repo::get_participatory(conn, id).await?;
    get_unit(conn, who, found.data.supported_unit_id).await?;
    Ok(found)
}

pub async fn list_participatory(
    conn: &impl Conn,
    who: &Principal,
    unit: Uuid,
    include_archived: bool,
    page: &PageRequest,
) -> Result<Page<ParticipatoryRecord>> {
    get_unit(conn, who, unit).await?;
    Ok(repo::list_participatory(conn, unit, include_archived, page).await?)
}

pub async fn get_finding(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<FindingRecord> {
    let found = repo::get_finding(conn, id).await?;
    get(conn, who, found.data.support_project_id).await?;
    Ok(found)
}

pub async fn list_findings(conn: &impl Conn, who: &Principal, project: Uuid, include_archived: bool, page: &PageRequest) -> Result<Page<FindingRecord>> {
    get(conn, who, project).await?;
    Ok(repo::list_findings(conn, project, include_archived, page).await?)
}

/// A document: of the whole project to whom the project concerns, of a unit to whom reads the unit.
pub async fn get_document(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<DocumentRecord> {
    let found = repo::get_document(conn, id).await?;
    get(conn, who, found.data.support_project_id).await?;
    if let Some(unit) = found.data.data.supported_unit_id {
        get_unit(conn, who, unit).await?;
    }
    Ok(found)
}

pub async fn list_documents(conn: &impl Conn, who: &Principal, project: Uuid, include_archived: bool, page: &PageRequest) -> Result<Page<DocumentRecord>> {
    get(conn, who, project).await?;
    let filter = Filter { include_archived, scope: who.readable_partnerships().map(<[Uuid]>::to_vec) };
    Ok(repo::list_documents(conn, project, &filter, page).await?)
}

/// An event, and whether the caller may read who attended it (else only counts).
pub async fn get_event(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<(EventRecord, bool)> {
    let found = repo::get_event(conn, id).await?;
    get(conn, who, found.data.support_project_id).await?;
    Ok((found, may_read_attendees(who)))
}

pub async fn list_events(conn: &impl Conn, who: &Principal, project: Uuid, include_archived: bool, page: &PageRequest) -> Result<(Page<EventRecord>, bool)> {
    get(conn, who, project).await?;
    Ok((repo::list_events(conn, project, include_archived, page).await?, may_read_attendees(who)))
}

/// Whether the caller reads who attended events (admins and consultants), not only counts.
pub fn may_read_attendees(who: &Principal) -> bool {
    who.authorize(Action::ReadAttendees).is_ok()
}

/// The project, when the caller may read its indicators: it sees the project (404 otherwise)
/// and may read indicators (403 for partners). The check of the JSON, the chart and the links.
pub async fn indicators_readable(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<SupportProjectRecord> {
    let project = get(conn, who, id).await?;
    who.authorize(Action::ReadProjectIndicators)?;
    Ok(project)
}

/// The project's five target indicators on `as_of` ([`domain::support_project::indicators`]):
/// the same report the JSON answer and the pages show.
pub async fn indicators(conn: &impl Conn, who: &Principal, id: Uuid, as_of: NaiveDate) -> Result<IndicatorReport> {
    let project = indicators_readable(conn, who, id).await?;
    let facts = repo::facts(conn, id).await?;
    let d = project.data;
    Ok(IndicatorReport {
        support_project_id: id,
        indicators: rules::indicators(d.competence_rule, &facts, as_of),
        registration_number: d.registration_number,
        title: d.title,
        as_of,
        competence_rule: d.competence_rule,
    })
}

// Writes: the Agency's staff.

/// Files the write's change under the partnership of the supported unit `unit` (that of its
/// cooperation, if any): its partners read the unit's records, so they see their changes in
/// the change feed. Records of the whole project (the project, findings, events) concern every
/// partnership of its units and are filed under none.
async fn concerns_unit(s: &Session<'_>, unit: Uuid) -> Result<()> {
    let unit = repo::get_unit(s.conn(), unit).await?;
    concerns_cooperation(s, unit.data.data.cooperation_id).await
}

async fn concerns_cooperation(s: &Session<'_>, cooperation: Option<Uuid>) -> Result<()> {
    Ok(s.tx().concerns_partnership(repo::cooperation_partnership(s.conn(), cooperation).await?)?)
}

async fn validated_project(s: &Session<'_>, data: SupportProjectData, except: Option<Uuid>) -> Result<SupportProjectData> {
    let period = repo::programme_period(s.conn(), data.programme.trim()).await?;
    let data = data.validate(period)?;
    repo::ensure_unique_number(s.conn(), &data.registration_number, except).await?;
    Ok(data)
}

/// Records one of the Agency's support projects.
#[tracing::instrument(name = "support_projects::create", skip_all)]
pub async fn create<E>(s: &Session<'_>, content: impl FnOnce() -> std::result::Result<SupportProjectData, E>) -> Result<SupportProjectRecord>
where
    Error: From<E>,
{
    s.allow(Action::RunSupportProject).await?;
    let data = validated_project(s, content()?, None).await?;
    Ok(repo::create(s.tx(), &data).await?)
}

async fn writable(s: &Session<'_>, id: Uuid) -> Result<SupportProjectRecord> {
    let current = get(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    Ok(current)
}

#[tracing::instrument(name = "support_projects::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&SupportProjectData) -> std::result::Result<SupportProjectData, E>,
) -> Result<Updated<SupportProjectRecord>>
where
    Error: From<E>,
{
    let before = writable(s, id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let data = validated_project(s, data, Some(id)).await?;
    let after = repo::update(s.tx(), &before, &data).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<SupportProjectRecord>> {
    let before = writable(s, id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Adds a territorial unit to a project, with its description of cooperation.
#[tracing::instrument(name = "support_projects::create_unit", skip_all, fields(%project))]
pub async fn create_unit<E>(s: &Session<'_>, project: Uuid, content: impl FnOnce() -> std::result::Result<SupportedUnitData, E>) -> Result<SupportedUnitRecord>
where
    Error: From<E>,
{
    let parent = writable(s, project).await?;
    let unit = SupportedUnit { support_project_id: project, data: content()?.validate()? };
    rules::check_joined(&parent.data, &unit.data)?;
    repo::check_unit(s.conn(), &unit, None).await?;
    concerns_cooperation(s, unit.data.cooperation_id).await?;
    Ok(repo::create_unit(s.tx(), &unit).await?)
}

async fn writable_unit(s: &Session<'_>, id: Uuid) -> Result<SupportedUnitRecord> {
    let current = get_unit(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    Ok(current)
}

/// Changes a supported unit or its description of cooperation (its project stays).
#[tracing::instrument(name = "support_projects::update_unit", skip_all, fields(%id))]
pub async fn update_unit<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&SupportedUnitData) -> std::result::Result<SupportedUnitData, E>,
) -> Result<Updated<SupportedUnitRecord>>
where
    Error: From<E>,
{
    let before = writable_unit(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let unit = SupportedUnit { support_project_id: before.data.support_project_id, data: data.validate()? };
    rules::check_joined(&repo::get(s.conn(), unit.support_project_id).await?.data, &unit.data)?;
    repo::check_unit(s.conn(), &unit, Some(id)).await?;
    concerns_cooperation(s, unit.data.cooperation_id).await?;
    let after = repo::update_unit(s.tx(), &before, &unit).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_unit", skip_all, fields(%id))]
pub async fn archive_unit(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<SupportedUnitRecord>> {
    let before = writable_unit(s, id).await?;
    expect.check(before.meta.version)?;
    concerns_cooperation(s, before.data.data.cooperation_id).await?;
    let after = repo::archive_unit(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Sets a quality criterion of a unit's description of cooperation (no assessments yet).
#[tracing::instrument(name = "support_projects::create_criterion", skip_all, fields(%unit))]
pub async fn create_criterion<E>(s: &Session<'_>, unit: Uuid, content: impl FnOnce() -> std::result::Result<CriterionData, E>) -> Result<CriterionRecord>
where
    Error: From<E>,
{
    writable_unit(s, unit).await?;
    let c = Criterion { supported_unit_id: unit, data: content()?.validate(&[])?, assessments: vec![] };
    concerns_unit(s, unit).await?;
    Ok(repo::create_criterion(s.tx(), &c).await?)
}

async fn writable_criterion(s: &Session<'_>, id: Uuid) -> Result<CriterionRecord> {
    let current = get_criterion(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    concerns_unit(s, current.data.supported_unit_id).await?;
    Ok(current)
}

/// Changes a criterion's title or scale (its assessments must stay on the scale).
#[tracing::instrument(name = "support_projects::update_criterion", skip_all, fields(%id))]
pub async fn update_criterion<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&CriterionData) -> std::result::Result<CriterionData, E>,
) -> Result<Updated<CriterionRecord>>
where
    Error: From<E>,
{
    let before = writable_criterion(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let c = Criterion { data: data.validate(&before.data.assessments)?, ..before.data.clone() };
    let after = repo::update_criterion(s.tx(), &before, &c).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_criterion", skip_all, fields(%id))]
pub async fn archive_criterion(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<CriterionRecord>> {
    let before = writable_criterion(s, id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_criterion(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Records an assessment of a criterion (baseline, interim or final).
#[tracing::instrument(name = "support_projects::assess", skip_all, fields(%id))]
pub async fn assess(s: &Session<'_>, id: Uuid, expect: &Precondition, assessment: Assessment) -> Result<Updated<CriterionRecord>> {
    let before = writable_criterion(s, id).await?;
    expect.check(before.meta.version)?;
    let assessments = rules::record_assessment(&before.data.data, &before.data.assessments, assessment)?;
    let after = repo::update_criterion(s.tx(), &before, &Criterion { assessments, ..before.data.clone() }).await?;
    Ok(Updated { before, after })
}

/// Records a participatory procedure the unit applied on its own.
#[tracing::instrument(name = "support_projects::create_participatory", skip_all, fields(%unit))]
pub async fn create_participatory<E>(
    s: &Session<'_>,
    unit: Uuid,
    content: impl FnOnce() -> std::result::Result<ParticipatoryData, E>,
) -> Result<ParticipatoryRecord>
where
    Error: From<E>,
{
    writable_unit(s, unit).await?;
    let p = Participatory { supported_unit_id: unit, data: content()?.validate()? };
    concerns_unit(s, unit).await?;
    Ok(repo::create_participatory(s.tx(), &p).await?)
}

/// Changes a participatory procedure (its unit stays).
#[tracing::instrument(name = "support_projects::update_participatory", skip_all, fields(%id))]
pub async fn update_participatory<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&ParticipatoryData) -> std::result::Result<ParticipatoryData, E>,
) -> Result<Updated<ParticipatoryRecord>>
where
    Error: From<E>,
{
    let before = get_participatory(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    concerns_unit(s, before.data.supported_unit_id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let p = Participatory { supported_unit_id: before.data.supported_unit_id, data: data.validate()? };
    let after = repo::update_participatory(s.tx(), &before, &p).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_participatory", skip_all, fields(%id))]
pub async fn archive_participatory(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<ParticipatoryRecord>> {
    let before = get_participatory(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    concerns_unit(s, before.data.supported_unit_id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_participatory(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Records a KA03 analytical finding.
#[tracing::instrument(name = "support_projects::create_finding", skip_all, fields(%project))]
pub async fn create_finding<E>(s: &Session<'_>, project: Uuid, content: impl FnOnce() -> std::result::Result<FindingData, E>) -> Result<FindingRecord>
where
    Error: From<E>,
{
    writable(s, project).await?;
    let f = Finding { support_project_id: project, data: content()?.validate()? };
    Ok(repo::create_finding(s.tx(), &f).await?)
}

/// Changes a finding (its project stays).
#[tracing::instrument(name = "support_projects::update_finding", skip_all, fields(%id))]
pub async fn update_finding<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&FindingData) -> std::result::Result<FindingData, E>,
) -> Result<Updated<FindingRecord>>
where
    Error: From<E>,
{
    let before = get_finding(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let f = Finding { support_project_id: before.data.support_project_id, data: data.validate()? };
    let after = repo::update_finding(s.tx(), &before, &f).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_finding", skip_all, fields(%id))]
pub async fn archive_finding(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<FindingRecord>> {
    let before = get_finding(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_finding(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Records a KA01/KA02 document with the findings it references.
#[tracing::instrument(name = "support_projects::create_document", skip_all, fields(%project))]
pub async fn create_document<E>(s: &Session<'_>, project: Uuid, content: impl FnOnce() -> std::result::Result<DocumentData, E>) -> Result<DocumentRecord>
where
    Error: From<E>,
{
    writable(s, project).await?;
    let d = Document { support_project_id: project, data: content()?.validate()? };
    repo::check_document(s.conn(), &d).await?;
    if let Some(unit) = d.data.supported_unit_id {
        concerns_unit(s, unit).await?;
    }
    Ok(repo::create_document(s.tx(), &d).await?)
}

async fn writable_document(s: &Session<'_>, id: Uuid) -> Result<DocumentRecord> {
    let current = get_document(s.conn(), s.who(), id).await?;
    s.allow(Action::RunSupportProject).await?;
    Ok(current)
}

/// Changes a document (e.g. the findings it references).
#[tracing::instrument(name = "support_projects::update_document", skip_all, fields(%id))]
pub async fn update_document<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&DocumentData) -> std::result::Result<DocumentData, E>,
) -> Result<Updated<DocumentRecord>>
where
    Error: From<E>,
{
    let before = writable_document(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let d = Document { support_project_id: before.data.support_project_id, data: data.validate()? };
    repo::check_document(s.conn(), &d).await?;
    if let Some(unit) = d.data.supported_unit_id {
        concerns_unit(s, unit).await?;
    }
    let after = repo::update_document(s.tx(), &before, &d).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_document", skip_all, fields(%id))]
pub async fn archive_document(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<DocumentRecord>> {
    let before = writable_document(s, id).await?;
    expect.check(before.meta.version)?;
    if let Some(unit) = before.data.data.supported_unit_id {
        concerns_unit(s, unit).await?;
    }
    let after = repo::archive_document(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Records a KA04 good-practice event.
#[tracing::instrument(name = "support_projects::create_event", skip_all, fields(%project))]
pub async fn create_event<E>(s: &Session<'_>, project: Uuid, content: impl FnOnce() -> std::result::Result<EventData, E>) -> Result<EventRecord>
where
    Error: From<E>,
{
    writable(s, project).await?;
    let data = content()?.validate()?;
    repo::check_event(s.conn(), &data).await?;
    Ok(repo::create_event(s.tx(), &Event { support_project_id: project, data, attendance: vec![] }).await?)
}

async fn writable_event(s: &Session<'_>, id: Uuid) -> Result<EventRecord> {
    let current = get_event(s.conn(), s.who(), id).await?.0;
    s.allow(Action::RunSupportProject).await?;
    Ok(current)
}

/// Changes an event (its attendance stays, and must fit its hours).
#[tracing::instrument(name = "support_projects::update_event", skip_all, fields(%id))]
pub async fn update_event<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&EventData) -> std::result::Result<EventData, E>,
) -> Result<Updated<EventRecord>>
where
    Error: From<E>,
{
    let before = writable_event(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let data = data.validate()?;
    if before.data.attendance.iter().any(|a| a.minutes > data.minutes) {
        return Err(DomainError::invalid("hours", "shorter_than_attendance", "a manager attended longer than these hours").into());
    }
    repo::check_event(s.conn(), &data).await?;
    let after = repo::update_event(s.tx(), &before, &Event { data, ..before.data.clone() }).await?;
    Ok(Updated { before, after })
}

#[tracing::instrument(name = "support_projects::archive_event", skip_all, fields(%id))]
pub async fn archive_event(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<EventRecord>> {
    let before = writable_event(s, id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_event(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Records a unit's social-inclusion manager at an event (replacing the unit's earlier record).
#[tracing::instrument(name = "support_projects::attend", skip_all, fields(%id))]
pub async fn attend(s: &Session<'_>, id: Uuid, expect: &Precondition, attendance: Attendance) -> Result<Updated<EventRecord>> {
    let before = writable_event(s, id).await?;
    expect.check(before.meta.version)?;
    repo::check_attendance(s.conn(), &before, &attendance).await?;
    // The event concerns every unit's partnership; its attendance, the attending unit's.
    concerns_unit(s, attendance.supported_unit_id).await?;
    let list = rules::record_attendance(&before.data.data, &before.data.attendance, attendance)?;
    let after = repo::update_event(s.tx(), &before, &Event { attendance: list, ..before.data.clone() }).await?;
    Ok(Updated { before, after })
}
