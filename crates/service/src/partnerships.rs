//! Partnerships: their own use cases (create, change, archive, the lifecycle steps), and
//! partnerships as the context of other use cases: the partnership a write happens in, and
//! whether its status permits that kind of work. Partnerships are public: a caller who may
//! not change one is answered 403, never 404.

use domain::access::Action;
use domain::partnership::{Activity, PartnershipAction};
use domain::registry::PartnershipData;
use persistence::Conn;
use persistence::partnerships::{self, PartnershipRecord};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated};

/// The partnership a nested write or list names: 404 when it does not exist.
pub async fn load(conn: &impl Conn, id: Uuid) -> Result<PartnershipRecord> {
    Ok(partnerships::get(conn, id).await?)
}

/// 409 unless the partnership's status permits this kind of work: the table is
/// [`domain::partnership::permits`].
pub async fn permits(conn: &impl Conn, id: Uuid, activity: Activity) -> Result<()> {
    let partnership = partnerships::get(conn, id).await?;
    Ok(domain::partnership::permits(partnership.data.status, activity)?)
}

/// 404 unless the partnership exists (for a nested list).
pub async fn require(conn: &impl Conn, id: Uuid) -> Result<()> {
    if partnerships::exists(conn, id).await? { Ok(()) } else { Err(crate::Error::not_found()) }
}

/// For a list of a partnership's internal records: 404 unless the caller may read them and
/// the partnership exists.
pub async fn require_readable(conn: &impl Conn, who: &domain::access::Principal, id: Uuid) -> Result<()> {
    who.authorize(domain::access::Action::Read { partnership: id })?;
    require(conn, id).await
}

/// A partnership (public).
#[tracing::instrument(name = "partnerships::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, id: Uuid) -> Result<PartnershipRecord> {
    load(conn, id).await
}

/// Creates a partnership in status `forming` (admins and importers).
#[tracing::instrument(name = "partnerships::create", skip_all)]
pub async fn create<E>(s: &Session<'_>, content: impl FnOnce() -> Result<PartnershipData, E>) -> Result<PartnershipRecord>
where
    Error: From<E>,
{
    s.allow_known(Action::CreatePartnership).await?;
    Ok(partnerships::create(s.tx(), content()?).await?)
}

/// Changes a partnership's content (never its status): 404 when it does not exist, 403 unless
/// the caller may change it, 409 when its status does not permit the work.
#[tracing::instrument(name = "partnerships::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&PartnershipData) -> Result<PartnershipData, E>,
) -> Result<Updated<PartnershipRecord>>
where
    Error: From<E>,
{
    let before = load(s.conn(), id).await?;
    s.allow_known(Action::ChangePartnership { partnership: id }).await?;
    domain::partnership::permits(before.data.status, Activity::Organisation)?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    let after = partnerships::update(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a partnership: headquarters only.
#[tracing::instrument(name = "partnerships::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<PartnershipRecord>> {
    let before = load(s.conn(), id).await?;
    s.allow_known(Action::Administer).await.map_err(|e| match e {
        Error::Forbidden(_) => Error::Forbidden("only admins archive partnerships".into()),
        other => other,
    })?;
    domain::partnership::permits(before.data.status, Activity::Organisation)?;
    expect.check(before.meta.version)?;
    let after = partnerships::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// Takes a step of the partnership's lifecycle ([`domain::partnership::transition`]): a
/// business decision, 403 to a caller who may not take it (the importer included).
#[tracing::instrument(name = "partnerships::take_step", skip_all, fields(%id, action = action.name()))]
pub async fn take_step(s: &Session<'_>, id: Uuid, expect: &Precondition, action: PartnershipAction) -> Result<Updated<PartnershipRecord>> {
    let before = load(s.conn(), id).await?;
    s.allow_known(Action::Decide { partnership: id }).await?;
    expect.check(before.meta.version)?;
    let next = domain::partnership::transition(before.data.status, action)?;
    let after = partnerships::set_status(s.tx(), &before, next).await?;
    Ok(Updated { before, after })
}
