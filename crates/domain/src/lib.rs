//! Domain types and rules of the Inclusion API: identifiers that validate themselves
//! (IČO, NUTS 3 region, municipality code), the codelists with their Czech and English
//! labels, state machines (partnership, analysis, strategic plan), money, the fulfilment
//! roll-up and plan diffs, the access policy, and the validation vocabulary (`FieldError`)
//! shared by every layer. No web or database crate is used here.

pub mod access;
pub mod analysis;
pub mod codelist;
pub mod cooperation;
pub mod diff;
pub mod error;
pub mod esif;
pub mod fulfilment;
pub mod identifiers;
pub mod indicator;
pub mod json_date;
pub mod money;
pub mod monitoring;
pub mod partnership;
pub mod period;
pub mod plan;
pub mod recruitment;
pub mod registry;
pub mod search;
pub mod support_project;
pub mod webhook;

pub use error::{DomainError, FieldError, Violations};
