//! Cooperations between the Agency and partnerships, and their timelines
//! ([`domain::cooperation`]). Writing one is a decision about the partnership's course
//! (`Action::Decide`: admins, and consultants where assigned); reading one follows the
//! partnership's records (`Action::Read`: partners their own, everyone else all).

use persistence::Conn;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::NaiveDate;
use domain::DomainError;
use domain::access::{Action, Principal};
use domain::cooperation::{self, CooperationAction, CooperationData, CooperationRequest, Milestone, PhaseLine, Summary, Template};
use persistence::cooperations::{self as repo, CooperationRecord, Filter};
use persistence::{Page, PageRequest};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, partnerships, timeline_templates as templates};

/// A cooperation, to a caller who reads its partnership's records (404 otherwise).
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<CooperationRecord> {
    let found = repo::get(conn, id).await?;
    who.authorize(Action::Read { partnership: found.data.data.partnership_id })?;
    Ok(found)
}

/// A page of cooperations the caller may read, each with its state on `as_of` when given;
/// `late_only` keeps those with a late phase (judged in memory, per page).
pub async fn list(
    conn: &impl Conn,
    who: &Principal,
    mut filter: Filter,
    page: &PageRequest,
    as_of: Option<NaiveDate>,
    late_only: bool,
) -> Result<Page<(CooperationRecord, Option<Summary>)>> {
    filter.scope = who.readable_partnerships().map(<[Uuid]>::to_vec);
    let found = repo::list(conn, &filter, page).await?;
    let mut items = Vec::with_capacity(found.items.len());
    // A page's cooperations follow a few templates: each is read once.
    let mut followed: HashMap<String, Template> = HashMap::new();
    for c in found.items {
        let summary = match as_of {
            Some(day) => {
                let template = match followed.entry(c.data.data.template.clone()) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(new) => new.insert(templates::followed(conn, &c.data.data.template).await?),
                };
                Some(timeline_on(conn, &c, template, day).await?.1)
            }
            None => None,
        };
        if late_only && !summary.as_ref().is_some_and(|s| s.late) {
            continue;
        }
        items.push((c, summary));
    }
    Ok(Page { items, next_cursor: found.next_cursor, total: found.total })
}

/// The timeline of a cooperation on `as_of`: its phases and a summary.
pub async fn timeline(conn: &impl Conn, who: &Principal, id: Uuid, as_of: NaiveDate) -> Result<(CooperationRecord, Vec<PhaseLine>, Summary)> {
    let c = get(conn, who, id).await?;
    let template = templates::followed(conn, &c.data.data.template).await?;
    let (lines, summary) = timeline_on(conn, &c, &template, as_of).await?;
    Ok((c, lines, summary))
}

async fn timeline_on(conn: &impl Conn, c: &CooperationRecord, template: &Template, as_of: NaiveDate) -> Result<(Vec<PhaseLine>, Summary)> {
    let d = &c.data;
    let facts = repo::facts(conn, c).await?;
    let lines = cooperation::timeline(template, d.data.start_on, !d.data.predefined_activities.is_empty(), &facts, &d.milestones, as_of);
    let summary = cooperation::summary(&lines, as_of);
    Ok((lines, summary))
}

/// Agrees a cooperation with a partnership (status `agreed`).
#[tracing::instrument(name = "cooperations::create", skip_all)]
/// Its template must be one a cooperation may follow (422 `template` otherwise), and its
/// months default to the template's.
pub async fn create<E>(s: &Session<'_>, partnership_id: Uuid, content: impl FnOnce() -> std::result::Result<CooperationRequest, E>) -> Result<CooperationRecord>
where
    Error: From<E>,
{
    partnerships::load(s.conn(), partnership_id).await?;
    s.allow_known(Action::Decide { partnership: partnership_id }).await?;
    let request = content()?;
    let template = templates::require(s.conn(), &request.template).await?;
    let data = request.on(&template)?;
    Ok(repo::create(s.tx(), data).await?)
}

async fn writable(s: &Session<'_>, id: Uuid) -> Result<CooperationRecord> {
    let current = repo::get(s.conn(), id).await?;
    // Cooperations are not public: one of a partnership the caller may not read is not found.
    s.who().authorize(Action::Read { partnership: current.data.data.partnership_id })?;
    s.allow(Action::Decide { partnership: current.data.data.partnership_id }).await?;
    Ok(current)
}

/// Changes a cooperation's content (its partnership stays). A new template must be one a
/// cooperation may follow (422 `template`); without months, the template's apply.
#[tracing::instrument(name = "cooperations::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&CooperationData) -> std::result::Result<CooperationRequest, E>,
) -> Result<Updated<CooperationRecord>>
where
    Error: From<E>,
{
    let before = writable(s, id).await?;
    let request = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    if request.partnership_id != before.data.data.partnership_id {
        return Err(DomainError::invalid("partnership_id", "immutable", "a cooperation stays with its partnership; agree a new one").into());
    }
    let template = if request.template == before.data.data.template {
        templates::followed(s.conn(), &request.template).await?
    } else {
        templates::require(s.conn(), &request.template).await?
    };
    let data = request.on(&template)?;
    let after = repo::update(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a cooperation entered by mistake.
#[tracing::instrument(name = "cooperations::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<CooperationRecord>> {
    let before = writable(s, id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// A lifecycle step: start (agreed → running), hand over (running → handed_over), end early
/// (agreed | running → ended_early, with a reason). `date` defaults to today.
#[tracing::instrument(name = "cooperations::step", skip_all, fields(%id))]
pub async fn step(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    action: CooperationAction,
    date: Option<NaiveDate>,
    reason: Option<String>,
) -> Result<Updated<CooperationRecord>> {
    let before = writable(s, id).await?;
    expect.check(before.meta.version)?;
    let mut next = before.data.clone();
    next.status = cooperation::advance(before.data.status, action)?;
    let day = date.unwrap_or(s.today());
    match action {
        CooperationAction::Start => next.started_on = Some(day),
        CooperationAction::HandOver => next.handed_over_on = Some(day),
        CooperationAction::End => {
            let Some(reason) = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()) else {
                return Err(DomainError::invalid("reason", "required", "say why the cooperation ends early").into());
            };
            next.ended_on = Some(day);
            next.end_reason = Some(reason);
        }
    }
    let after = repo::set_state(s.tx(), &before, &next).await?;
    Ok(Updated { before, after })
}

/// Records a phase's start and/or completion where the data shows no event; replaces the
/// phase's earlier milestone.
#[tracing::instrument(name = "cooperations::add_milestone", skip_all, fields(%id))]
pub async fn add_milestone(s: &Session<'_>, id: Uuid, milestone: Milestone) -> Result<Updated<CooperationRecord>> {
    let before = writable(s, id).await?;
    let template = templates::followed(s.conn(), &before.data.data.template).await?;
    cooperation::check_milestone(&template, &milestone)?;
    let mut next = before.data.clone();
    next.milestones.retain(|m| m.phase != milestone.phase);
    next.milestones.push(milestone);
    let after = repo::set_state(s.tx(), &before, &next).await?;
    Ok(Updated { before, after })
}
