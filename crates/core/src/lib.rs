//! The SX Admin domain: the types that cross the wire between the portal and its clients
//! (and the IPC boundary to the desktop web view), and the rules that both sides must agree
//! on. Pure: no I/O and no async, so every front end and the server share one definition.

pub mod csv;
pub mod email;
pub mod error;
pub mod model;
pub mod public_domains;
pub mod rules;
pub mod spreadsheet;
pub mod wire;
pub mod workbook;

pub use error::{ErrorBody, ErrorCode};
pub use model::*;
pub use wire::*;
