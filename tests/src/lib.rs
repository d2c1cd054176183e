//! Black-box HTTP tests live in `api/`; this crate has no library code.
