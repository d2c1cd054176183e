//! Working groups of partnerships: the shared record shape of [`crate::records`], with the
//! rules of [`domain::registry::WorkingGroupData`] and the repository's checks of other rows
//! (the coordinator and members exist).

use domain::partnership::Activity;
use domain::registry::WorkingGroupData;
use persistence::Conn;
use persistence::working_groups::{self, WorkingGroup};
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::records::InPartnership;

pub struct WorkingGroups;

impl InPartnership for WorkingGroups {
    type Data = WorkingGroupData;
    const ACTIVITY: Activity = Activity::Organisation;
    fn partnership_of(data: &WorkingGroupData) -> Uuid {
        data.partnership_id
    }
    async fn get(conn: &impl Conn, id: Uuid) -> Result<WorkingGroup, StoreError> {
        working_groups::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: WorkingGroupData) -> Result<WorkingGroup, StoreError> {
        working_groups::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &WorkingGroup, data: WorkingGroupData) -> Result<WorkingGroup, StoreError> {
        working_groups::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &WorkingGroup) -> Result<WorkingGroup, StoreError> {
        working_groups::archive(tx, current).await
    }
}
