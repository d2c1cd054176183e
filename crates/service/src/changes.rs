//! The change feed, for integrations that keep a copy in sync: every committed write, in the
//! order it committed, resumable from a position.

use domain::access::Principal;
use persistence::Conn;
use persistence::changes::{self, Change, Filter};

use crate::Result;

/// Up to `limit` changes after `after` that the caller may see: everything for those who read
/// all partnerships, the changes of its own partnerships' records for a partner. Who wrote is
/// kept for admins (the audit trail is theirs); others get `None`.
#[tracing::instrument(name = "changes::list", skip_all, fields(after, limit))]
pub async fn list(conn: &impl Conn, who: &Principal, after: i64, resource_type: Option<String>, limit: u64) -> Result<Vec<Change>> {
    let scope = who.readable_partnerships().map(<[uuid::Uuid]>::to_vec);
    let mut found = changes::list(conn, &Filter { after, resource_type, scope, limit }).await?;
    if !who.may_administer() {
        for change in &mut found {
            change.actor.clear();
        }
    }
    Ok(found)
}
