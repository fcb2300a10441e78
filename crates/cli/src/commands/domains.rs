//! `sxadmin domains`.

use clap::{Args, Subcommand};
use serde::Serialize;
use sxadmin_client::PortalClient;
use sxadmin_core::{rules, Domain, DomainStatus};

use super::output::{self, Table};
use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct DomainsArgs {
    #[command(subcommand)]
    command: DomainsCommand,
}

#[derive(Debug, Subcommand)]
enum DomainsCommand {
    /// List the account's domains, approved or waiting for their DNS record.
    List,
    /// Ask for a domain; prints the DNS TXT record to publish before verifying it.
    Add {
        /// The domain, for example example.com.
        name: String,
    },
    /// Check the domain's DNS TXT record and approve the domain.
    Verify {
        /// The domain, as listed.
        name: String,
    },
    /// Remove a domain from the account.
    Remove {
        /// The domain, as listed.
        name: String,
    },
}

pub async fn run(options: &GlobalOptions, args: DomainsArgs) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    match args.command {
        DomainsCommand::List => list(options, &client).await,
        DomainsCommand::Add { name } => add(options, &client, &name).await,
        DomainsCommand::Verify { name } => verify(options, &client, &name).await,
        DomainsCommand::Remove { name } => remove(options, &client, &name).await,
    }
}

async fn list(options: &GlobalOptions, client: &PortalClient) -> anyhow::Result<Outcome> {
    let domains = client.list_domains().await?;
    if options.json {
        output::print_json(&domains)?;
        return Ok(Outcome::Done);
    }
    let mut table = Table::new(&["DOMAIN", "STATUS", "REQUESTED", "APPROVED", "TXT RECORD"]);
    for domain in &domains {
        table.row(vec![
            domain.name.clone(),
            domain.status.to_string(),
            output::time(domain.requested_at),
            domain
                .approved_at
                .map(output::time)
                .unwrap_or_else(|| "-".to_owned()),
            match domain.status {
                // Only a pending domain still needs its record published.
                DomainStatus::Pending => {
                    format!("{} = {}", domain.txt_record_name, domain.txt_record_value)
                }
                DomainStatus::Approved => "-".to_owned(),
            },
        ]);
    }
    if table.is_empty() {
        println!("No domains yet; add one with `sxadmin domains add NAME`.");
    } else {
        table.print();
    }
    Ok(Outcome::Done)
}

async fn add(
    options: &GlobalOptions,
    client: &PortalClient,
    name: &str,
) -> anyhow::Result<Outcome> {
    let domain = client.request_domain(&normalize(name)?).await?;
    let message = format!(
        "Requested {name}. Publish this DNS TXT record, then run `sxadmin domains verify {name}`:\n  \
         name:  {record}\n  value: {value}",
        name = domain.name,
        record = domain.txt_record_name,
        value = domain.txt_record_value,
    );
    output::done(options, &message, &domain)?;
    Ok(Outcome::Done)
}

async fn verify(
    options: &GlobalOptions,
    client: &PortalClient,
    name: &str,
) -> anyhow::Result<Outcome> {
    let domain = find(client, name).await?;
    if domain.status == DomainStatus::Approved {
        output::done(
            options,
            &format!("{} is already approved.", domain.name),
            &domain,
        )?;
        return Ok(Outcome::Done);
    }
    let domain = client.verify_domain(domain.id).await?;
    output::done(
        options,
        &format!(
            "Approved {}: users with @{} addresses can now be added.",
            domain.name, domain.name
        ),
        &domain,
    )?;
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct Removed<'a> {
    removed: &'a Domain,
}

async fn remove(
    options: &GlobalOptions,
    client: &PortalClient,
    name: &str,
) -> anyhow::Result<Outcome> {
    let domain = find(client, name).await?;
    let warning = match domain.status {
        DomainStatus::Approved => format!(
            "Removing {name} means no new user with an @{name} address can be added until the \
             domain is requested and verified again with a new DNS record. Existing users are \
             kept.",
            name = domain.name
        ),
        DomainStatus::Pending => format!(
            "Removing {} cancels its request; its DNS TXT value stops being valid.",
            domain.name
        ),
    };
    output::confirm(options, &warning)?;
    client.remove_domain(domain.id).await?;
    output::done(
        options,
        &format!("Removed {}.", domain.name),
        &Removed { removed: &domain },
    )?;
    Ok(Outcome::Done)
}

/// Domains are named by people and addressed by id by the portal. Both sides go through
/// core's one normalisation, so `Exemple.Québec.` finds the `exemple.xn--qubec-csa` the
/// portal stored.
async fn find(client: &PortalClient, name: &str) -> anyhow::Result<Domain> {
    let wanted = normalize(name)?;
    let domains = client.list_domains().await?;
    domains
        .into_iter()
        .find(|d| rules::normalize_domain(&d.name).is_ok_and(|stored| stored == wanted))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the account has no domain {}; `sxadmin domains list` shows them, and \
                 `sxadmin domains add {}` asks for it",
                name.trim(),
                name.trim()
            )
        })
}

/// The domain as the portal stores it, or why it is not a domain name.
fn normalize(name: &str) -> Result<String, UsageError> {
    rules::normalize_domain(name).map_err(|e| UsageError(e.to_string()))
}
