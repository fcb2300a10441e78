//! SX Admin's desktop shell: a Tauri window over the shared client library and core.
//!
//! The web view gets only this crate's commands (see `command_list.rs` and
//! `capabilities/main.json`); tokens, files and network access stay on the Rust side.

mod bindings;
pub mod command_list;
pub mod commands;
pub mod demo;
pub mod dialogs;
pub mod error;
pub mod import;
pub mod settings;
pub mod state;

use std::sync::Arc;

use sxadmin_client::secrets::Keychain;
use tauri::{Manager, Runtime};

use crate::state::AppState;

/// Adds the app's commands to a builder of any runtime: the real window, or the mock
/// runtime of the command tests.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::session::app_info,
        commands::session::restore_session,
        commands::session::sign_in,
        commands::session::sign_in_demo,
        commands::session::sign_out,
        commands::overview::overview,
        commands::users::list_users,
        commands::users::get_user,
        commands::users::create_user,
        commands::users::update_user,
        commands::users::delete_user,
        commands::users::set_role,
        commands::import::download_template,
        commands::import::choose_import_file,
        commands::import::load_import_bytes,
        commands::import::import_rows,
        commands::import::apply_import,
        commands::import::cancel_import,
        commands::import::save_import_results,
        commands::licences::licence_pool,
        commands::licences::list_licences,
        commands::licences::purchase_licences,
        commands::licences::assign_licence,
        commands::licences::change_licence,
        commands::licences::unassign_licence,
        commands::licences::transfer_licence,
        commands::licences::remove_licences,
        commands::domains::list_domains,
        commands::domains::request_domain,
        commands::domains::verify_domain,
        commands::domains::remove_domain,
        commands::domains::roles,
        commands::events::list_events,
        commands::events::export_events,
    ])
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
