//! The Lambda API's request and response shapes, from the vocabulary crate (the server and clients
//! share them).

pub use lamina_model::wire::*;
