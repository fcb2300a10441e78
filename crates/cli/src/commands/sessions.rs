//! `sxadmin sessions`: the signed-in user's own sign-ins and personal API tokens.

use clap::{Args, Subcommand};
use serde::Serialize;
use sxadmin_client::PortalClient;
use sxadmin_core::{Session, SessionKind};

use super::output::{self, Table};
use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    command: SessionsCommand,
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// List your sign-ins and personal API tokens that still work (never the tokens).
    List,
    /// End one of them at once: its tokens stop working.
    Revoke {
        /// The session's id as listed, or enough of its start to name only one.
        id: String,
    },
}

pub async fn run(options: &GlobalOptions, args: SessionsArgs) -> anyhow::Result<Outcome> {
    if let SessionsCommand::Revoke { id } = &args.command {
        check_id(id)?;
    }
    let client = super::connect::client(options).await?;
    match args.command {
        SessionsCommand::List => list(options, &client).await,
        SessionsCommand::Revoke { id } => revoke(options, &client, id.trim()).await,
    }
}

/// Ids are URL-safe base64; anything else is a typo, reported before going online.
fn check_id(id: &str) -> anyhow::Result<()> {
    let id = id.trim();
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(());
    }
    Err(UsageError(format!(
        "\"{id}\" is not a session id; copy one from `sxadmin sessions list`"
    ))
    .into())
}

fn kind(session: &Session) -> &'static str {
    match session.kind {
        SessionKind::SignIn => "sign-in",
        SessionKind::PersonalToken => "personal token",
    }
}

async fn list(options: &GlobalOptions, client: &PortalClient) -> anyhow::Result<Outcome> {
    let sessions = client.sessions().await?;
    if options.json {
        output::print_json(&sessions)?;
        return Ok(Outcome::Done);
    }
    let mut table = Table::new(&[
        "ID",
        "KIND",
        "CLIENT",
        "CREATED",
        "LAST USED",
        "EXPIRES",
        "",
    ]);
    for session in &sessions {
        table.row(vec![
            session.id.clone(),
            kind(session).to_owned(),
            session.client.clone(),
            output::time(session.created_at),
            session
                .last_used_at
                .map(output::time)
                .unwrap_or_else(|| "-".to_owned()),
            session
                .expires_at
                .map(output::time)
                .unwrap_or_else(|| "never".to_owned()),
            if session.current { "this one" } else { "" }.to_owned(),
        ]);
    }
    if table.is_empty() {
        println!("No sessions.");
    } else {
        table.print();
    }
    Ok(Outcome::Done)
}

/// The one session `id` names, exactly or by the start of its id.
fn find<'a>(sessions: &'a [Session], id: &str) -> anyhow::Result<&'a Session> {
    if let Some(exact) = sessions.iter().find(|s| s.id == id) {
        return Ok(exact);
    }
    let matching: Vec<&Session> = sessions.iter().filter(|s| s.id.starts_with(id)).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(UsageError(format!(
            "no session {id}; `sxadmin sessions list` shows the ones that still work"
        ))
        .into()),
        several => Err(UsageError(format!(
            "{id} starts {} session ids; give more of the id",
            several.len()
        ))
        .into()),
    }
}

#[derive(Serialize)]
struct Revoked<'a> {
    revoked: &'a Session,
}

async fn revoke(
    options: &GlobalOptions,
    client: &PortalClient,
    id: &str,
) -> anyhow::Result<Outcome> {
    let sessions = client.sessions().await?;
    let session = find(&sessions, id)?;
    if session.current {
        output::confirm(
            options,
            "This is the session this command runs in: ending it signs you out here.",
        )?;
    }
    client.revoke_session(&session.id).await?;
    output::done(
        options,
        &format!(
            "Ended the {} of {} ({}); its tokens no longer work.",
            kind(session),
            output::time(session.created_at),
            session.client
        ),
        &Revoked { revoked: session },
    )?;
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::check_id;

    #[test]
    fn only_url_safe_ids_are_sent() {
        assert!(check_id("pAbc-_09").is_ok());
        assert!(check_id(" pAbc ").is_ok());
        assert!(check_id("").is_err());
        assert!(check_id("../users").is_err());
        assert!(check_id("a b").is_err());
    }
}
