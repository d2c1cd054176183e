//! Recruitment rounds and candidacies ([`domain::recruitment`]). The questionnaire, criteria,
//! activities, answers and scores are JSON on their rows; every write is guarded by the
//! version that was read, so two assessors scoring at once never lose each other's points.

use crate::Conn;
use chrono::{DateTime, Utc};
use domain::recruitment::{ApprovingResolution, CandidacyData, CoFinancing, Outcome, RoundData, RoundStatus, Score, Total};
use domain::registry::Record;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{ensure_exist, meta, now, update_guarded};
use crate::entities::{candidacy as ca, recruitment_round as rr, territorial_unit};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

/// A round as stored: content, status and the decision's day and note.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub data: RoundData,
    pub status: RoundStatus,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

pub type RoundRecord = Record<Round>;

/// A candidacy as stored: content, the assessors' scores and what the decision made of it,
/// with its total computed from its round's criteria and activities
/// ([`domain::recruitment::total`]) as it is read: never stored, never typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidacy {
    pub data: CandidacyData,
    pub scores: Vec<Score>,
    pub total: Total,
    pub outcome: Option<Outcome>,
    /// Its place in the ranking when the round was decided.
    pub rank: Option<u32>,
    pub selection_reason: Option<String>,
    /// The partnership forming for its unit and the cooperation, once selected.
    pub partnership_id: Option<Uuid>,
    pub cooperation_id: Option<Uuid>,
}

pub type CandidacyRecord = Record<Candidacy>;

#[derive(Debug, Default)]
pub struct RoundFilter {
    pub year: Option<i32>,
    pub status: Option<RoundStatus>,
    pub include_archived: bool,
}

#[derive(Debug, Default)]
pub struct CandidacyFilter {
    pub round_id: Option<Uuid>,
    pub territorial_unit_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    pub include_archived: bool,
}

pub const ROUND_SORT: &[SortField<rr::Column>] = &[
    field("applications_until", rr::Column::ApplicationsUntil, SortKind::Timestamp),
    field("created_at", rr::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", rr::Column::UpdatedAt, SortKind::Timestamp),
];

pub const CANDIDACY_SORT: &[SortField<ca::Column>] =
    &[field("created_at", ca::Column::CreatedAt, SortKind::Timestamp), field("updated_at", ca::Column::UpdatedAt, SortKind::Timestamp)];

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

fn unknown(what: &str, code: &str) -> StoreError {
    StoreError::Database(sea_orm::DbErr::Type(format!("unknown {what} `{code}` in the database")))
}

fn round_record(m: rr::Model) -> Result<RoundRecord, StoreError> {
    let status = RoundStatus::from_code(&m.status).ok_or_else(|| unknown("round status", &m.status))?;
    Ok(Record {
        meta: meta!(m),
        data: Round {
            status,
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            data: RoundData {
                year: m.year,
                title: m.title,
                places: u32::try_from(m.places).unwrap_or(0),
                applications_until: m.applications_until,
                cooperation_start_on: m.cooperation_start_on,
                template: m.template,
                questions: json(m.questions)?,
                criteria: json(m.criteria)?,
                activities: json(m.activities)?,
                note: m.note,
            },
        },
    })
}

fn round_content(d: &RoundData) -> rr::ActiveModel {
    rr::ActiveModel {
        year: Set(d.year),
        title: Set(d.title.clone()),
        places: Set(i32::try_from(d.places).unwrap_or(i32::MAX)),
        applications_until: Set(d.applications_until),
        cooperation_start_on: Set(d.cooperation_start_on),
        template: Set(d.template.clone()),
        questions: Set(serde_json::json!(d.questions)),
        criteria: Set(serde_json::json!(d.criteria)),
        activities: Set(serde_json::json!(d.activities)),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

pub async fn get_round(conn: &impl Conn, id: Uuid) -> Result<RoundRecord, StoreError> {
    crate::page::by_id::<rr::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(round_record)
}

pub async fn list_rounds(conn: &impl Conn, f: &RoundFilter, req: &PageRequest) -> Result<Page<RoundRecord>, StoreError> {
    let mut select = rr::Entity::find();
    if !f.include_archived {
        select = select.filter(rr::Column::ArchivedAt.is_null());
    }
    if let Some(year) = f.year {
        select = select.filter(rr::Column::Year.eq(year));
    }
    if let Some(status) = f.status {
        select = select.filter(rr::Column::Status.eq(status.as_str()));
    }
    let page = page::fetch(conn, select, ROUND_SORT, "-applications_until", rr::Column::Id, req).await?;
    let items = page.items.into_iter().map(round_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create_round(tx: &WriteTx, d: RoundData) -> Result<RoundRecord, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    rr::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        status: Set(RoundStatus::Draft.as_str().into()),
        decided_at: Set(None),
        decision_note: Set(None),
        ..round_content(&d)
    }
    .insert(tx.conn())
    .await?;
    get_round(tx.conn(), id).await
}

pub async fn update_round(tx: &WriteTx, current: &RoundRecord, d: RoundData) -> Result<RoundRecord, StoreError> {
    let m = &current.meta;
    let changes = rr::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..round_content(&d) };
    update_guarded(tx.conn(), changes, rr::Column::Id.eq(m.id).and(rr::Column::Version.eq(m.version))).await?;
    get_round(tx.conn(), m.id).await
}

/// Writes a round's status (and the decision's time and note).
pub async fn set_round_state(tx: &WriteTx, current: &RoundRecord, next: &Round) -> Result<RoundRecord, StoreError> {
    let m = &current.meta;
    let changes = rr::ActiveModel {
        version: Set(m.version + 1),
        updated_at: Set(now()),
        status: Set(next.status.as_str().into()),
        decided_at: Set(next.decided_at),
        decision_note: Set(next.decision_note.clone()),
        ..Default::default()
    };
    update_guarded(tx.conn(), changes, rr::Column::Id.eq(m.id).and(rr::Column::Version.eq(m.version))).await?;
    get_round(tx.conn(), m.id).await
}

pub async fn archive_round(tx: &WriteTx, current: &RoundRecord) -> Result<RoundRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = rr::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, rr::Column::Id.eq(m.id).and(rr::Column::Version.eq(m.version))).await?;
    get_round(tx.conn(), m.id).await
}

