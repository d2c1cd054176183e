//! The edge of the API: what every request passes before a handler sees it, and what every
//! answer passes on its way out. In order, from the outside in:
//!
//! 1. [`problems`]: any error answer the framework produced (a refused CORS request, a bad
//!    query string) is rewritten as `application/problem+json`;
//! 2. CORS (actix-cors, configured in `startup`);
//! 3. [`rate_limit`]: per-client limits, stricter for requests with invalid tokens;
//! 4. [`methods`]: 405 with `Allow`, HEAD wherever GET is, OPTIONS with `Allow`;
//! 5. [`input`]: refuses input PostgreSQL cannot store (NUL characters, bytes that are not
//!    UTF-8) the same way on every database.
//!
//! Answers the HTTP parser gives before the application runs (431 for a request head over
//! 128 KiB or more than 96 headers, 400 for a malformed request line or header) are written
//! by actix-http itself, with an empty body; they cannot be reached from here.

pub mod input;
pub mod methods;
pub mod problems;
pub mod rate_limit;
