//! Partnerships as the context of other use cases: the partnership a write happens in, and
//! whether its status permits that kind of work.

use domain::partnership::Activity;
use persistence::ConnectionTrait;
use persistence::partnerships::{self, PartnershipRecord};
use uuid::Uuid;

use crate::Result;

/// The partnership a nested write or list names: 404 when it does not exist.
pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<PartnershipRecord> {
    Ok(partnerships::get(conn, id).await?)
}

/// 409 unless the partnership's status permits this kind of work: the table is
/// [`domain::partnership::permits`].
pub async fn permits(conn: &impl ConnectionTrait, id: Uuid, activity: Activity) -> Result<()> {
    let partnership = partnerships::get(conn, id).await?;
    Ok(domain::partnership::permits(partnership.data.status, activity)?)
}

/// 404 unless the partnership exists (for a nested list).
pub async fn require(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    if partnerships::exists(conn, id).await? { Ok(()) } else { Err(crate::Error::not_found()) }
}

/// For a list of a partnership's internal records: 404 unless the caller may read them and
/// the partnership exists.
pub async fn require_readable(conn: &impl ConnectionTrait, who: &domain::access::Principal, id: Uuid) -> Result<()> {
    who.authorize(domain::access::Action::Read { partnership: id })?;
    require(conn, id).await
}
