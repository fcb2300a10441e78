//! The TypeScript side of the IPC, generated into `ui/src/bindings`: the declarations of
//! every payload (ts-rs), the typed function of every command (`commands.ts`, from the
//! table in `command_list.rs`), the union of every error code and core's input limits
//! (`limits.ts`). The test fails when the Rust side changed and the files were not
//! regenerated; `SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings`
//! rewrites them.

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use sxadmin_client::core;
    use ts_rs::{Config, TS};

    fn export_all(dir: &Path) {
        let config = Config::new().with_large_int("number").with_out_dir(dir);
        macro_rules! export {
            ($($ty:ty),+ $(,)?) => { $( <$ty>::export_all(&config).unwrap(); )+ };
        }
        export!(
            crate::error::ErrorPayload,
            crate::commands::session::AppInfo,
            crate::commands::session::SessionInfo,
            crate::commands::overview::Overview,
            crate::commands::users::ListUsers,
            crate::commands::events::EventQuery,
            crate::import::ImportPreview,
            crate::import::PreviewRow,
            crate::import::ImportProgress,
            crate::import::ImportReport,
            core::User,
            core::UserPage,
            core::NewUser,
            core::UserChanges,
            core::UserSort,
            core::Role,
            core::Language,
            core::LicenceTier,
            core::Permission,
            core::LicencePool,
            core::Licence,
            core::Domain,
            core::Roles,
            core::Event,
        );
        crate::contract::export_types(&config);
        write(dir, "commands.ts", &crate::contract::commands_ts(&config));
        write(dir, "limits.ts", &limits_ts(&config));
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    /// The UI's copy of core's limits, so a form refuses what the portal refuses. The type
    /// is declared in the same file: a separate `Limits.ts` would clash with `limits.ts` on
    /// the file systems of macOS and Windows, which ignore case.
    fn limits_ts(config: &Config) -> String {
        let limits = serde_json::to_string_pretty(&core::rules::LIMITS).unwrap();
        format!(
            "// Generated from sxadmin_core::rules::LIMITS; do not edit.\n\
             // `SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings` rewrites it.\n\n\
             export {}\n\n\
             export const LIMITS: Limits = {limits};\n",
            <core::rules::Limits as TS>::decl(config)
        )
    }

    fn files(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| {
                        (
                            entry.file_name().to_string_lossy().into_owned(),
                            std::fs::read_to_string(entry.path()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn typescript_bindings_match_the_rust_types() {
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
        if std::env::var_os("SXADMIN_UPDATE_BINDINGS").is_some() {
            let _ = std::fs::remove_dir_all(&target);
            export_all(&target);
        }
        let fresh = tempfile::tempdir().unwrap();
        export_all(fresh.path());
        assert_eq!(
            files(fresh.path()),
            files(&target),
            "ui/src/bindings is out of date; run SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings"
        );
    }
}
