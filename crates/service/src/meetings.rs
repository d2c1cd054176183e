//! Meetings of partnerships (the shared record shape of [`crate::records`], with the rules of
//! [`domain::registry::MeetingData`] and the repository's checks of other rows: the working
//! group is the partnership's, the attendees exist) and the action items agreed at them.

use domain::access::{Action, Principal};
use domain::partnership::Activity;
use domain::registry::{ActionItemData, MeetingData};
use persistence::Conn;
use persistence::meetings::{self, ActionItem, Meeting};
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::records::InPartnership;
use crate::{Error, Precondition, Result, Session, Updated, partnerships};

pub struct Meetings;

impl InPartnership for Meetings {
    type Data = MeetingData;
    const ACTIVITY: Activity = Activity::Organisation;
    fn partnership_of(data: &MeetingData) -> Uuid {
        data.partnership_id
    }
    async fn get(conn: &impl Conn, id: Uuid) -> Result<Meeting, StoreError> {
        meetings::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: MeetingData) -> Result<Meeting, StoreError> {
        meetings::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &Meeting, data: MeetingData) -> Result<Meeting, StoreError> {
        meetings::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &Meeting) -> Result<Meeting, StoreError> {
        meetings::archive(tx, current).await
    }
}

/// An action item, to a caller who reads its partnership's records (404 otherwise).
#[tracing::instrument(name = "meetings::get_item", skip_all, fields(%id))]
pub async fn get_item(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<ActionItem> {
    let (partnership, found) = meetings::get_item(conn, id).await?;
    who.authorize(Action::Read { partnership })?;
    Ok(found)
}

/// Adds an action item to a meeting: 404 unless the meeting exists and the caller reads its
/// partnership's records, 403 unless it writes them, 409 when the partnership's status does not
/// permit the work. `content` reads the caller's input after those answers.
#[tracing::instrument(name = "meetings::create_item", skip_all, fields(%meeting_id))]
pub async fn create_item<E>(s: &Session<'_>, meeting_id: Uuid, content: impl FnOnce() -> Result<ActionItemData, E>) -> Result<ActionItem>
where
    Error: From<E>,
{
    let meeting = meetings::get(s.conn(), meeting_id).await?;
    let partnership = meeting.data.partnership_id;
    s.allow(Action::WriteRecords { partnership }).await?;
    partnerships::permits(s.conn(), partnership, Activity::Organisation).await?;
    Ok(meetings::create_item(s.tx(), partnership, content()?).await?)
}

/// Changes an action item (e.g. marks it done): `edit` turns its content into the new one.
#[tracing::instrument(name = "meetings::update_item", skip_all, fields(%id))]
pub async fn update_item<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&ActionItemData) -> Result<ActionItemData, E>,
) -> Result<Updated<ActionItem>>
where
    Error: From<E>,
{
    let (partnership, before) = writable_item(s, id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = meetings::update_item(s.tx(), partnership, &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives an action item.
#[tracing::instrument(name = "meetings::archive_item", skip_all, fields(%id))]
pub async fn archive_item(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<ActionItem>> {
    let (_, before) = writable_item(s, id).await?;
    expect.check(before.meta.version)?;
    let after = meetings::archive_item(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// An action item the caller may change now, with its partnership.
async fn writable_item(s: &Session<'_>, id: Uuid) -> Result<(Uuid, ActionItem)> {
    let (partnership, current) = meetings::get_item(s.conn(), id).await?;
    s.allow(Action::WriteRecords { partnership }).await?;
    partnerships::permits(s.conn(), partnership, Activity::Organisation).await?;
    Ok((partnership, current))
}
