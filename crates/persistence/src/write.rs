//! The write unit: a transaction that carries who writes, so that the audit entry and the
//! idempotency record of a write commit or roll back together with the write itself.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, Set};
use serde_json::Value;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{audit_entry, idempotency_key};

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
}

impl WriteTx {
    pub(crate) fn new(tx: DatabaseTransaction, writer: Option<OwnedMutexGuard<()>>, actor: Actor) -> Self {
        Self { tx, _writer: writer, actor }
    }

    /// The transaction, for repository calls.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Records who did what to which resource, with its state before and after.
    pub async fn audit(&self, action: &str, resource_type: &str, resource_id: Uuid, before: Option<Value>, after: Option<Value>) -> Result<(), StoreError> {
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

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from)
    }
}
