//! Records of the Agency's project counselling in a partnership: written by admins and the
//! partnership's consultants ([`Action::Counsel`]), read by those who read the partnership's
//! records, while the partnership's status permits the Agency's support.

use domain::DomainError;
use domain::access::{Action, Principal};
use domain::esif::CounsellingData;
use domain::partnership::Activity;
use persistence::Conn;
use persistence::esif::{self as repo, Counselling};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, partnerships};

/// A record: 404 when it does not exist or the caller may not read its partnership's records.
#[tracing::instrument(name = "counselling::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<Counselling> {
    let found = repo::get_counselling(conn, id).await?;
    who.authorize(Action::Read { partnership: found.data.partnership_id })?;
    Ok(found)
}

/// Records counselling in the partnership the record names (422 on `partnership_id` when it
/// does not exist). `content` reads the caller's input once the caller is authorized; the
/// record is judged by [`CounsellingData::validate_on`] today.
#[tracing::instrument(name = "counselling::create", skip_all, fields(%partnership_id))]
pub async fn create<E>(s: &Session<'_>, partnership_id: Uuid, content: impl FnOnce() -> Result<CounsellingData, E>) -> Result<Counselling>
where
    Error: From<E>,
{
    if partnerships::require(s.conn(), partnership_id).await.is_err() {
        return Err(DomainError::invalid("partnership_id", "not_found", "the partnership does not exist").into());
    }
    s.allow(Action::Counsel { partnership: partnership_id }).await?;
    partnerships::permits(s.conn(), partnership_id, Activity::AgencySupport).await?;
    let data = content()?.validate_on(s.today())?;
    Ok(repo::create_counselling(s.tx(), data).await?)
}

/// Changes a record; moved to another partnership, the caller must counsel there too.
#[tracing::instrument(name = "counselling::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&CounsellingData) -> Result<CounsellingData, E>,
) -> Result<Updated<Counselling>>
where
    Error: From<E>,
{
    let before = writable(s, id).await?;
    let data = edit(&before.data)?.validate_on(s.today())?;
    expect.check(before.meta.version)?;
    s.allow(Action::Counsel { partnership: data.partnership_id }).await?;
    partnerships::permits(s.conn(), data.partnership_id, Activity::AgencySupport).await?;
    let after = repo::update_counselling(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a record.
#[tracing::instrument(name = "counselling::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<Counselling>> {
    let before = writable(s, id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_counselling(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// A record the caller may change now: 404 when it does not exist or is hidden, 403 unless
/// the caller counsels in its partnership, 409 unless the partnership permits the support.
async fn writable(s: &Session<'_>, id: Uuid) -> Result<Counselling> {
    let current = repo::get_counselling(s.conn(), id).await?;
    s.allow(Action::Counsel { partnership: current.data.partnership_id }).await?;
    partnerships::permits(s.conn(), current.data.partnership_id, Activity::AgencySupport).await?;
    Ok(current)
}
