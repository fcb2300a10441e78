//! `sxadmin roles`.

use clap::{Args, Subcommand};
use sxadmin_client::PortalClient;
use sxadmin_core::{Permission, Role, Roles, SetRole};

use super::output::{self, Table};
use super::users::parse_role;
use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct RolesArgs {
    #[command(subcommand)]
    command: RolesCommand,
}

#[derive(Debug, Subcommand)]
enum RolesCommand {
    /// List the built-in roles and the account's role groups with their permissions.
    List,
    /// Set a user's role, and optionally their role group.
    Set(SetArgs),
}

#[derive(Debug, Args)]
struct SetArgs {
    /// The user's e-mail address.
    email: String,
    /// `user` or `administrator`.
    #[arg(value_parser = parse_role)]
    role: Role,
    /// Put the user in this role group (by name). Without it the user keeps their group.
    #[arg(long, conflicts_with = "no_group")]
    group: Option<String>,
    /// Take the user out of their role group.
    #[arg(long)]
    no_group: bool,
}

pub async fn run(options: &GlobalOptions, args: RolesArgs) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    match args.command {
        RolesCommand::List => list(options, &client).await,
        RolesCommand::Set(args) => set(options, &client, args).await,
    }
}

async fn list(options: &GlobalOptions, client: &PortalClient) -> anyhow::Result<Outcome> {
    let roles = client.roles().await?;
    if options.json {
        output::print_json(&roles)?;
        return Ok(Outcome::Done);
    }
    let mut table = Table::new(&["NAME", "KIND", "PERMISSIONS"]);
    for role in &roles.built_in {
        let what = match role {
            Role::Administrator => "every permission: users, domains, licences and roles",
            Role::User => "only those of the user's role group, if any",
        };
        table.row(vec![role.to_string(), "built-in role".into(), what.into()]);
    }
    for group in &roles.groups {
        table.row(vec![
            group.name.clone(),
            format!("role group #{}", group.id),
            permissions(&group.permissions),
        ]);
    }
    table.print();
    Ok(Outcome::Done)
}

fn permissions(permissions: &[Permission]) -> String {
    if permissions.is_empty() {
        return "(none)".to_owned();
    }
    permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn set(
    options: &GlobalOptions,
    client: &PortalClient,
    args: SetArgs,
) -> anyhow::Result<Outcome> {
    let (change, group_name) = match (&args.group, args.no_group) {
        (Some(name), _) => {
            let roles = client.roles().await?;
            let (id, name) = find_group(&roles, name)?;
            let change = SetRole {
                role: args.role,
                role_group_id: Some(Some(id)),
            };
            (change, Some(name))
        }
        (None, true) => {
            let change = SetRole {
                role: args.role,
                role_group_id: Some(None),
            };
            (change, None)
        }
        // The portal keeps the group when the request leaves it out.
        (None, false) => (SetRole::keeping_group(args.role), None),
    };
    let user = client.lookup_user(args.email.trim()).await?;
    let updated = client.set_role(user.id, &change).await?;
    let mut message = format!("{} is now {}", updated.email, article(updated.role));
    match (group_name, args.no_group) {
        (Some(name), _) => message.push_str(&format!(" in role group {name}")),
        (None, true) => message.push_str(", in no role group"),
        (None, false) => {}
    }
    message.push('.');
    output::done(options, &message, &updated)?;
    Ok(Outcome::Done)
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Administrator => "an administrator",
        Role::User => "a standard user",
    }
}

fn find_group(roles: &Roles, name: &str) -> anyhow::Result<(i64, String)> {
    let wanted = name.trim().to_lowercase();
    roles
        .groups
        .iter()
        .find(|g| g.name.trim().to_lowercase() == wanted)
        .map(|g| (g.id, g.name.clone()))
        .ok_or_else(|| {
            let known: Vec<&str> = roles.groups.iter().map(|g| g.name.as_str()).collect();
            let known = if known.is_empty() {
                "the account has no role groups".to_owned()
            } else {
                format!("the account's groups are: {}", known.join(", "))
            };
            UsageError(format!(
                "--group: there is no role group named \"{}\"; {known}",
                name.trim()
            ))
            .into()
        })
}