fn candidacy_record(m: ca::Model, round: &RoundData) -> Result<CandidacyRecord, StoreError> {
    let outcome = match &m.outcome {
        Some(code) => Some(Outcome::from_code(code).ok_or_else(|| unknown("candidacy outcome", code))?),
        None => None,
    };
    let resolution: ApprovingResolution = json(m.resolution)?;
    let co_financing: CoFinancing = json(m.co_financing)?;
    let scores: Vec<Score> = json(m.scores)?;
    let activities: Vec<String> = json(m.activities)?;
    let total = domain::recruitment::total(round, &activities, &scores);
    Ok(Record {
        meta: meta!(m),
        data: Candidacy {
            scores,
            total,
            outcome,
            rank: m.rank.and_then(|r| u32::try_from(r).ok()),
            selection_reason: m.selection_reason,
            partnership_id: m.partnership_id,
            cooperation_id: m.cooperation_id,
            data: CandidacyData {
                round_id: m.round_id,
                territorial_unit_id: m.territorial_unit_id,
                answers: json(m.answers)?,
                resolution,
                activities,
                co_financing,
                note: m.note,
            },
        },
    })
}

fn candidacy_content(d: &CandidacyData) -> ca::ActiveModel {
    ca::ActiveModel {
        round_id: Set(d.round_id),
        territorial_unit_id: Set(d.territorial_unit_id),
        answers: Set(serde_json::json!(d.answers)),
        resolution: Set(serde_json::json!(d.resolution)),
        activities: Set(serde_json::json!(d.activities)),
        co_financing: Set(serde_json::json!(d.co_financing)),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

pub async fn get_candidacy(conn: &impl Conn, id: Uuid) -> Result<CandidacyRecord, StoreError> {
    let m = crate::page::by_id::<ca::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    let round = get_round(conn, m.round_id).await?;
    candidacy_record(m, &round.data.data)
}

/// The candidacies of `models`, each with the total of its round's rules (each round read once).
async fn with_rounds(conn: &impl Conn, models: Vec<ca::Model>) -> Result<Vec<CandidacyRecord>, StoreError> {
    let mut rounds: Vec<RoundRecord> = Vec::new();
    let mut items = Vec::with_capacity(models.len());
    for m in models {
        if !rounds.iter().any(|r| r.meta.id == m.round_id) {
            rounds.push(get_round(conn, m.round_id).await?);
        }
        let Some(round) = rounds.iter().find(|r| r.meta.id == m.round_id) else { return Err(StoreError::NotFound) };
        items.push(candidacy_record(m, &round.data.data)?);
    }
    Ok(items)
}

pub async fn list_candidacies(conn: &impl Conn, f: &CandidacyFilter, req: &PageRequest) -> Result<Page<CandidacyRecord>, StoreError> {
    let mut select = ca::Entity::find();
    if !f.include_archived {
        select = select.filter(ca::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.round_id {
        select = select.filter(ca::Column::RoundId.eq(id));
    }
    if let Some(id) = f.territorial_unit_id {
        select = select.filter(ca::Column::TerritorialUnitId.eq(id));
    }
    if let Some(outcome) = f.outcome {
        select = select.filter(ca::Column::Outcome.eq(outcome.as_str()));
    }
    let page = page::fetch(conn, select, CANDIDACY_SORT, "created_at", ca::Column::Id, req).await?;
    let items = with_rounds(conn, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// Every standing (not withdrawn) candidacy of a round, in the order they were received.
pub async fn candidacies_of(conn: &impl Conn, round_id: Uuid) -> Result<Vec<CandidacyRecord>, StoreError> {
    let models = crate::page::models(
        conn,
        ca::Entity::find()
            .filter(ca::Column::RoundId.eq(round_id))
            .filter(ca::Column::ArchivedAt.is_null())
            .order_by_asc(ca::Column::CreatedAt)
            .order_by_asc(ca::Column::Id),
    )
    .await?;
    with_rounds(conn, models).await
}

/// Whether the unit has a standing (not withdrawn) candidacy in the round.
pub async fn standing_candidacy(conn: &impl Conn, round_id: Uuid, territorial_unit_id: Uuid) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    let n = ca::Entity::find()
        .filter(ca::Column::RoundId.eq(round_id))
        .filter(ca::Column::TerritorialUnitId.eq(territorial_unit_id))
        .filter(ca::Column::ArchivedAt.is_null())
        .count(conn)
        .await?;
    Ok(n > 0)
}

pub async fn create_candidacy(tx: &WriteTx, d: CandidacyData) -> Result<CandidacyRecord, StoreError> {
    ensure_exist::<territorial_unit::Entity, _>(tx.conn(), territorial_unit::Column::Id, &[d.territorial_unit_id], "territorial_unit_id", true).await?;
    let at = now();
    let id = Uuid::now_v7();
    ca::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        scores: Set(serde_json::json!([])),
        outcome: Set(None),
        rank: Set(None),
        selection_reason: Set(None),
        partnership_id: Set(None),
        cooperation_id: Set(None),
        ..candidacy_content(&d)
    }
    .insert(tx.conn())
    .await?;
    get_candidacy(tx.conn(), id).await
}

pub async fn update_candidacy(tx: &WriteTx, current: &CandidacyRecord, d: CandidacyData) -> Result<CandidacyRecord, StoreError> {
    let m = &current.meta;
    let changes = ca::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..candidacy_content(&d) };
    update_guarded(tx.conn(), changes, ca::Column::Id.eq(m.id).and(ca::Column::Version.eq(m.version))).await?;
    get_candidacy(tx.conn(), m.id).await
}

/// Writes the scores and what the decision made of the candidacy.
pub async fn set_candidacy_state(tx: &WriteTx, current: &CandidacyRecord, next: &Candidacy) -> Result<CandidacyRecord, StoreError> {
    let m = &current.meta;
    let changes = ca::ActiveModel {
        version: Set(m.version + 1),
        updated_at: Set(now()),
        scores: Set(serde_json::json!(next.scores)),
        outcome: Set(next.outcome.map(|o| o.as_str().to_owned())),
        rank: Set(next.rank.and_then(|r| i32::try_from(r).ok())),
        selection_reason: Set(next.selection_reason.clone()),
        partnership_id: Set(next.partnership_id),
        cooperation_id: Set(next.cooperation_id),
        ..Default::default()
    };
    update_guarded(tx.conn(), changes, ca::Column::Id.eq(m.id).and(ca::Column::Version.eq(m.version))).await?;
    get_candidacy(tx.conn(), m.id).await
}

pub async fn archive_candidacy(tx: &WriteTx, current: &CandidacyRecord) -> Result<CandidacyRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = ca::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, ca::Column::Id.eq(m.id).and(ca::Column::Version.eq(m.version))).await?;
    get_candidacy(tx.conn(), m.id).await
}
