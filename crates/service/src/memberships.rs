//! Memberships of organizations in partnerships: the shared record shape of
//! [`crate::records`], with the rules of [`domain::registry::MembershipData`] and the
//! repository's checks of other rows (the organization exists and is not archived, no
//! overlapping membership).

use domain::partnership::Activity;
use domain::registry::MembershipData;
use persistence::Conn;
use persistence::memberships::{self, Membership};
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::records::InPartnership;

pub struct Memberships;

impl InPartnership for Memberships {
    type Data = MembershipData;
    const ACTIVITY: Activity = Activity::Organisation;
    fn partnership_of(data: &MembershipData) -> Uuid {
        data.partnership_id
    }
    async fn get(conn: &impl Conn, id: Uuid) -> Result<Membership, StoreError> {
        memberships::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: MembershipData) -> Result<Membership, StoreError> {
        memberships::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &Membership, data: MembershipData) -> Result<Membership, StoreError> {
        memberships::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &Membership) -> Result<Membership, StoreError> {
        memberships::archive(tx, current).await
    }
}
