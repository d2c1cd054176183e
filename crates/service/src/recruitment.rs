//! Recruitment of localities ([`domain::recruitment`]): rounds and their steps, candidacies,
//! the assessors' scores, the ranking, and the decision that turns each selected candidacy
//! into a cooperation with a partnership forming for its unit (through the partnerships' and
//! cooperations' own use cases, so their rules and permissions hold).
//!
//! Who: recruitment is the Agency's and hidden from partners (404); admins set rounds up and
//! decide them, admins, consultants and importers enter candidacies, admins and consultants
//! score them (`domain::access`). The deadline is judged on the server's clock at the write.

use chrono::Utc;
use domain::DomainError;
use domain::access::{Action, Principal};
use domain::recruitment::{self as rules, CandidacyData, Outcome, Ranked, RoundAction, RoundData, RoundStatus, Score, Selection, Total};
use persistence::Conn;
use persistence::cooperations::CooperationRecord;
use persistence::partnerships::PartnershipRecord;
use persistence::recruitment::{self as repo, CandidacyFilter, CandidacyRecord, RoundFilter, RoundRecord};
use persistence::{Page, PageRequest, StoreError};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, cooperations, partnerships, timeline_templates};

/// A round, to a caller who reads recruitment (404 otherwise).
pub async fn get_round(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<RoundRecord> {
    who.authorize(Action::ReadRecruitment)?;
    Ok(repo::get_round(conn, id).await?)
}

pub async fn list_rounds(conn: &impl Conn, who: &Principal, filter: &RoundFilter, page: &PageRequest) -> Result<Page<RoundRecord>> {
    who.authorize(Action::ReadRecruitment)?;
    Ok(repo::list_rounds(conn, filter, page).await?)
}

/// Sets up a round (status `draft`) on a timeline template cooperations may follow (422 `template` otherwise).
#[tracing::instrument(name = "recruitment::create_round", skip_all)]
pub async fn create_round<E>(s: &Session<'_>, content: impl FnOnce() -> std::result::Result<RoundData, E>) -> Result<RoundRecord>
where
    Error: From<E>,
{
    s.allow_known(Action::ManageRecruitment).await?;
    let data = content()?.validate()?;
    timeline_templates::require(s.conn(), &data.template).await?;
    Ok(repo::create_round(s.tx(), data).await?)
}

async fn managed_round(s: &Session<'_>, id: Uuid) -> Result<RoundRecord> {
    s.who().authorize(Action::ReadRecruitment)?;
    let round = repo::get_round(s.conn(), id).await?;
    s.allow(Action::ManageRecruitment).await?;
    not_archived(&round)?;
    Ok(round)
}

/// 409 for an archived round (a draft set up by mistake): it takes no step and no candidacy.
fn not_archived(round: &RoundRecord) -> Result<()> {
    match round.meta.archived_at {
        Some(_) => Err(DomainError::Conflict("the round is archived".into()).into()),
        None => Ok(()),
    }
}

/// 409 for a withdrawn candidacy: it is kept as it was withdrawn.
fn standing(c: &CandidacyRecord) -> Result<()> {
    match c.meta.archived_at {
        Some(_) => Err(DomainError::Conflict("the candidacy was withdrawn; the unit may apply again".into()).into()),
        None => Ok(()),
    }
}

fn draft_only(round: &RoundRecord, what: &str) -> Result<()> {
    if round.data.status == RoundStatus::Draft {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "the round is {}: {what} only while it is a draft (applicants rely on what was published)",
            round.data.status.as_str()
        ))
        .into())
    }
}

