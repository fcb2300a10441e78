//! `sxadmin users`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use sxadmin_client::export::{self, ExportFormat};
use sxadmin_client::PortalClient;
use sxadmin_core::rules::{self, RuleError};
use sxadmin_core::{
    Id, Language, LicenceFilter, NewUser, Role, User, UserChanges, UserListQuery, UserStatus,
};

use super::output::{self, Table};
use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// List the account's users (every page, unless --limit).
    List(ListArgs),
    /// Write the users (or those the filters keep) to FILE.xlsx or FILE.csv, with the
    /// template's columns, to edit and import again.
    Export(ExportArgs),
    /// Show one user.
    Show {
        /// The user's e-mail address.
        email: String,
    },
    /// Add a user; the address's domain must be approved for the account.
    Add(AddArgs),
    /// Change a user's names, role, language or whether they can sign in.
    Edit(EditArgs),
    /// Delete a user; a licence they held goes back to the pool.
    Delete {
        /// The user's e-mail address.
        email: String,
    },
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    filters: Filters,
    /// At most this many users.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The file to write: .xlsx (Excel, with the template's drop-down lists) or .csv.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    filters: Filters,
}

/// The user list's filters, shared by `list` and `export`.
#[derive(Debug, Args)]
struct Filters {
    /// Only users whose e-mail address or name contains this text.
    #[arg(long)]
    search: Option<String>,
    /// Only users with this role: `user` or `administrator`.
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// Only users in this role group (its name or number).
    #[arg(long)]
    group: Option<String>,
    /// Only users holding this licence tier (`eco`, `advanced`, `pro`), or `none`.
    #[arg(long, value_parser = parse_licence_filter)]
    licence: Option<LicenceFilter>,
    /// `active` or `disabled`.
    #[arg(long, value_parser = parse_status)]
    status: Option<UserStatus>,
}

impl Filters {
    /// The list query, the group named by its name found among the account's groups.
    async fn query(self, client: &PortalClient) -> anyhow::Result<UserListQuery> {
        let group = match self.group {
            Some(group) => Some(group_id(client, &group).await?),
            None => None,
        };
        Ok(UserListQuery {
            search: self.search.filter(|s| !s.trim().is_empty()),
            role: self.role,
            group,
            licence: self.licence,
            status: self.status,
            ..UserListQuery::default()
        })
    }
}

async fn group_id(client: &PortalClient, group: &str) -> anyhow::Result<Id> {
    let groups = client.roles().await?.groups;
    let wanted = group.trim();
    if let Some(found) = groups
        .iter()
        .find(|g| g.name.trim().eq_ignore_ascii_case(wanted))
    {
        return Ok(found.id);
    }
    if let Ok(id) = wanted.trim_start_matches('#').parse::<Id>() {
        if groups.iter().any(|g| g.id == id) {
            return Ok(id);
        }
    }
    let names = groups
        .iter()
        .map(|g| format!("{:?}", g.name))
        .collect::<Vec<_>>()
        .join(", ");
    Err(UsageError(if names.is_empty() {
        format!("--group: the account has no role group (asked for {wanted:?})")
    } else {
        format!("--group: no role group is named {wanted:?}; the groups are {names}")
    })
    .into())
}

fn parse_licence_filter(text: &str) -> Result<LicenceFilter, String> {
    LicenceFilter::parse(text).ok_or_else(|| {
        format!("\"{text}\" is not a licence tier; use `eco`, `advanced`, `pro` or `none`")
    })
}

fn parse_status(text: &str) -> Result<UserStatus, String> {
    UserStatus::parse(text)
        .ok_or_else(|| format!("\"{text}\" is not a status; use `active` or `disabled`"))
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The new user's e-mail address.
    email: String,
    #[command(flatten)]
    details: Details,
}

