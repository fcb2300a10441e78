//! Every command the web view may call, in one table: its module, its name, the names and
//! types of its arguments as the web view sends them, and what it answers. Everything else
//! is expanded from this table, so the pieces cannot disagree:
//!
//! - `COMMANDS` below, which `build.rs` turns into the app's permissions
//!   (`capabilities/main.json` grants exactly these to the main window; a test checks it);
//! - the `generate_handler!` list in `lib.rs`;
//! - `ui/src/bindings/commands.ts`, the typed functions the UI calls (written by the
//!   bindings test, which also checks each row against the command's Rust signature).
//!
//! Argument types are the Rust types of the command's parameters (without `State` or the
//! raw `Request`); `RawBody` marks a command whose input is the raw IPC body.

/// Calls `$then!` with the whole table.
macro_rules! command_table {
    ($then:ident) => {
        $then! {
            session::app_info() -> AppInfo;
            session::restore_session() -> Option<SessionInfo>;
            session::sign_in(portal_url: String) -> SessionInfo;
            session::sign_in_demo() -> SessionInfo;
            session::sign_out() -> ();
            overview::overview() -> Overview;
            users::list_users(query: ListUsers) -> UserPage;
            users::get_user(id: Id) -> User;
            users::create_user(user: NewUser) -> User;
            users::update_user(id: Id, changes: UserChanges) -> User;
            users::delete_user(id: Id) -> ();
            users::set_role(id: Id, role: Role) -> User;
            users::export_users(query: ListUsers, format: FileFormat) -> Option<ExportedUsers>;
            import::download_template(format: FileFormat) -> Option<String>;
            import::choose_import_file() -> Option<ImportPreview>;
            import::load_import_bytes(body: RawBody) -> ImportPreview;
            import::plan_import(choices: ImportChoices) -> ImportPreview;
            import::import_rows(offset: u32, limit: u32) -> Vec<PreviewRow>;
            import::apply_import(confirmed_removals: Option<u32>, progress: Channel<ImportProgress>) -> ImportReport;
            import::cancel_import() -> ();
            import::interrupted_imports() -> Vec<InterruptedImport>;
            import::resume_import(id: String, progress: Channel<ImportProgress>) -> ImportReport;
            import::discard_import(id: String) -> ();
            import::save_import_results() -> Option<String>;
            licences::licence_pool() -> LicencePool;
            licences::list_licences() -> Vec<Licence>;
            licences::purchase_licences(tier: LicenceTier, count: u32) -> LicencePool;
            licences::assign_licences(user_ids: Vec<Id>, tier: LicenceTier) -> Vec<PerUserResult>;
            licences::change_licences(user_ids: Vec<Id>, tier: LicenceTier) -> Vec<PerUserResult>;
            licences::unassign_licences(user_ids: Vec<Id>) -> Vec<PerUserResult>;
            licences::transfer_licence(from_user_id: Id, to_user_id: Id) -> User;
            licences::remove_licences(ids: Vec<Id>) -> ();
            domains::list_domains() -> Vec<Domain>;
            domains::request_domain(name: String) -> Domain;
            domains::verify_domain(id: Id) -> Domain;
            domains::remove_domain(id: Id) -> ();
            domains::roles() -> Roles;
            events::list_events(query: EventQuery) -> Vec<Event>;
            events::export_events(query: EventQuery) -> Option<String>;
        }
    };
}
// `build.rs` includes this file only for `COMMANDS`.
#[allow(unused_imports)]
pub(crate) use command_table;

macro_rules! command_names {
    ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];
    };
}

command_table!(command_names);
