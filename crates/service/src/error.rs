//! What a use case can answer besides its result.

use domain::DomainError;
use domain::access::Denial;
use persistence::{StoreError, StoredResponse};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error raised by the caller's own code that the use case ran (reading a merge
    /// patch into the caller's input type): it travels through the use case unchanged, for
    /// the caller to answer as it would have answered it itself.
    #[error(transparent)]
    Caller(Box<dyn std::error::Error + Send + Sync>),
    /// The policy refused the action and the caller may know the target exists.
    #[error("{0}")]
    Forbidden(String),
    /// The caller's precondition (`If-Match`) names a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request is a retry: this is the answer given to the first one. Raised by
    /// [`crate::Session::allow`] after authorization, so only a caller who may make the
    /// request gets it; the write protocol answers with it and writes nothing.
    #[error("a retry of a request already answered")]
    Replayed(StoredResponse),
    /// Not found, a rule broken, a conflict with stored rows, or a fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn not_found() -> Self {
        Self::Store(StoreError::NotFound)
    }
}

impl From<DomainError> for Error {
    fn from(err: DomainError) -> Self {
        Self::Store(StoreError::Domain(err))
    }
}

impl From<Denial> for Error {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::Hidden => Self::not_found(),
            Denial::Forbidden(reason) => Self::Forbidden(reason.to_owned()),
        }
    }
}
