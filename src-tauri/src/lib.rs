//! SX Admin's desktop shell: a Tauri window over the shared client library and core.
//!
//! The web view gets only this crate's commands (the table in `command_list.rs`, granted by
//! `capabilities/main.json`); tokens, files and network access stay on the Rust side.

mod bindings;
pub mod command_list;
pub mod commands;
#[cfg(test)]
mod contract;
pub mod demo;
pub mod dialogs;
pub mod error;
pub mod import;
pub mod state;

use std::sync::Arc;

use sxadmin_client::secrets::Keychain;
use tauri::{Manager, Runtime};

use crate::state::AppState;

/// Adds the app's commands to a builder of any runtime: the real window, or the mock
/// runtime of the command tests.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    macro_rules! handler {
        ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
            tauri::generate_handler![$(commands::$module::$name),*]
        };
    }
    builder.invoke_handler(command_list::command_table!(handler))
}

/// Starts the window. Returns when it closes.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = AppState::default_data_dir()?;
    with_commands(tauri::Builder::<tauri::Wry>::new())
        .setup(move |app| {
            app.manage(AppState::new(data_dir, Arc::new(Keychain::default())));
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}
