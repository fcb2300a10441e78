//! Generates the permission set of the app's own commands: the capability file grants the
//! window exactly these, and nothing from Tauri's plugins.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(sxadmin_commands::COMMANDS)),
    )
    .unwrap_or_else(|error| panic!("tauri build step failed: {error:#}"));
}

#[path = "src/command_list.rs"]
mod sxadmin_commands;
