//! The shape most of a partnership's records share (members, working groups, meetings and
//! more): created under a partnership, changed and archived by those who write its records,
//! while its status permits that kind of work. One implementation of the shape, so that a rule
//! of it (who, when, which precondition) is written once.

use domain::access::Action;
use domain::partnership::Activity;
use domain::registry::Record;
use persistence::Conn;
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, partnerships};

/// A kind of record kept in a partnership, with its repository.
pub trait InPartnership {
    type Data;
    /// The kind of work the partnership's status must permit to change it.
    const ACTIVITY: Activity;
    fn partnership_of(data: &Self::Data) -> Uuid;
    fn get(conn: &impl Conn, id: Uuid) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn insert(tx: &WriteTx, data: Self::Data) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn replace(tx: &WriteTx, current: &Record<Self::Data>, data: Self::Data) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn archive(tx: &WriteTx, current: &Record<Self::Data>) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
}

/// Reads a record: 404 to a caller who may not read its partnership's records.
#[tracing::instrument(name = "records::get", skip_all, fields(%id))]
pub async fn get<R: InPartnership>(conn: &impl Conn, who: &domain::access::Principal, id: Uuid) -> Result<Record<R::Data>> {
    let found = R::get(conn, id).await?;
    who.authorize(Action::Read { partnership: R::partnership_of(&found.data) })?;
    Ok(found)
}

/// Creates a record in a partnership (404 when the partnership does not exist; partnerships
/// are public, so a caller who may not write gets 403). `content` reads the caller's input
/// into the record's content once the caller is authorized and the partnership permits the
/// work, so that those answers come first.
#[tracing::instrument(name = "records::create", skip_all, fields(%partnership_id))]
pub async fn create<R: InPartnership, E>(s: &Session<'_>, partnership_id: Uuid, content: impl FnOnce() -> Result<R::Data, E>) -> Result<Record<R::Data>>
where
    Error: From<E>,
{
    let partnership = partnerships::load(s.conn(), partnership_id).await?;
    s.allow_known(Action::WriteRecords { partnership: partnership_id }).await?;
    domain::partnership::permits(partnership.data.status, R::ACTIVITY)?;
    Ok(R::insert(s.tx(), content()?).await?)
}

/// Changes a record: `edit` turns its current content into the new one (a merge patch,
/// validated like a create), after the caller was authorized.
#[tracing::instrument(name = "records::update", skip_all, fields(%id))]
pub async fn update<R: InPartnership, E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&R::Data) -> Result<R::Data, E>,
) -> Result<Updated<Record<R::Data>>>
where
    Error: From<E>,
{
    let before = writable::<R>(s, id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = R::replace(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a record (kept for history, listed with `include_archived=true`).
#[tracing::instrument(name = "records::archive", skip_all, fields(%id))]
pub async fn archive<R: InPartnership>(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<Record<R::Data>>> {
    let before = writable::<R>(s, id).await?;
    expect.check(before.meta.version)?;
    let after = R::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Loads a record the caller may change now: 404 when it does not exist or the caller may not
/// read its partnership's records, 403 when it may read but not write, 409 when the
/// partnership's status does not permit the work.
async fn writable<R: InPartnership>(s: &Session<'_>, id: Uuid) -> Result<Record<R::Data>> {
    let current = R::get(s.conn(), id).await?;
    let partnership_id = R::partnership_of(&current.data);
    s.allow(Action::WriteRecords { partnership: partnership_id }).await?;
    partnerships::permits(s.conn(), partnership_id, R::ACTIVITY).await?;
    Ok(current)
}