/// What `add` sets and `edit` changes; left out, `add` uses the portal's defaults (`user`,
/// `en`) and `edit` keeps what the user has.
#[derive(Debug, Args)]
struct Details {
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    /// `user` or `administrator`.
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// `en` or `fr`.
    #[arg(long, value_parser = parse_language)]
    language: Option<Language>,
}

#[derive(Debug, Args)]
struct EditArgs {
    /// The user's e-mail address.
    email: String,
    #[command(flatten)]
    details: Details,
    /// Let the user sign in again.
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Stop the user from signing in, keeping the account, licence and logs.
    #[arg(long)]
    disable: bool,
}

/// Accepts the words a CSV file may use (English or French, any case or accents).
pub fn parse_role(text: &str) -> Result<Role, String> {
    sxadmin_core::csv::parse_role(text)
        .ok_or_else(|| format!("\"{text}\" is not a role; use `user` or `administrator`"))
}

pub fn parse_language(text: &str) -> Result<Language, String> {
    sxadmin_core::csv::parse_language(text)
        .ok_or_else(|| format!("\"{text}\" is not a language; use `en` or `fr`"))
}

pub async fn run(options: &GlobalOptions, args: UsersArgs) -> anyhow::Result<Outcome> {
    match args.command {
        UsersCommand::List(args) => list(options, args).await,
        UsersCommand::Export(args) => export(options, args).await,
        UsersCommand::Show { email } => show(options, &email).await,
        UsersCommand::Add(args) => add(options, args).await,
        UsersCommand::Edit(args) => edit(options, args).await,
        UsersCommand::Delete { email } => delete(options, &email).await,
    }
}

async fn list(options: &GlobalOptions, args: ListArgs) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    let query = args.filters.query(&client).await?;
    let limit = args.limit.and_then(|limit| usize::try_from(limit).ok());
    let (users, total) = client.users_matching(&query, limit).await?;
    if options.json {
        output::print_json(&users)?;
        return Ok(Outcome::Done);
    }
    let mut table = Table::new(&["EMAIL", "NAME", "ROLE", "LANGUAGE", "LICENCE", "ACTIVE"]);
    for user in &users {
        table.row(vec![
            user.email.clone(),
            full_name(user),
            user.role.to_string(),
            user.language.to_string(),
            licence_cell(user),
            output::yes_no(user.active),
        ]);
    }
    table.print();
    let shown = users.len();
    if i64::try_from(shown).is_ok_and(|shown| shown < total) {
        println!("{shown} of {total} users shown.");
    } else {
        println!("{shown} user{}.", if shown == 1 { "" } else { "s" });
    }
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct ExportReport {
    file: String,
    users: usize,
}

async fn export(options: &GlobalOptions, args: ExportArgs) -> anyhow::Result<Outcome> {
    let Some(format) = ExportFormat::from_path(&args.output) else {
        return Err(UsageError(format!(
            "{}: name the file .xlsx (Excel) or .csv",
            args.output.display()
        ))
        .into());
    };
    if args.output.exists() {
        return Err(UsageError(format!(
            "{} already exists; choose another file name or delete it first",
            args.output.display()
        ))
        .into());
    }
    let client = super::connect::client(options).await?;
    let query = args.filters.query(&client).await?;
    let exported = export::export_users(&client, &query, format)
        .await
        .map_err(|error| match error {
            export::ExportUsersError::Portal(error) => anyhow::Error::from(error),
            other => anyhow::Error::from(other),
        })?;
    sxadmin_client::files::write_private(&args.output, &exported.bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    output::done(
        options,
        &format!(
            "Exported {} user{} to {}.",
            exported.users,
            if exported.users == 1 { "" } else { "s" },
            args.output.display()
        ),
        &ExportReport {
            file: args.output.display().to_string(),
            users: exported.users,
        },
    )?;
    Ok(Outcome::Done)
}

async fn show(options: &GlobalOptions, email: &str) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    let user = client.lookup_user(email.trim()).await?;
    if options.json {
        output::print_json(&user)?;
    } else {
        print!("{}", describe(&user));
    }
    Ok(Outcome::Done)
}

