//! `sxadmin users`.

use clap::{Args, Subcommand};
use serde::Serialize;
use sxadmin_core::rules::{self, RuleError};
use sxadmin_core::{Language, NewUser, Role, User, UserChanges};

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
    /// Only users whose e-mail address or name contains this text.
    #[arg(long)]
    search: Option<String>,
    /// At most this many users.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
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
        UsersCommand::Show { email } => show(options, &email).await,
        UsersCommand::Add(args) => add(options, args).await,
        UsersCommand::Edit(args) => edit(options, args).await,
        UsersCommand::Delete { email } => delete(options, &email).await,
    }
}

async fn list(options: &GlobalOptions, args: ListArgs) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    let search = args.search.filter(|s| !s.trim().is_empty());
    let limit = args.limit.and_then(|limit| usize::try_from(limit).ok());
    let (users, total) = client.users_up_to(search, limit).await?;
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
