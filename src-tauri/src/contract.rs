//! The TypeScript side of the IPC contract, written from the command table in
//! `command_list.rs` into `ui/src/bindings/commands.ts`, and the checks that keep the
//! table honest: each row against the command's real Rust signature, and the capability
//! file against the table. The UI then calls only functions generated from the same rows
//! that register the handlers and the permissions.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::path::Path;

use ts_rs::{Config, Dependency, TypeVisitor, TS};

// The types the table names, in scope for its expansion below.
use crate::commands::events::EventQuery;
use crate::commands::overview::Overview;
use crate::commands::session::{AppInfo, SessionInfo};
use crate::commands::users::{ExportedUsers, ListUsers};
use crate::dialogs::FileFormat;
use crate::import::{
    ImportChoices, ImportPreview, ImportProgress, ImportReport, InterruptedImport, PreviewRow,
};
use sxadmin_client::core::{
    Domain, Event, Id, Licence, LicencePool, LicenceTier, NewUser, PerUserResult, Role, Roles,
    User, UserChanges, UserPage,
};

/// A type as the generated TypeScript spells it, with the declarations it imports
/// (name, path under `ui/src/bindings` without `.ts`).
pub struct TsType {
    pub text: String,
    pub imports: BTreeSet<(String, String)>,
}

pub trait IpcType {
    fn ts(cfg: &Config) -> TsType;
    /// Writes the declarations the type needs into the bindings folder.
    fn export(cfg: &Config);
}

impl<T: TS + 'static> IpcType for T {
    fn ts(cfg: &Config) -> TsType {
        TsType {
            text: T::name(cfg),
            imports: imports_of::<T>(cfg),
        }
    }

    fn export(cfg: &Config) {
        export_declarations::<T>(cfg);
    }
}

/// Stands for `tauri::ipc::Channel<T>` in the table: the UI passes a `Channel` of `@tauri-apps/api`.
pub struct Channel<T>(PhantomData<T>);

impl<T: TS + 'static> IpcType for Channel<T> {
    fn ts(cfg: &Config) -> TsType {
        TsType {
            text: format!("Channel<{}>", T::name(cfg)),
            imports: imports_of::<T>(cfg),
        }
    }

    fn export(cfg: &Config) {
        export_declarations::<T>(cfg);
    }
}

/// Stands for a command whose input is the raw IPC body (a dropped file's bytes).
pub struct RawBody;

impl IpcType for RawBody {
    fn ts(_: &Config) -> TsType {
        TsType {
            text: "Uint8Array".into(),
            imports: BTreeSet::new(),
        }
    }

    fn export(_: &Config) {}
}

/// Exports `T`, or the types it wraps (`Vec<T>`, `Option<T>`), with their dependencies.
fn export_declarations<T: TS + 'static>(cfg: &Config) {
    struct Export<'a>(&'a Config);
    impl TypeVisitor for Export<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            if U::output_path().is_some() {
                U::export_all(self.0)
                    .unwrap_or_else(|error| panic!("cannot export {}: {error}", U::ident(self.0)));
            } else {
                U::visit_generics(self);
            }
        }
    }
    Export(cfg).visit::<T>();
}

fn imports_of<T: TS + 'static>(cfg: &Config) -> BTreeSet<(String, String)> {
    struct Imports<'a> {
        cfg: &'a Config,
        found: BTreeSet<(String, String)>,
    }
    impl TypeVisitor for Imports<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            match Dependency::from_ty::<U>(self.cfg) {
                Some(dependency) => {
                    let path = dependency.output_path.with_extension("");
                    self.found.insert((
                        dependency.ts_name,
                        path.to_string_lossy().replace('\\', "/"),
                    ));
                }
                None => U::visit_generics(self),
            }
        }
    }
    let mut imports = Imports {
        cfg,
        found: BTreeSet::new(),
    };
    imports.visit::<T>();
    imports.found
}

/// One row of the table.
pub struct Row {
    pub module: &'static str,
    pub name: &'static str,
    /// Name, Rust type as written, TypeScript type.
    pub args: Vec<(&'static str, &'static str, TsType)>,
    pub ret: (&'static str, TsType),
}

macro_rules! rows {
    ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        |cfg: &Config| vec![$(Row {
            module: stringify!($module),
            name: stringify!($name),
            args: vec![$((stringify!($arg), stringify!($ty), <$ty as IpcType>::ts(cfg))),*],
            ret: (stringify!($ret), <$ret as IpcType>::ts(cfg)),
        }),*]
    };
}

