//! `sxadmin licences`.

use clap::{Args, Subcommand};
use serde::Serialize;
use sxadmin_client::PortalClient;
use sxadmin_core::{Id, Licence, LicencePool, LicenceTier, User};

use super::output::{self, Table};
use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct LicencesArgs {
    #[command(subcommand)]
    command: LicencesCommand,
}

#[derive(Debug, Subcommand)]
enum LicencesCommand {
    /// Show the pool (purchased / assigned / available per tier) and every licence.
    List,
    /// Give a user without a licence one of the tier from the pool.
    Assign {
        /// The user's e-mail address.
        email: String,
        /// `eco`, `advanced` or `pro`.
        #[arg(value_parser = parse_tier)]
        tier: LicenceTier,
    },
    /// Upgrade or downgrade a user's licence; their logs are kept.
    Change {
        /// The user's e-mail address.
        email: String,
        /// `eco`, `advanced` or `pro`.
        #[arg(value_parser = parse_tier)]
        tier: LicenceTier,
    },
    /// Take a user's licence back to the pool. Deletes the user's message logs.
    Unassign {
        /// The user's e-mail address.
        email: String,
    },
    /// Move a licence to a user who has none. Deletes the previous holder's message logs.
    Transfer {
        /// The current holder's e-mail address.
        from: String,
        /// The receiving user's e-mail address.
        to: String,
    },
    /// Buy licences of a tier into the pool.
    Buy {
        /// `eco`, `advanced` or `pro`.
        #[arg(value_parser = parse_tier)]
        tier: LicenceTier,
        /// How many, 1 to 1000.
        #[arg(value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
    },
    /// Remove an unassigned licence from the account for good.
    Remove {
        /// The licence's number, as `sxadmin licences list` shows it.
        id: Id,
    },
}

/// Accepts the words a CSV file may use (English or French, any case or accents).
pub fn parse_tier(text: &str) -> Result<LicenceTier, String> {
    sxadmin_core::csv::parse_licence(text)
        .ok_or_else(|| format!("\"{text}\" is not a licence tier; use `eco`, `advanced` or `pro`"))
}

pub async fn run(options: &GlobalOptions, args: LicencesArgs) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    match args.command {
        LicencesCommand::List => list(options, &client).await,
        LicencesCommand::Assign { email, tier } => assign(options, &client, &email, tier).await,
        LicencesCommand::Change { email, tier } => change(options, &client, &email, tier).await,
        LicencesCommand::Unassign { email } => unassign(options, &client, &email).await,
        LicencesCommand::Transfer { from, to } => transfer(options, &client, &from, &to).await,
        LicencesCommand::Buy { tier, count } => buy(options, &client, tier, count).await,
        LicencesCommand::Remove { id } => remove(options, &client, id).await,
    }
}

#[derive(Serialize)]
struct Listing {
    pool: LicencePool,
    licences: Vec<Licence>,
}

