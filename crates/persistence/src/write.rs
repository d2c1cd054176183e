//! The write unit: a transaction that carries who writes, so that the audit entry and the
//! idempotency record of a write commit or roll back together with the write itself.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{audit_entry, change, idempotency_key};
use crate::local_write::{Held, TxConn};

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
    tx: TxConn,
    /// The process's SQLite write lock, for a write on the sqlx pool (an in-memory database;
    /// a [`TxConn::Local`] holds it itself).
    _writer: Option<Held>,
    actor: Actor,
    /// What this write did, entered into the audit trail and the change feed when it commits
    /// (or, for the audit, at a [`flush`](Self::flush) in between).
    pending: std::sync::Mutex<Pending>,
}

/// The audit entries and changes of a write not yet in their tables.
#[derive(Default)]
struct Pending {
    audit: Vec<audit_entry::ActiveModel>,
    /// How many of this write's audit entries are in the table already.
    audit_flushed: usize,
    changes: Vec<PendingChange>,
    /// The distinct (resource type, action) pairs of `changes` (a bulk import repeats one).
    kinds: Vec<(String, String)>,
    /// The partnership whose records this write changes, where the resource as audited does
    /// not name one itself ([`WriteTx::concerns_partnership`]).
    concerned: Option<Uuid>,
}

/// A change of this write, without what all of them share (the actor) and with its kind as an
/// index into [`Pending::kinds`]: a bulk import keeps up to its row count of these until commit.
struct PendingChange {
    kind: u16,
    resource_id: Uuid,
    version: Option<i32>,
    partnership_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
}

impl Pending {
    fn kind(&mut self, resource_type: &str, action: &str) -> Result<u16, StoreError> {
        let at = self.kinds.iter().position(|(r, a)| r == resource_type && a == action).unwrap_or_else(|| {
            self.kinds.push((resource_type.to_owned(), action.to_owned()));
            self.kinds.len() - 1
        });
        u16::try_from(at).map_err(|_| StoreError::Database(sea_orm::DbErr::Custom("more than 65,536 kinds of change in one write".into())))
    }
}

/// Changes entered into the feed per `INSERT` at commit (8 values a row).
const CHANGES_PER_STATEMENT: usize = 1000;

/// How far a write had got: what [`WriteTx::rewind`] goes back to after a `ROLLBACK TO
/// SAVEPOINT` undid the writes since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    audit: usize,
    changes: usize,
}

/// Audit entries per `INSERT` (10 values a row).
const AUDIT_ROWS_PER_STATEMENT: usize = 500;

impl WriteTx {
    pub(crate) fn new(tx: TxConn, writer: Option<Held>, actor: Actor) -> Self {
        Self { tx, _writer: writer, actor, pending: std::sync::Mutex::new(Pending::default()) }
    }

    /// Whether this write holds the process's SQLite write lock (SQLite: one writer at a time;
    /// PostgreSQL: `false`). Its statements then run without the caller's runtime (on this
    /// thread, or for an in-memory database on sqlx-sqlite's thread for its connection): see
    /// `api::write::drive`.
    pub fn holds_sqlite_lock(&self) -> bool {
        self._writer.is_some() || matches!(self.tx, TxConn::Local(_))
    }

    /// The transaction, for repository calls.
    pub fn conn(&self) -> &TxConn {
        &self.tx
    }

    /// Files this write's changes under `partnership` where the resource as audited names none
    /// (a supported unit's records belong to a partnership through the unit's cooperation), so
    /// that the partnership's partners, who read those records, see them in the change feed.
    pub fn concerns_partnership(&self, partnership: Option<Uuid>) -> Result<(), StoreError> {
        self.pending()?.concerned = partnership;
        Ok(())
    }