macro_rules! exports {
    ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        |cfg: &Config| { $( $( <$ty as IpcType>::export(cfg); )* <$ret as IpcType>::export(cfg); )* }
    };
}

/// Writes the declaration of every type a command takes or answers.
pub fn export_types(cfg: &Config) {
    crate::command_list::command_table!(exports)(cfg);
}

pub fn table(cfg: &Config) -> Vec<Row> {
    crate::command_list::command_table!(rows)(cfg)
}

/// The key Tauri reads an argument from: its name in camelCase.
pub fn js_name(rust: &str) -> String {
    let mut out = String::with_capacity(rust.len());
    let mut upper = false;
    for c in rust.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ui/src/bindings/commands.ts`.
pub fn commands_ts(cfg: &Config) -> String {
    let rows = table(cfg);
    let mut imports = BTreeSet::new();
    for row in &rows {
        imports.extend(row.ret.1.imports.iter().cloned());
        for (_, _, ty) in &row.args {
            imports.extend(ty.imports.iter().cloned());
        }
    }
    let mut out = String::from(
        "// Generated from the command table in src-tauri/src/command_list.rs; do not edit.\n\
         // `SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings` rewrites it.\n\
         import type { Channel } from \"@tauri-apps/api/core\";\n\
         import { call, callRaw } from \"../ipc\";\n",
    );
    for (name, path) in &imports {
        out.push_str(&format!("import type {{ {name} }} from \"./{path}\";\n"));
    }
    out.push_str("\n/** Every command the window may call, as the capability grants it. */\n");
    out.push_str("export type CommandName =\n");
    for row in &rows {
        out.push_str(&format!("  | \"{}\"\n", row.name));
    }
    out.push_str(
        ";\n\n/** One typed function per command, with the argument names Tauri reads. */\n",
    );
    out.push_str("export const commands = {\n");
    for row in &rows {
        let ret = match row.ret.1.text.as_str() {
            "null" => "void",
            other => other,
        };
        let function = js_name(row.name);
        if let Some((arg, _, _)) = row.args.iter().find(|(_, ty, _)| *ty == "RawBody") {
            let arg = js_name(arg);
            out.push_str(&format!(
                "  {function}: ({arg}: Uint8Array, headers: Record<string, string>): Promise<{ret}> =>\n    callRaw<{ret}>(\"{}\", {arg}, headers),\n",
                row.name
            ));
            continue;
        }
        let params: Vec<String> = row
            .args
            .iter()
            .map(|(arg, _, ty)| format!("{}: {}", js_name(arg), ty.text))
            .collect();
        let keys: Vec<String> = row.args.iter().map(|(arg, _, _)| js_name(arg)).collect();
        let body = if keys.is_empty() {
            format!("call<{ret}>(\"{}\", {{}})", row.name)
        } else {
            format!("call<{ret}>(\"{}\", {{ {} }})", row.name, keys.join(", "))
        };
        out.push_str(&format!(
            "  {function}: ({}): Promise<{ret}> =>\n    {body},\n",
            params.join(", ")
        ));
    }
    out.push_str("};\n");
    out
}

/// The parameters Tauri fills from the app rather than from the web view's arguments.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "Webview", "WebviewWindow"];

/// The name of a raw body in a compared signature: it has no key in the arguments.
const RAW: &str = "(raw body)";

/// A type written without its module paths, to compare the table with a signature.
fn shape(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => match path.path.segments.last() {
            Some(last) => match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => {
                    let inner: Vec<String> = args
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            syn::GenericArgument::Type(ty) => Some(shape(ty)),
                            _ => None,
                        })
                        .collect();
                    if inner.is_empty() {
                        last.ident.to_string()
                    } else {
                        format!("{}<{}>", last.ident, inner.join(","))
                    }
                }
                _ => last.ident.to_string(),
            },
            None => String::new(),
        },
        syn::Type::Tuple(tuple) if tuple.elems.is_empty() => "()".into(),
        syn::Type::Reference(reference) => shape(&reference.elem),
        other => quote::ToTokens::to_token_stream(other).to_string(),
    }
}

fn table_shape(written: &str) -> String {
    syn::parse_str::<syn::Type>(written)
        .map(|ty| shape(&ty))
        .unwrap_or_else(|error| panic!("the table's type {written} does not parse: {error}"))
}

/// A command as its source declares it.
#[derive(Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub args: Vec<(String, String)>,
    pub ret: String,
}

/// Every `#[tauri::command]` function in `src/commands/{module}.rs`.
pub fn signatures(module: &str) -> Vec<Signature> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/commands")
        .join(format!("{module}.rs"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let file = syn::parse_file(&source)
        .unwrap_or_else(|error| panic!("cannot parse {}: {error}", path.display()));
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(function) => Some(function),
            _ => None,
        })
        .filter(|function| {
            function.attrs.iter().any(|attr| {
                let is_command = attr
                    .path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "command");
                assert!(
                    !is_command || matches!(attr.meta, syn::Meta::Path(_)),
                    "{}: the table assumes Tauri's default camelCase argument names",
                    function.sig.ident
                );
                is_command
            })
        })
        .map(|function| {
            let args = function
                .sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    syn::FnArg::Typed(typed) => Some(typed),
                    syn::FnArg::Receiver(_) => None,
                })
                .filter_map(|typed| {
                    let ty = shape(&typed.ty);
                    let base = ty.split('<').next().unwrap_or_default().to_owned();
                    if INJECTED.contains(&base.as_str()) {
                        return None;
                    }
                    let name = quote::ToTokens::to_token_stream(&typed.pat).to_string();
                    // The raw request stands for the raw body, which has no name.
                    if base == "Request" {
                        return Some((RAW.to_owned(), "RawBody".to_owned()));
                    }
                    Some((name, ty))
                })
                .collect();
            let ret = match &function.sig.output {
                syn::ReturnType::Type(_, ty) => match shape(ty) {
                    // AppResult<T> answers T.
                    s if s.starts_with("AppResult<") => {
                        s["AppResult<".len()..s.len() - 1].to_owned()
                    }
                    s => s,
                },
                syn::ReturnType::Default => "()".into(),
            };
            Signature {
                name: function.sig.ident.to_string(),
                args,
                ret,
            }
        })
        .collect()
}

