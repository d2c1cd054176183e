//! Database access: the sea-orm entities, one repository module per aggregate speaking the
//! domain's types, keyset pagination, and the write unit ([`WriteTx`]) that puts every
//! write, its audit entry and its idempotency record into one transaction.

mod entities;
pub mod error;
mod local_write;
pub mod page;
pub mod reader;
pub mod store;
pub mod write;

pub mod analyses;
pub mod audit;
#[cfg(feature = "fixtures")]
pub mod bench_data;
pub mod changes;
pub mod cooperations;
pub mod esif;
pub mod imports;
pub mod indicators;
pub mod meetings;
pub mod memberships;
pub mod monitoring;
pub mod organizations;
pub mod partnerships;
pub mod people;
pub mod plans;
pub mod recruitment;
pub mod support_projects;
pub mod territorial_units;
pub mod timeline_templates;
pub mod webhooks;
pub mod working_groups;

mod convert;

pub use convert::now;
pub use error::StoreError;
pub use local_write::TxConn;
pub use page::{Page, PageRequest};
pub use reader::Reader;
pub use sea_orm::ConnectionTrait;

/// What the repositories read and write through: the reader, a write's transaction, a pool. A
/// connection of a type known when the program is built (`Any`), so that a page of rows is
/// decoded straight into its models when it is read on this crate's own SQLite connections
/// (`page::fetch`, `reader::models`).
pub trait Conn: ConnectionTrait + std::any::Any {}

impl<T: ConnectionTrait + std::any::Any> Conn for T {}
pub use store::Store;
pub use write::{Actor, StoredResponse, WriteTx};
