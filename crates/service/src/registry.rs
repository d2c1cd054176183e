//! (moving here from the HTTP handlers)
