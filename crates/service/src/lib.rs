//! The use cases of the API: one function per command and query. Each loads the facts it
//! needs, asks the access policy ([`domain::access::Principal::authorize`]) and the domain's
//! rules, and writes through the repositories, inside the write [`Session`] it is handed.
//! HTTP handlers call them and map the answer back; imports call the very same functions, so
//! a row of an import passes exactly the checks of a single-row request.
//!
//! What a use case does not do: read HTTP (headers, bodies, status codes), commit, or record
//! the audit entry. The caller's write protocol does those once for every use case, because
//! the audit trail records each resource as the API shows it.

pub mod changes;
pub mod cooperations;
pub mod error;
pub mod imports;
pub mod partnerships;
pub mod records;
pub mod recruitment;
pub mod session;
pub mod support_projects;
pub mod timeline_templates;
pub mod webhooks;

// Registry and the partnerships' own records.
pub mod analyses;
pub mod meetings;
pub mod memberships;
pub mod registry;
pub mod working_groups;
// Strategic plans, their measures and monitoring.
pub mod measures;
pub mod monitoring;
pub mod plans;
// ESIF: programmes, calls, projects; the Agency's counselling.
pub mod calls;
pub mod counselling;
pub mod projects;
// Reports a person reads.
pub mod reports;

pub use error::{Error, Result};
pub use session::{Precondition, Retry, Session, Updated};
