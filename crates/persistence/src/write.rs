//! The write unit: a transaction that carries who writes, so that the audit entry and the
//! idempotency record of a write commit or roll back together with the write itself.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, Set};
use serde_json::Value;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{audit_entry, change, idempotency_key};

/// The advisory lock that orders the change feed's positions (an arbitrary, fixed key).
const CHANGE_FEED_LOCK: i64 = 7_462_110_001;

/// How long an `Idempotency-Key` and its stored response are kept.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// Who performs a write, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The token's subject.
    pub subject: String,
    pub role: String,
    /// The request id, to find the write in the logs.
    pub request_id: String,
}

/// A response stored under an idempotency key, replayed to a retry.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub struct WriteTx {
    tx: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
    actor: Actor,
    /// The changes this write made, entered into the change feed when it commits.
    changes: std::sync::Mutex<Vec<change::Model>>,
    /// The partnership whose records this write changes, where the resource as audited does
    /// not name one itself ([`WriteTx::concerns_partnership`]).
    partnership: std::sync::Mutex<Option<Uuid>>,
}

impl WriteTx {
    pub(crate) fn new(tx: DatabaseTransaction, writer: Option<OwnedMutexGuard<()>>, actor: Actor) -> Self {
        Self { tx, _writer: writer, actor, changes: std::sync::Mutex::new(Vec::new()), partnership: std::sync::Mutex::new(None) }
    }

    /// The transaction, for repository calls.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Files this write's changes under `partnership` where the resource as audited names none
    /// (a supported unit's records belong to a partnership through the unit's cooperation), so
    /// that the partnership's partners, who read those records, see them in the change feed.
    pub fn concerns_partnership(&self, partnership: Option<Uuid>) -> Result<(), StoreError> {
        *self.partnership.lock().map_err(|_| StoreError::Conflict { field: None, message: "a write failed; retry it".into() })? = partnership;
        Ok(())
    }

    /// Records who did what to which resource, with its state before and after.
    /// Each audited write is also a change of the feed, filed under the resource's
    /// `partnership_id` (else the one [`WriteTx::concerns_partnership`] named).
    pub async fn audit(&self, action: &str, resource_type: &str, resource_id: Uuid, before: Option<Value>, after: Option<Value>) -> Result<(), StoreError> {
        let field = |name: &str| after.as_ref().or(before.as_ref()).and_then(|v| v.get(name)).cloned();
        let concerned = *self.partnership.lock().map_err(|_| StoreError::Conflict { field: None, message: "a write failed; retry it".into() })?;
        let pending = change::Model {
            position: 0,
            resource_type: resource_type.to_owned(),
            resource_id,
            action: action.to_owned(),
            version: field("version").and_then(|v| v.as_i64()).and_then(|v| i32::try_from(v).ok()),
            partnership_id: field("partnership_id").and_then(|v| v.as_str().and_then(|s| s.parse().ok())).or(concerned),
            actor: self.actor.subject.clone(),
            occurred_at: Utc::now(),
        };
        self.changes.lock().map_err(|_| StoreError::Conflict { field: None, message: "a write failed; retry it".into() })?.push(pending);
        audit_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            occurred_at: Set(Utc::now()),
            actor: Set(self.actor.subject.clone()),
            actor_role: Set(self.actor.role.clone()),
            action: Set(action.to_owned()),
            resource_type: Set(resource_type.to_owned()),
            resource_id: Set(resource_id),
            before: Set(before),
            after: Set(after),
            request_id: Set(self.actor.request_id.clone()),
        }
        .insert(&self.tx)
        .await?;
        Ok(())
    }

    /// The response stored for this caller's `key`, if the key was used before. A key reused
    /// with a different request (another hash) is refused.
    pub async fn replay(&self, key: &str, request_hash: &str) -> Result<Option<StoredResponse>, StoreError> {
        let found = idempotency_key::Entity::find_by_id((self.actor.subject.clone(), key.to_owned())).one(&self.tx).await?;
        match found {
            None => Ok(None),
            // Keys are kept for a day; then the key is free again (and the stored body, which may
            // hold personal data, is gone).
            Some(row) if row.created_at < Utc::now() - chrono::Duration::hours(IDEMPOTENCY_HOURS) => {
                idempotency_key::Entity::delete_by_id((row.actor, row.key)).exec(&self.tx).await?;
                Ok(None)
            }
            Some(row) if row.request_hash == request_hash => {
                Ok(Some(StoredResponse { status: u16::try_from(row.status).unwrap_or(200), location: row.location, body: row.body }))
            }
            Some(_) => Err(StoreError::IdempotencyMismatch),
        }
    }

    /// Stores the response of this write under the caller's key.
    pub async fn remember(&self, key: &str, request_hash: &str, response: &StoredResponse) -> Result<(), StoreError> {
        idempotency_key::ActiveModel {
            actor: Set(self.actor.subject.clone()),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(i32::from(response.status)),
            location: Set(response.location.clone()),
            body: Set(response.body.clone()),
            created_at: Set(Utc::now()),
        }
        .insert(&self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict { .. } => StoreError::Conflict {
                field: Some("Idempotency-Key".into()),
                message: "another request with this Idempotency-Key is in progress; retry it to get its response".into(),
            },
            other => other,
        })?;
        Ok(())
    }

    /// Enters this write's changes into the feed, then commits. Positions are assigned here,
    /// at the end of the write, while holding a lock that every writer of changes takes (on
    /// PostgreSQL a transaction-scoped advisory lock, shared by all instances on the database;
    /// SQLite's writes are one at a time already): each write's positions follow those of every
    /// write that committed before it, so a reader that has seen a position has seen every
    /// smaller one, and the feed has no gaps.
    pub async fn commit(self) -> Result<(), StoreError> {
        let changes = std::mem::take(&mut *self.changes.lock().map_err(|_| StoreError::Conflict { field: None, message: "a write failed; retry it".into() })?);
        if !changes.is_empty() {
            if self.tx.get_database_backend() == DbBackend::Postgres {
                self.tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CHANGE_FEED_LOCK})")).await?;
            }
            let last = crate::changes::last_position(&self.tx).await?;
            let changes: Vec<change::Model> = changes.into_iter().zip(last + 1..).map(|(c, position)| change::Model { position, ..c }).collect();
            let rows = changes.iter().cloned().map(|c| change::ActiveModel {
                position: Set(c.position),
                resource_type: Set(c.resource_type),
                resource_id: Set(c.resource_id),
                action: Set(c.action),
                version: Set(c.version),
                partnership_id: Set(c.partnership_id),
                actor: Set(c.actor),
                occurred_at: Set(c.occurred_at),
            });
            // A bulk import commits up to 100,000 changes at once (8 values a row).
            crate::convert::insert_in_chunks(&self.tx, rows, 1000).await?;
            // The webhooks' outbox, in the same transaction as the changes it announces.
            crate::webhooks::enqueue(&self.tx, &changes).await?;
        }
        self.tx.commit().await.map_err(StoreError::from)
    }
}
