//! The Tauri commands: each one takes the web view's arguments, calls the client library
//! or core, and returns wire types or an `{code, message}` error. No rules live here.

pub mod domains;
pub mod events;
pub mod import;
pub mod licences;
pub mod overview;
pub mod session;
pub mod users;
