//! Domain types and rules of the Inclusion API: identifiers that validate themselves
//! (IČO, NUTS 3 region, municipality code), the codelists with their Czech and English
//! labels, state machines (a partnership's lifecycle), and the validation vocabulary
//! (`FieldError`) shared by every layer. No web or database crate is used here.

pub mod access;
pub mod codelist;
pub mod error;
pub mod identifiers;
pub mod partnership;
pub mod period;
pub mod registry;
pub mod search;

pub use error::{DomainError, FieldError, Violations};
