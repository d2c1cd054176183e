//! The run of an import: one transaction, rows read and run in batches (their keys looked up in
//! one query, the batch under one savepoint, each row under its own when one of the batch is
//! refused), the mode deciding what is kept, and the stored report.

use domain::access::Principal;
use persistence::imports::ImportReport;
use persistence::{Actor, WriteTx};
use service::imports;
use uuid::Uuid;

use actix_web::web;

use super::read::{Row, RowStream, Target};
use super::rows::{Known, Outcome, Refused, Stop, import_row, text_of};
use super::{ImportMode, ImportQuery, ImportStrategy, StoredRowError, internal};
use crate::context;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

const SAVEPOINT: &str = "inclusion_import_row";
const BATCH_SAVEPOINT: &str = "inclusion_import_batch";

async fn sql(tx: &WriteTx, statement: &str) -> ApiResult<()> {
    use persistence::ConnectionTrait;
    tx.conn().execute_unprepared(statement).await.map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(())
}

/// Runs the import in one transaction, batch by batch (a refused row's writes are undone, and on
/// PostgreSQL the transaction stays usable), then commits or rolls back.
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
    let mut tally = Tally::default();
    // A body that turns out malformed (or too large) part way answers 400 (413), and the
    // transaction, dropped, rolls back every row written before.
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH {
            match rows.next().await? {
                Some(row) => batch.push(row),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        // Outside every savepoint: the audit entries of the rows before go to their table.
        tx.flush().await?;
        run_batch(&tx, who, target, strategy, batch, &mut tally).await?;
    }
    let Tally { total, created, updated, unchanged, failed, errors } = tally;
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

/// Rows read together: their keys are looked up in one query, and they run under one
/// savepoint unless one of them is refused.
const BATCH: usize = 256;

/// The counts of an import so far, and its refused rows' reasons.
#[derive(Default)]
struct Tally {
    total: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    errors: Vec<StoredRowError>,
}

impl Tally {
    /// A refused row (numbered from 1) with its reasons.
    fn refuse(&mut self, number: usize, external_ref: Option<String>, reasons: Vec<(Option<String>, String, String)>) {
        let row = u32::try_from(number).unwrap_or(u32::MAX);
        // The report is stored (PostgreSQL's JSON holds no NUL character): a NUL a row had is
        // shown as U+FFFD.
        let storable = |text: String| if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text };
        let external_ref = external_ref.map(storable);
        self.failed += 1;
        self.errors.extend(reasons.into_iter().map(|(field, code, message)| StoredRowError {
            row,
            external_ref: external_ref.clone(),
            field: field.map(storable),
            code,
            message: storable(message),
        }));
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// Runs a batch of rows under one savepoint (new territorial units and organizations written
/// together, see [`Known`]). A row refused by its checks before it wrote anything is reported
/// and the batch goes on. When a row is refused after writing (or the database refuses the
/// creates written together), the batch's writes are rolled back to the savepoint and every row
/// of the batch runs again under its own savepoint, each writing its own, as an import of single
/// rows would (the rows before the refused one do again what they did, on the same state): a
/// refused row's partial writes never stay, and the counts and reasons are those of rows run one
/// by one.
async fn run_batch(tx: &WriteTx, who: &Principal, target: Target, strategy: ImportStrategy, batch: Vec<Row>, tally: &mut Tally) -> ApiResult<()> {
    let mark = tx.mark()?;
    sql(tx, &format!("SAVEPOINT {BATCH_SAVEPOINT}")).await?;
    let mut known = Known::read(tx, target, &batch, true).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    // Rows refused by their checks, before writing anything: the batch goes on without them.
    let mut declined = Vec::new();
    for (i, row) in batch.iter().enumerate() {
        match import_row(tx, who, target, strategy, &mut known, row.clone()).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(Stop::Fault(e)) => return Err(e),
            Err(Stop::Declined(Refused(reasons))) => declined.push((tally.total + i + 1, text_of(row.get("external_ref")), reasons)),
            Err(Stop::Refused(_)) => break,
        }
    }
    let all_ran = outcomes.len() + declined.len() == batch.len()
        && match known.write_creates(tx).await {
            Ok(()) => true,
            Err(Stop::Fault(e)) => return Err(e),
            Err(Stop::Refused(_) | Stop::Declined(_)) => false,
        };
    if all_ran {
        sql(tx, &format!("RELEASE SAVEPOINT {BATCH_SAVEPOINT}")).await?;
        tally.total += batch.len();
        outcomes.iter().for_each(|o| tally.count(o));
        for (number, external_ref, reasons) in declined {
            tally.refuse(number, external_ref, reasons);
        }
        return Ok(());
    }
    sql(tx, &format!("ROLLBACK TO SAVEPOINT {BATCH_SAVEPOINT}")).await?;
    sql(tx, &format!("RELEASE SAVEPOINT {BATCH_SAVEPOINT}")).await?;
    tx.rewind(mark)?;
    let mut known = Known::read(tx, target, &batch, false).await?;
    for row in batch {
        tally.total += 1;
        let external_ref = text_of(row.get("external_ref"));
        let mark = tx.mark()?;
        sql(tx, &format!("SAVEPOINT {SAVEPOINT}")).await?;
        match import_row(tx, who, target, strategy, &mut known, row).await {
            Ok(outcome) => {
                tally.count(&outcome);
                sql(tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
            }
            Err(Stop::Fault(e)) => return Err(e),
            Err(Stop::Refused(Refused(reasons)) | Stop::Declined(Refused(reasons))) => {
                sql(tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                sql(tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                // The row's writes are undone; what it found stays true (a row adds to `known`
                // only once it is written).
                tx.rewind(mark)?;
                tally.refuse(tally.total, external_ref, reasons);
            }
        }
    }
    Ok(())
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
