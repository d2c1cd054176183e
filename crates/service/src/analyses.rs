//! Situational analyses of partnerships and the needs they find: created like the other
//! records of a partnership ([`crate::records`]); changed while not completed
//! ([`domain::analysis::ensure_editable`]); moved forward by the decisions `start` and
//! `complete` ([`domain::analysis::advance`]).

use domain::access::{Action, Principal};
use domain::analysis::{self, AnalysisData, NeedData};
use domain::codelist::AnalysisStatus;
use domain::partnership::Activity;
use persistence::Conn;
use persistence::analyses::{self as repo, AnalysisRecord, NeedRecord};
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::records::{self, InPartnership};
use crate::{Error, Precondition, Result, Session, Updated, partnerships};

pub struct Analyses;

impl InPartnership for Analyses {
    type Data = repo::Analysis;
    const ACTIVITY: Activity = Activity::Organisation;
    fn partnership_of(data: &repo::Analysis) -> Uuid {
        data.data.partnership_id
    }
    async fn get(conn: &impl Conn, id: Uuid) -> Result<AnalysisRecord, StoreError> {
        repo::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: repo::Analysis) -> Result<AnalysisRecord, StoreError> {
        repo::create(tx, data.data).await
    }
    async fn replace(tx: &WriteTx, current: &AnalysisRecord, data: repo::Analysis) -> Result<AnalysisRecord, StoreError> {
        repo::update(tx, current, data.data).await
    }
    async fn archive(tx: &WriteTx, current: &AnalysisRecord) -> Result<AnalysisRecord, StoreError> {
        repo::archive(tx, current).await
    }
}

/// An analysis, to a caller who reads its partnership's records (404 otherwise).
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<AnalysisRecord> {
    records::get::<Analyses>(conn, who, id).await
}

/// Starts an analysis (status `planned`) in a partnership.
#[tracing::instrument(name = "analyses::create", skip_all, fields(%partnership_id))]
pub async fn create<E>(s: &Session<'_>, partnership_id: Uuid, content: impl FnOnce() -> Result<AnalysisData, E>) -> Result<AnalysisRecord>
where
    Error: From<E>,
{
    let as_stored =
        || -> Result<repo::Analysis> { Ok(repo::Analysis { data: content().map_err(Error::from)?, status: AnalysisStatus::Planned, superseded_by_id: None }) };
    records::create::<Analyses, Error>(s, partnership_id, as_stored).await
}

/// Changes an analysis's content while it is not completed.
#[tracing::instrument(name = "analyses::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&AnalysisData) -> Result<AnalysisData, E>,
) -> Result<Updated<AnalysisRecord>>
where
    Error: From<E>,
{
    let before = writable(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    analysis::ensure_editable(before.data.status)?;
    let after = repo::update(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives an analysis that is not completed.
#[tracing::instrument(name = "analyses::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<AnalysisRecord>> {
    let before = writable(s, id).await?;
    expect.check(before.meta.version)?;
    analysis::ensure_editable(before.data.status)?;
    let after = repo::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Moves an analysis forward (`start`: to in progress, `complete`: to completed): a business
/// decision of the partnership's consultants and admins.
#[tracing::instrument(name = "analyses::advance", skip_all, fields(%id, to = ?to))]
pub async fn advance(s: &Session<'_>, id: Uuid, expect: &Precondition, to: AnalysisStatus) -> Result<Updated<AnalysisRecord>> {
    let before = writable(s, id).await?;
    s.allow_known(Action::Decide { partnership: before.data.data.partnership_id }).await?;
    expect.check(before.meta.version)?;
    let next = analysis::advance(before.data.status, to)?;
    let after = repo::set_status(s.tx(), &before, next).await?;
    Ok(Updated { before, after })
}

/// An analysis the caller may change now: 404 unless it exists and the caller reads its
/// partnership's records, 403 unless it writes them, 409 when the partnership's status does not
/// permit the work.
async fn writable(s: &Session<'_>, id: Uuid) -> Result<AnalysisRecord> {
    let current = repo::get(s.conn(), id).await?;
    let partnership = current.data.data.partnership_id;
    s.allow(Action::WriteRecords { partnership }).await?;
    partnerships::permits(s.conn(), partnership, Activity::Organisation).await?;
    Ok(current)
}

// --- needs -----------------------------------------------------------------------------------

/// The analysis whose needs are listed, to a caller who reads its partnership's records.
pub async fn readable(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<AnalysisRecord> {
    get(conn, who, id).await
}

/// A need, to a caller who reads its partnership's records (404 otherwise).
#[tracing::instrument(name = "analyses::get_need", skip_all, fields(%id))]
pub async fn get_need(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<NeedRecord> {
    let found = repo::get_need(conn, id).await?;
    who.authorize(Action::Read { partnership: found.data.1 })?;
    Ok(found)
}

/// Records a need found by an analysis that is not completed yet.
#[tracing::instrument(name = "analyses::create_need", skip_all, fields(%analysis_id))]
pub async fn create_need<E>(s: &Session<'_>, analysis_id: Uuid, content: impl FnOnce() -> Result<NeedData, E>) -> Result<NeedRecord>
where
    Error: From<E>,
{
    let analysis = writable(s, analysis_id).await?;
    analysis::ensure_editable(analysis.data.status)?;
    Ok(repo::create_need(s.tx(), &analysis, content()?).await?)
}

/// Changes a need while its analysis is not completed.
#[tracing::instrument(name = "analyses::update_need", skip_all, fields(%id))]
pub async fn update_need<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&NeedData) -> Result<NeedData, E>,
) -> Result<Updated<NeedRecord>>
where
    Error: From<E>,
{
    let before = writable_need(s, id).await?;
    let data = edit(&before.data.2)?;
    expect.check(before.meta.version)?;
    ensure_analysis_editable(s, before.data.0).await?;
    let after = repo::update_need(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a need while its analysis is not completed.
#[tracing::instrument(name = "analyses::archive_need", skip_all, fields(%id))]
pub async fn archive_need(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<NeedRecord>> {
    let before = writable_need(s, id).await?;
    expect.check(before.meta.version)?;
    ensure_analysis_editable(s, before.data.0).await?;
    let after = repo::archive_need(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

async fn writable_need(s: &Session<'_>, id: Uuid) -> Result<NeedRecord> {
    let current = repo::get_need(s.conn(), id).await?;
    let partnership = current.data.1;
    s.allow(Action::WriteRecords { partnership }).await?;
    partnerships::permits(s.conn(), partnership, Activity::Organisation).await?;
    Ok(current)
}

async fn ensure_analysis_editable(s: &Session<'_>, analysis_id: Uuid) -> Result<()> {
    Ok(analysis::ensure_editable(repo::get(s.conn(), analysis_id).await?.data.status)?)
}
