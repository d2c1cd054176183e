//! The context of a write: the transaction it runs in, who asks, the day it is judged on, and
//! for a retried request the idempotency key whose stored answer it gets.

use std::cell::Cell;

use chrono::NaiveDate;
use domain::access::{Action, Principal};
use persistence::{TxConn, WriteTx};

use crate::{Error, Result};

/// An `Idempotency-Key` and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Retry {
    pub key: String,
    pub request_hash: String,
}

/// A write in progress, handed to a use case. The caller (an HTTP handler, an import) begins
/// the transaction, and commits it with the audit entry when the use case succeeds.
pub struct Session<'a> {
    tx: &'a WriteTx,
    who: &'a Principal,
    retry: Option<Retry>,
    today: NaiveDate,
    authorized: Cell<bool>,
}

impl<'a> Session<'a> {
    pub fn new(tx: &'a WriteTx, who: &'a Principal, retry: Option<Retry>) -> Self {
        Self { tx, who, retry, today: chrono::Utc::now().date_naive(), authorized: Cell::new(false) }
    }

    pub fn tx(&self) -> &'a WriteTx {
        self.tx
    }

    pub fn conn(&self) -> &'a TxConn {
        self.tx.conn()
    }

    pub fn who(&self) -> &'a Principal {
        self.who
    }

    /// The day rules about "now" are judged on (UTC).
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// Asks the access policy inside the transaction. Allowed, a retry of a request already
    /// answered ends here with [`Error::Replayed`]; every write use case calls this before it
    /// writes.
    pub async fn allow(&self, action: Action) -> Result<()> {
        self.who.authorize(action)?;
        self.authorized().await
    }

    /// [`Session::allow`] where the caller knows the target exists (a create under a public
    /// partnership): a refusal is a 403, never a 404.
    pub async fn allow_known(&self, action: Action) -> Result<()> {
        self.who.authorize_known(action)?;
        self.authorized().await
    }

    async fn authorized(&self) -> Result<()> {
        if !self.authorized.replace(true)
            && let Some(retry) = &self.retry
            && let Some(stored) = self.tx.replay(&retry.key, &retry.request_hash).await?
        {
            return Err(Error::Replayed(stored));
        }
        Ok(())
    }

    /// Whether the use case asked the policy: the write protocol refuses to commit otherwise.
    pub fn was_authorized(&self) -> bool {
        self.authorized.get()
    }
}

/// The `If-Match` precondition of a change: `None` (no header) matches any version.
#[derive(Debug, Clone, Default)]
pub struct Precondition(pub Option<String>);

impl Precondition {
    /// Refuses the write unless the precondition is absent, `*`, or names `current`.
    pub fn check(&self, current: i32) -> Result<()> {
        let Some(raw) = &self.0 else { return Ok(()) };
        // RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak tag never matches.
        let strong = |tag: &str| tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse::<i32>().ok());
        if raw.split(',').map(str::trim).any(|tag| tag == "*" || strong(tag) == Some(current)) {
            Ok(())
        } else {
            Err(Error::PreconditionFailed(format!("If-Match {raw} does not name the current version {current}; nothing was written")))
        }
    }
}

/// A change: the resource before and after it, for the answer and the audit trail.
#[derive(Debug, Clone)]
pub struct Updated<T> {
    pub before: T,
    pub after: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_uses_the_strong_comparison() {
        let p = |s: &str| Precondition(Some(s.to_owned()));
        assert!(Precondition(None).check(3).is_ok());
        assert!(p("*").check(3).is_ok());
        assert!(p("\"3\"").check(3).is_ok());
        assert!(p("\"1\", \"3\"").check(3).is_ok());
        assert!(p("W/\"3\"").check(3).is_err());
        assert!(p("\"2\"").check(3).is_err());
    }
}