async fn add(options: &GlobalOptions, args: AddArgs) -> anyhow::Result<Outcome> {
    let new = rules::check_new_user(&NewUser {
        email: args.email,
        first_name: args.details.first_name.unwrap_or_default(),
        last_name: args.details.last_name.unwrap_or_default(),
        language: args.details.language,
        role: args.details.role,
    })
    .map_err(refused)?;
    let client = super::connect::client(options).await?;
    let user = client.create_user(&new).await?;
    output::done(
        options,
        &format!("Added {} ({}, {}).", user.email, user.role, user.language),
        &user,
    )?;
    Ok(Outcome::Done)
}

async fn edit(options: &GlobalOptions, args: EditArgs) -> anyhow::Result<Outcome> {
    let changes = UserChanges {
        first_name: args.details.first_name,
        last_name: args.details.last_name,
        language: args.details.language,
        role: args.details.role,
        active: match (args.enable, args.disable) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    if changes.is_empty() {
        return Err(UsageError(format!(
            "nothing to change for {}: pass --first-name, --last-name, --role, --language, \
             --enable or --disable",
            args.email.trim()
        ))
        .into());
    }
    let changes = rules::check_user_changes(&changes).map_err(refused)?;
    let client = super::connect::client(options).await?;
    let user = client.lookup_user(args.email.trim()).await?;
    let updated = client.update_user(user.id, &changes).await?;
    let message = if updated == user {
        format!("{} already had those details; nothing changed.", user.email)
    } else {
        format!("Updated {}.", updated.email)
    };
    output::done(options, &message, &updated)?;
    Ok(Outcome::Done)
}

/// A value the portal would refuse, said before anything is sent and named by the option
/// that carried it.
fn refused(error: RuleError) -> UsageError {
    let field = error.field();
    let text = error.to_string();
    let advice = text.strip_prefix(&format!("{field}: ")).unwrap_or(&text);
    let option = match field {
        "email" => "the e-mail address".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    };
    UsageError(format!("{option}: {advice}"))
}

#[derive(Serialize)]
struct Deleted<'a> {
    deleted: &'a User,
}

async fn delete(options: &GlobalOptions, email: &str) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    let user = client.lookup_user(email.trim()).await?;
    let licence = match &user.licence {
        Some(held) => format!(" Their {} licence goes back to the pool.", held.tier),
        None => String::new(),
    };
    output::confirm(
        options,
        &format!(
            "Deleting {} removes the user from the account for good; they can no longer sign \
             in or send.{licence}",
            user.email
        ),
    )?;
    client.delete_user(user.id).await?;
    output::done(
        options,
        &format!("Deleted {}.", user.email),
        &Deleted { deleted: &user },
    )?;
    Ok(Outcome::Done)
}

pub fn full_name(user: &User) -> String {
    format!("{} {}", user.first_name.trim(), user.last_name.trim())
        .trim()
        .to_owned()
}

pub fn licence_cell(user: &User) -> String {
    user.licence
        .as_ref()
        .map(|l| l.tier.to_string())
        .unwrap_or_else(|| "-".to_owned())
}

fn describe(user: &User) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    let group = user
        .role_group_id
        .map(|id| format!("#{id}"))
        .unwrap_or_else(|| "-".to_owned());
    let licence = user
        .licence
        .as_ref()
        .map(|l| format!("{} (licence #{})", l.tier, l.id))
        .unwrap_or_else(|| "-".to_owned());
    for (field, value) in [
        ("email", user.email.clone()),
        ("first name", user.first_name.clone()),
        ("last name", user.last_name.clone()),
        ("role", user.role.to_string()),
        ("role group", group),
        ("language", user.language.to_string()),
        ("licence", licence),
        ("active", output::yes_no(user.active)),
        ("created", output::time(user.created_at)),
        ("updated", output::time(user.updated_at)),
    ] {
        table.row(vec![field.to_owned(), value]);
    }
    table.render()
}