/// Changes a draft round's content (its template, too, must be one cooperations may follow).
#[tracing::instrument(name = "recruitment::update_round", skip_all, fields(%id))]
pub async fn update_round<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&RoundData) -> std::result::Result<RoundData, E>,
) -> Result<Updated<RoundRecord>>
where
    Error: From<E>,
{
    let before = managed_round(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    draft_only(&before, "its content changes")?;
    let data = data.validate()?;
    timeline_templates::require(s.conn(), &data.template).await?;
    let after = repo::update_round(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a draft round set up by mistake (one that opened stays on record).
#[tracing::instrument(name = "recruitment::archive_round", skip_all, fields(%id))]
pub async fn archive_round(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<RoundRecord>> {
    let before = managed_round(s, id).await?;
    expect.check(before.meta.version)?;
    draft_only(&before, "it is archived")?;
    let after = repo::archive_round(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Opens a draft round for applications (its deadline ahead) or closes an open one (its
/// deadline passed).
#[tracing::instrument(name = "recruitment::step_round", skip_all, fields(%id))]
pub async fn step_round(s: &Session<'_>, id: Uuid, expect: &Precondition, action: RoundAction) -> Result<Updated<RoundRecord>> {
    if action == RoundAction::Decide {
        return Err(DomainError::Conflict("a round is decided with its selections: `POST /recruitment-rounds/{id}/decide`".into()).into());
    }
    let before = managed_round(s, id).await?;
    expect.check(before.meta.version)?;
    let mut next = before.data.clone();
    next.status = rules::advance(before.data.status, before.data.data.applications_until, action, Utc::now())?;
    let after = repo::set_round_state(s.tx(), &before, &next).await?;
    Ok(Updated { before, after })
}

/// A candidacy in the ranking: its place (1-based) and its computed total.
#[derive(Debug, Clone)]
pub struct RankedCandidacy {
    pub rank: u32,
    pub candidacy: CandidacyRecord,
    pub total: Total,
}

fn ranked(candidacies: Vec<CandidacyRecord>) -> Vec<RankedCandidacy> {
    let totals: Vec<Ranked> = candidacies.iter().map(|c| Ranked { id: c.meta.id, created_at: c.meta.created_at, total: c.data.total.clone() }).collect();
    let mut by_id: std::collections::HashMap<Uuid, CandidacyRecord> = candidacies.into_iter().map(|c| (c.meta.id, c)).collect();
    rules::rank(totals)
        .into_iter()
        .zip(1u32..)
        .filter_map(|(r, rank)| by_id.remove(&r.id).map(|candidacy| RankedCandidacy { rank, candidacy, total: r.total }))
        .collect()
}

/// The ranking of a round's standing candidacies, best first (the rule is
/// [`domain::recruitment`]'s).
pub async fn ranking(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<(RoundRecord, Vec<RankedCandidacy>)> {
    let round = get_round(conn, who, id).await?;
    let candidacies = repo::candidacies_of(conn, id).await?;
    let list = ranked(candidacies);
    Ok((round, list))
}

/// What a decision wrote: the round, every candidacy's outcome, and for each selected one the
/// partnership forming for its unit and the cooperation.
#[derive(Debug)]
pub struct Decision {
    pub round: Updated<RoundRecord>,
    pub candidacies: Vec<Updated<CandidacyRecord>>,
    pub partnerships: Vec<PartnershipRecord>,
    pub cooperations: Vec<CooperationRecord>,
}

/// Decides a closed round: selects up to the places offered (a reason where the ranking is
/// not followed), marks every candidacy selected or not, and for each selected one creates
/// the partnership (status `forming`, for the candidacy's unit) and the cooperation (from the
/// round's cooperation start, on its timeline template, with the predefined activities asked
/// for). Final: a decided round takes no further step.
#[tracing::instrument(name = "recruitment::decide", skip_all, fields(%id))]
pub async fn decide(s: &Session<'_>, id: Uuid, expect: &Precondition, selections: Vec<Selection>, note: Option<String>) -> Result<Decision> {
    let before = managed_round(s, id).await?;
    expect.check(before.meta.version)?;
    let now = Utc::now();
    let round = &before.data.data;
    let status = rules::advance(before.data.status, round.applications_until, RoundAction::Decide, now)?;
    let list = ranked(repo::candidacies_of(s.conn(), id).await?);
    let ranking: Vec<Ranked> =
        list.iter().map(|r| Ranked { id: r.candidacy.meta.id, created_at: r.candidacy.meta.created_at, total: r.total.clone() }).collect();
    rules::check_decision(round.places, &ranking, &selections)?;

    let mut decision =
        Decision { round: Updated { before: before.clone(), after: before.clone() }, candidacies: vec![], partnerships: vec![], cooperations: vec![] };
    for entry in list {
        let c = entry.candidacy;
        let mut next = c.data.clone();
        next.rank = Some(entry.rank);
        match selections.iter().find(|sel| sel.candidacy_id == c.meta.id) {
            Some(sel) => {
                let unit = persistence::territorial_units::get(s.conn(), c.data.data.territorial_unit_id).await?;
                let partnership = partnerships::create(s, || rules::forming_partnership(unit.meta.id, &unit.data.name)).await?;
                let partnership_id = partnership.meta.id;
                let cooperation =
                    cooperations::create(s, partnership_id, || Ok::<_, Error>(rules::cooperation_for(round, partnership_id, &c.data.data.activities))).await?;
                next.outcome = Some(Outcome::Selected);
                next.selection_reason = sel.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
                next.partnership_id = Some(partnership_id);
                next.cooperation_id = Some(cooperation.meta.id);
                decision.partnerships.push(partnership);
                decision.cooperations.push(cooperation);
            }
            None => next.outcome = Some(Outcome::NotSelected),
        }
        let after = repo::set_candidacy_state(s.tx(), &c, &next).await?;
        decision.candidacies.push(Updated { before: c, after });
    }
    let mut next = before.data.clone();
    next.status = status;
    next.decided_at = Some(persistence::now());
    next.decision_note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    decision.round.after = repo::set_round_state(s.tx(), &before, &next).await?;
    Ok(decision)
}

/// A candidacy, to a caller who reads recruitment (404 otherwise).
pub async fn get_candidacy(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<CandidacyRecord> {
    who.authorize(Action::ReadRecruitment)?;
    Ok(repo::get_candidacy(conn, id).await?)
}

/// A page of candidacies.
pub async fn list_candidacies(conn: &impl Conn, who: &Principal, filter: &CandidacyFilter, page: &PageRequest) -> Result<Page<CandidacyRecord>> {
    who.authorize(Action::ReadRecruitment)?;
    Ok(repo::list_candidacies(conn, filter, page).await?)
}

/// The round a candidacy is entered in: 422 when it does not exist.
async fn round_of(conn: &impl Conn, id: Uuid) -> Result<RoundRecord> {
    match repo::get_round(conn, id).await {
        Err(StoreError::NotFound) => Err(DomainError::invalid("round_id", "not_found", "no such recruitment round").into()),
        other => Ok(other?),
    }
}

/// Enters a candidacy received from a territorial unit: while its round is open and before the
/// deadline (409 otherwise); its answers fit the questionnaire; one per unit per round.
#[tracing::instrument(name = "recruitment::create_candidacy", skip_all)]
pub async fn create_candidacy<E>(s: &Session<'_>, content: impl FnOnce() -> std::result::Result<CandidacyData, E>) -> Result<CandidacyRecord>
where
    Error: From<E>,
{
    s.allow_known(Action::ReceiveCandidacy).await?;
    let data = content()?;
    let round = round_of(s.conn(), data.round_id).await?;
    not_archived(&round)?;
    rules::accepts_candidacies(round.data.status, round.data.data.applications_until, Utc::now())?;
    rules::check_candidacy(&round.data.data, &data)?;
    if repo::standing_candidacy(s.conn(), data.round_id, data.territorial_unit_id).await? {
        return Err(DomainError::Conflict("this territorial unit already applied in this round; change its candidacy instead".into()).into());
    }
    Ok(repo::create_candidacy(s.tx(), data).await?)
}

async fn received(s: &Session<'_>, id: Uuid) -> Result<(RoundRecord, CandidacyRecord)> {
    s.who().authorize(Action::ReadRecruitment)?;
    let c = repo::get_candidacy(s.conn(), id).await?;
    let round = repo::get_round(s.conn(), c.data.data.round_id).await?;
    Ok((round, c))
}

/// Changes a candidacy before its round's deadline (its round and unit stay).
#[tracing::instrument(name = "recruitment::update_candidacy", skip_all, fields(%id))]
pub async fn update_candidacy<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&CandidacyData) -> std::result::Result<CandidacyData, E>,
) -> Result<Updated<CandidacyRecord>>
where
    Error: From<E>,
{
    let (round, before) = received(s, id).await?;
    s.allow(Action::ReceiveCandidacy).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    standing(&before)?;
    if data.round_id != before.data.data.round_id || data.territorial_unit_id != before.data.data.territorial_unit_id {
        return Err(DomainError::invalid("round_id", "immutable", "a candidacy stays in its round for its unit; withdraw it and apply again").into());
    }
    rules::accepts_candidacies(round.data.status, round.data.data.applications_until, Utc::now())?;
    rules::check_candidacy(&round.data.data, &data)?;
    let after = repo::update_candidacy(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Withdraws a candidacy before its round's deadline (archived; the unit may apply again).
#[tracing::instrument(name = "recruitment::withdraw_candidacy", skip_all, fields(%id))]
pub async fn withdraw_candidacy(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<CandidacyRecord>> {
    let (round, before) = received(s, id).await?;
    s.allow(Action::ReceiveCandidacy).await?;
    expect.check(before.meta.version)?;
    standing(&before)?;
    rules::accepts_candidacies(round.data.status, round.data.data.applications_until, Utc::now())?;
    let after = repo::archive_candidacy(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// One assessor's points on one criterion, as given.
#[derive(Debug, Clone)]
pub struct Points {
    pub criterion: String,
    pub points: u32,
    pub note: Option<String>,
}

/// Records the calling assessor's points on a candidacy of a closed round, replacing that
/// assessor's earlier points on the criteria named (other assessors' points stay).
#[tracing::instrument(name = "recruitment::score", skip_all, fields(%id))]
pub async fn score(s: &Session<'_>, id: Uuid, expect: &Precondition, points: Vec<Points>) -> Result<Updated<CandidacyRecord>> {
    let (round, before) = received(s, id).await?;
    s.allow(Action::Assess).await?;
    expect.check(before.meta.version)?;
    standing(&before)?;
    if round.data.status != RoundStatus::Closed {
        return Err(DomainError::Conflict(format!(
            "the round is {}: candidacies are scored once it is closed and until it is decided",
            round.data.status.as_str()
        ))
        .into());
    }
    let pairs: Vec<(String, u32)> = points.iter().map(|p| (p.criterion.clone(), p.points)).collect();
    rules::check_scores(&round.data.data, &pairs)?;
    let assessor = s.who().subject.clone();
    let at = persistence::now();
    let mut next = before.data.clone();
    next.scores.retain(|sc| !(sc.assessor == assessor && points.iter().any(|p| p.criterion == sc.criterion)));
    next.scores.extend(points.into_iter().map(|p| Score {
        assessor: assessor.clone(),
        criterion: p.criterion,
        points: p.points,
        note: p.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        scored_at: at,
    }));
    let after = repo::set_candidacy_state(s.tx(), &before, &next).await?;
    Ok(Updated { before, after })
}

/// Who scored what on a candidacy (the Agency's assessors only).
pub async fn scores(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<CandidacyRecord> {
    let c = get_candidacy(conn, who, id).await?;
    who.authorize(Action::Assess)?;
    Ok(c)
}
