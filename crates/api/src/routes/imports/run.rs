//! The run of an import: one transaction, each row under a savepoint, the mode deciding what is
//! kept, and the stored report.

use domain::access::Principal;
use persistence::imports::ImportReport;
use persistence::{Actor, WriteTx};
use service::imports;
use uuid::Uuid;

use actix_web::web;

use super::read::{RowStream, Target};
use super::rows::{Outcome, Refused, Stop, import_row, text_of};
use super::{ImportMode, ImportQuery, ImportStrategy, StoredRowError, internal};
use crate::context;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

const SAVEPOINT: &str = "inclusion_import_row";

async fn sql(tx: &WriteTx, statement: &str) -> ApiResult<()> {
    use persistence::ConnectionTrait;
    tx.conn().execute_unprepared(statement).await.map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(())
}

/// Runs the import in one transaction, each row under a savepoint (a refused row's writes are
/// undone, and on PostgreSQL the transaction stays usable), then commits or rolls back.
pub(super) async fn run(
    state: &AppState,
    who: &Principal,
    target: Target,
    query: &ImportQuery,
    mut rows: RowStream<impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> + Unpin>,
) -> ApiResult<ImportReport> {
    let mode = query.mode.unwrap_or(ImportMode::Atomic);
    let strategy = query.strategy.unwrap_or(ImportStrategy::Upsert);
    let dry_run = query.dry_run.unwrap_or(false);
    let actor = Actor { subject: who.subject.clone(), role: who.role.as_str().to_owned(), request_id: context::request_id() };
    let tx = state.store.begin(actor.clone()).await?;
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    let mut errors = Vec::new();
    let mut failed = 0;
    let mut total = 0;
    // A body that turns out malformed (or too large) part way answers 400 (413), and the
    // transaction, dropped, rolls back every row written before.
    while let Some(row) = rows.next().await? {
        total += 1;
        let number = u32::try_from(total).unwrap_or(u32::MAX);
        let external_ref = text_of(row.get("external_ref"));
        sql(&tx, &format!("SAVEPOINT {SAVEPOINT}")).await?;
        match import_row(&tx, who, target, strategy, row).await {
            Ok(outcome) => {
                match outcome {
                    Outcome::Created => created += 1,
                    Outcome::Updated => updated += 1,
                    Outcome::Unchanged => unchanged += 1,
                }
                sql(&tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
            }
            Err(Stop::Fault(e)) => return Err(e),
            Err(Stop::Refused(Refused(reasons))) => {
                sql(&tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                sql(&tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                failed += 1;
                errors.extend(reasons.into_iter().map(|(field, code, message)| StoredRowError {
                    row: number,
                    external_ref: external_ref.clone(),
                    field,
                    code,
                    message,
                }));
            }
        }
    }
    let committed = !dry_run && (mode == ImportMode::PerRow || failed == 0);
    if committed {
        tx.commit().await?;
    } else {
        drop(tx);
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let report = ImportReport {
        id: Uuid::now_v7(),
        created_at: persistence::now(),
        actor: actor.subject.clone(),
        actor_role: actor.role.clone(),
        resource: target.name().to_owned(),
        mode: mode.name().to_owned(),
        strategy: strategy.name().to_owned(),
        dry_run,
        committed,
        body_sha256: rows.sha256(),
        rows: count(total),
        created: count(created),
        updated: count(updated),
        unchanged: count(unchanged),
        failed: count(failed),
        errors: serde_json::to_value(&errors).map_err(|e| internal(e.to_string()))?,
    };
    let store = state.store.begin(actor).await?;
    imports::store_report(&store, &report).await?;
    store.commit().await?;
    Ok(report)
}

impl ImportMode {
    /// The wire name, as stored.
    fn name(self) -> &'static str {
        match self {
            Self::Atomic => "atomic",
            Self::PerRow => "per_row",
        }
    }
}

impl ImportStrategy {
    /// The wire name, as stored.
    fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Upsert => "upsert",
        }
    }
}