async fn list(options: &GlobalOptions, client: &PortalClient) -> anyhow::Result<Outcome> {
    let pool = client.licence_pool().await?;
    let licences = client.list_licences().await?;
    if options.json {
        output::print_json(&Listing { pool, licences })?;
        return Ok(Outcome::Done);
    }
    pool_table(&pool).print();
    println!();
    let mut table = Table::new(&["ID", "TIER", "HOLDER", "PURCHASED", "ASSIGNED"]);
    for licence in &licences {
        table.row(vec![
            licence.id.to_string(),
            licence.tier.to_string(),
            licence
                .user_email
                .clone()
                .unwrap_or_else(|| "(available)".to_owned()),
            output::time(licence.purchased_at),
            licence
                .assigned_at
                .map(output::time)
                .unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    if table.is_empty() {
        println!("No licences yet; buy some with `sxadmin licences buy TIER COUNT`.");
    } else {
        table.print();
    }
    Ok(Outcome::Done)
}

fn pool_table(pool: &LicencePool) -> Table {
    let mut table = Table::new(&["TIER", "PURCHASED", "ASSIGNED", "AVAILABLE"]);
    for tier in &pool.tiers {
        table.row(vec![
            tier.tier.to_string(),
            tier.purchased.to_string(),
            tier.assigned.to_string(),
            tier.available.to_string(),
        ]);
    }
    table
}

async fn assign(
    options: &GlobalOptions,
    client: &PortalClient,
    email: &str,
    tier: LicenceTier,
) -> anyhow::Result<Outcome> {
    let user = client.lookup_user(email.trim()).await?;
    let user = client.assign_licence(user.id, tier).await?;
    output::done(
        options,
        &format!("Assigned a {tier} licence to {}.", user.email),
        &user,
    )?;
    Ok(Outcome::Done)
}

/// Changing a tier keeps the holder's logs, so unlike unassign and transfer it asks nothing.
async fn change(
    options: &GlobalOptions,
    client: &PortalClient,
    email: &str,
    tier: LicenceTier,
) -> anyhow::Result<Outcome> {
    let user = client.lookup_user(email.trim()).await?;
    let before = user.licence.as_ref().map(|l| l.tier);
    let user = client.change_licence(user.id, tier).await?;
    let message = match before {
        Some(old) if old == tier => format!("{} already holds a {tier} licence.", user.email),
        Some(old) => format!(
            "Changed {}'s licence from {old} to {tier}; their logs are kept and the {old} \
             licence is back in the pool.",
            user.email
        ),
        None => format!("{} now holds a {tier} licence.", user.email),
    };
    output::done(options, &message, &user)?;
    Ok(Outcome::Done)
}

async fn unassign(
    options: &GlobalOptions,
    client: &PortalClient,
    email: &str,
) -> anyhow::Result<Outcome> {
    let user = client.lookup_user(email.trim()).await?;
    let Some(held) = user.licence.clone() else {
        anyhow::bail!(
            "{} holds no licence; there is nothing to unassign",
            user.email
        );
    };
    output::confirm(
        options,
        &format!(
            "Unassigning {}'s {} licence returns it to the pool and permanently deletes {}. \
             Deleted logs cannot be recovered; the audit log keeps every event. (To keep the \
             logs, change the tier with `sxadmin licences change` instead.)",
            user.email,
            held.tier,
            message_logs(&user)
        ),
    )?;
    let unassigned = client.unassign_licence(user.id, true).await?;
    output::done(
        options,
        &format!(
            "Unassigned {}'s {} licence; it is back in the pool. {} of {}'s message log \
             entries were deleted.",
            unassigned.user.email, held.tier, unassigned.logs_deleted, unassigned.user.email
        ),
        &unassigned,
    )?;
    Ok(Outcome::Done)
}

async fn transfer(
    options: &GlobalOptions,
    client: &PortalClient,
    from: &str,
    to: &str,
) -> anyhow::Result<Outcome> {
    let giver = client.lookup_user(from.trim()).await?;
    let receiver = client.lookup_user(to.trim()).await?;
    // Refused here too, so that nobody is asked to confirm a transfer that cannot happen.
    let Some(held) = giver.licence.clone() else {
        anyhow::bail!(
            "{} holds no licence; there is nothing to transfer",
            giver.email
        );
    };
    if giver.id == receiver.id {
        return Err(super::UsageError(format!(
            "{} already holds this licence; name another user to transfer it to",
            giver.email
        ))
        .into());
    }
    if let Some(theirs) = &receiver.licence {
        anyhow::bail!(
            "{} already holds a {} licence; a licence can only go to a user without one \
             (unassign theirs first)",
            receiver.email,
            theirs.tier
        );
    }
    output::confirm(
        options,
        &format!(
            "Transferring {}'s {} licence to {} permanently deletes {}. Deleted logs cannot be \
             recovered; the audit log keeps every event.",
            giver.email,
            held.tier,
            receiver.email,
            message_logs(&giver)
        ),
    )?;
    let transferred = client.transfer_licence(giver.id, receiver.id, true).await?;
    output::done(
        options,
        &format!(
            "Transferred the {} licence from {} to {}. {} of {}'s message log entries were \
             deleted.",
            held.tier,
            transferred.from.email,
            transferred.to.email,
            transferred.logs_deleted,
            transferred.from.email
        ),
        &transferred,
    )?;
    Ok(Outcome::Done)
}

async fn buy(
    options: &GlobalOptions,
    client: &PortalClient,
    tier: LicenceTier,
    count: u32,
) -> anyhow::Result<Outcome> {
    let bought = client.purchase_licences(tier, count).await?;
    let available = client
        .licence_pool()
        .await
        .ok()
        .and_then(|pool| pool.tier(tier).map(|t| t.available));
    let mut message = format!(
        "Bought {} {tier} licence{}.",
        bought.len(),
        if bought.len() == 1 { "" } else { "s" }
    );
    if let Some(available) = available {
        message.push_str(&format!(" {available} {tier} available in the pool."));
    }
    output::done(options, &message, &bought)?;
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct Removed<'a> {
    removed: &'a Licence,
}

async fn remove(options: &GlobalOptions, client: &PortalClient, id: Id) -> anyhow::Result<Outcome> {
    let licences = client.list_licences().await?;
    let Some(licence) = licences.iter().find(|l| l.id == id) else {
        anyhow::bail!("the account has no licence #{id}; `sxadmin licences list` shows them");
    };
    if let Some(holder) = &licence.user_email {
        anyhow::bail!(
            "licence #{id} is assigned to {holder}; unassign it first with `sxadmin licences \
             unassign {holder}`"
        );
    }
    output::confirm(
        options,
        &format!(
            "Removing {} licence #{id} deletes it from the account for good; a removed licence \
             cannot be recovered.",
            licence.tier
        ),
    )?;
    client.remove_licence(id).await?;
    output::done(
        options,
        &format!("Removed {} licence #{id} from the account.", licence.tier),
        &Removed { removed: licence },
    )?;
    Ok(Outcome::Done)
}

/// What unassigning or transferring deletes: the holder's message logs. The audit log
/// (what they did, and what was done to them) is append-only and is not part of them.
fn message_logs(user: &User) -> String {
    format!("{}'s message logs", user.email)
}