/// The table's rows as signatures, for comparing with the sources.
pub fn table_signatures(cfg: &Config, module: &str) -> Vec<Signature> {
    table(cfg)
        .into_iter()
        .filter(|row| row.module == module)
        .map(|row| Signature {
            name: row.name.to_owned(),
            args: row
                .args
                .iter()
                .map(|(name, ty, _)| match *ty {
                    "RawBody" => (RAW.to_owned(), (*ty).to_owned()),
                    _ => ((*name).to_owned(), table_shape(ty)),
                })
                .collect(),
            ret: table_shape(row.ret.0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::new().with_large_int("number")
    }

    #[test]
    fn bindings_table_rows_are_the_commands_real_signatures() {
        let cfg = cfg();
        let modules: BTreeSet<&str> = table(&cfg).iter().map(|row| row.module).collect();
        let on_disk: BTreeSet<String> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands"))
                .unwrap()
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".rs")
                        .filter(|stem| *stem != "mod")
                        .map(str::to_owned)
                })
                .collect();
        let modules_owned: BTreeSet<String> = modules.iter().map(|m| (*m).to_owned()).collect();
        assert_eq!(
            modules_owned, on_disk,
            "every command module appears in the table"
        );
        for module in modules {
            let mut declared = signatures(module);
            let mut listed = table_signatures(&cfg, module);
            declared.sort_by(|a, b| a.name.cmp(&b.name));
            listed.sort_by(|a, b| a.name.cmp(&b.name));
            assert_eq!(
                listed, declared,
                "the table in command_list.rs and src/commands/{module}.rs disagree"
            );
        }
    }

    #[test]
    fn bindings_capability_grants_exactly_the_table() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/main.json");
        let capability: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = crate::command_list::COMMANDS
            .iter()
            .map(|name| format!("allow-{}", name.replace('_', "-")))
            .collect();
        assert_eq!(granted, expected);
    }

    #[test]
    fn bindings_argument_keys_are_camel_case() {
        assert_eq!(js_name("from_user_id"), "fromUserId");
        assert_eq!(js_name("query"), "query");
    }
}