    /// Records who did what to which resource, with its state before and after.
    /// Each audited write is also a change of the feed, filed under the resource's
    /// `partnership_id` (else the one [`WriteTx::concerns_partnership`] named). The entry is kept with the write and
    /// inserted with the others of the write (many to a statement) at its commit or at a
    /// [`flush`](Self::flush): nothing reads the audit trail inside a write.
    pub async fn audit(&self, action: &str, resource_type: &str, resource_id: Uuid, before: Option<Value>, after: Option<Value>) -> Result<(), StoreError> {
        let field = |name: &str| after.as_ref().or(before.as_ref()).and_then(|v| v.get(name)).cloned();
        let at = Utc::now();
        let version = field("version").and_then(|v| v.as_i64()).and_then(|v| i32::try_from(v).ok());
        let partnership_id = field("partnership_id").and_then(|v| v.as_str().and_then(|s| s.parse().ok()));
        let entry = audit_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            occurred_at: Set(at),
            actor: Set(self.actor.subject.clone()),
            actor_role: Set(self.actor.role.clone()),
            action: Set(action.to_owned()),
            resource_type: Set(resource_type.to_owned()),
            resource_id: Set(resource_id),
            before: Set(before),
            after: Set(after),
            request_id: Set(self.actor.request_id.clone()),
        };
        let mut pending = self.pending()?;
        let partnership_id = partnership_id.or(pending.concerned);
        let kind = pending.kind(resource_type, action)?;
        pending.changes.push(PendingChange { kind, resource_id, version, partnership_id, occurred_at: at });
        pending.audit.push(entry);
        Ok(())
    }

    fn pending(&self) -> Result<std::sync::MutexGuard<'_, Pending>, StoreError> {
        self.pending.lock().map_err(|_| StoreError::Conflict { field: None, message: "a write failed; retry it".into() })
    }

    /// Where the write stands: a savepoint's partner (see [`rewind`](Self::rewind)).
    pub fn mark(&self) -> Result<Mark, StoreError> {
        let pending = self.pending()?;
        Ok(Mark { audit: pending.audit_flushed + pending.audit.len(), changes: pending.changes.len() })
    }

    /// Forgets the audit entries and changes recorded since `mark`, whose writes a `ROLLBACK TO
    /// SAVEPOINT` taken at the mark has just undone. No [`flush`](Self::flush) may come between
    /// the savepoint and its rollback (a flushed entry would be undone with the writes, and
    /// could not be forgotten here): the caller flushes only outside its savepoints.
    pub fn rewind(&self, mark: Mark) -> Result<(), StoreError> {
        let mut pending = self.pending()?;
        let keep = mark
            .audit
            .checked_sub(pending.audit_flushed)
            // A bug of the caller, not a conflict to retry.
            .ok_or_else(|| StoreError::Database(sea_orm::DbErr::Custom("an audit flush came between a savepoint and its rollback".into())))?;
        pending.audit.truncate(keep);
        pending.changes.truncate(mark.changes);
        Ok(())
    }

    /// Inserts the audit entries recorded so far (a long write, such as a bulk import, calls
    /// this between its rows to keep its memory small; never inside a savepoint it may roll
    /// back).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let entries = {
            let mut pending = self.pending()?;
            pending.audit_flushed += pending.audit.len();
            std::mem::take(&mut pending.audit)
        };
        crate::convert::insert_in_chunks(&self.tx, entries, AUDIT_ROWS_PER_STATEMENT).await
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
        self.flush().await?;
        let (changes, kinds) = {
            let mut pending = self.pending()?;
            (std::mem::take(&mut pending.changes), std::mem::take(&mut pending.kinds))
        };
        if !changes.is_empty() {
            if self.tx.get_database_backend() == DbBackend::Postgres {
                self.tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CHANGE_FEED_LOCK})")).await?;
            }
            let mut position = crate::changes::last_position(&self.tx).await?;
            // The webhooks' outbox, in the same transaction as the changes it announces.
            let hooks = crate::webhooks::active(&self.tx).await?;
            for chunk in changes.chunks(CHANGES_PER_STATEMENT) {
                let models: Vec<change::Model> = chunk
                    .iter()
                    .map(|c| {
                        position += 1;
                        let (resource_type, action) = kinds.get(usize::from(c.kind)).cloned().unwrap_or_default();
                        change::Model {
                            position,
                            resource_type,
                            resource_id: c.resource_id,
                            action,
                            version: c.version,
                            partnership_id: c.partnership_id,
                            actor: self.actor.subject.clone(),
                            occurred_at: c.occurred_at,
                        }
                    })
                    .collect();
                let rows = models.iter().cloned().map(|c| change::ActiveModel {
                    position: Set(c.position),
                    resource_type: Set(c.resource_type),
                    resource_id: Set(c.resource_id),
                    action: Set(c.action),
                    version: Set(c.version),
                    partnership_id: Set(c.partnership_id),
                    actor: Set(c.actor),
                    occurred_at: Set(c.occurred_at),
                });
                crate::convert::insert_in_chunks(&self.tx, rows, CHANGES_PER_STATEMENT).await?;
                crate::webhooks::enqueue(&self.tx, &hooks, &models).await?;
            }
        }
        self.tx.commit().await.map_err(StoreError::from)
    }
}
