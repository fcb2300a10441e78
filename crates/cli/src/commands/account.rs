//! `sxadmin login`, `logout` and `whoami`.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;
use sxadmin_client::folders::Settings;
use sxadmin_client::secrets::Keychain;
use sxadmin_client::session::{self, Session, SignedOut};
use sxadmin_client::signin::{self, DeviceCode, SignInError};

use super::connect::{self, CLIENT_ID};
use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in with a code entered on another device (RFC 8628) instead of the browser.
    #[arg(long)]
    device: bool,
}

#[derive(Serialize)]
struct Identity<'a> {
    portal: &'a str,
    email: &'a str,
    name: String,
    role: &'a str,
    account: &'a str,
}

pub async fn login(options: &GlobalOptions, args: LoginArgs) -> anyhow::Result<Outcome> {
    let portal = connect::portal(options)?;
    let keychain = Arc::new(Keychain::default());
    let session = if args.device {
        device(portal, keychain).await?
    } else {
        let opened = Session::sign_in(portal.clone(), CLIENT_ID, keychain.clone(), |url| {
            let opened = signin::open_in_browser(url);
            if opened.is_ok() {
                eprintln!("Opening your browser to sign in to {}.", portal.as_str());
                eprintln!("If it does not open, go to this address: {url}");
            }
            opened
        })
        .await;
        match opened {
            Ok(session) => session,
            Err(SignInError::Browser(reason, _)) => {
                eprintln!("No browser could be opened ({reason}); signing in with a code instead.");
                device(portal, keychain).await?
            }
            Err(other) => return Err(other.into()),
        }
    };
    let folders = connect::folders()?;
    let mut settings = Settings::load(&folders);
    settings.portal_url = Some(session.portal().as_str().to_owned());
    settings.save(&folders)?;
    let client = session.client().await?;
    let me = client.me().await?;
    print_identity(options, session.portal().as_str(), &me)?;
    Ok(Outcome::Done)
}

async fn device(
    portal: sxadmin_client::PortalUrl,
    keychain: Arc<Keychain>,
) -> Result<Session, SignInError> {
    Session::sign_in_with_device(portal, CLIENT_ID, keychain, |code: &DeviceCode| {
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "To sign in, open {} on any device and enter the code {}",
            code.verification_uri, code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            let _ = writeln!(err, "(or open {complete})");
        }
        let _ = writeln!(
            err,
            "The code is valid for {} minutes. Waiting for you to finish…",
            code.expires_in / 60
        );
    })
    .await
}

pub async fn logout(options: &GlobalOptions) -> anyhow::Result<Outcome> {
    let portal = connect::portal(options)?;
    let portal_name = portal.as_str();
    match session::sign_out(&portal, CLIENT_ID, &Keychain::default()).await? {
        SignedOut::Revoked => eprintln!("Signed out of {portal_name}."),
        SignedOut::ForgottenOnly(reason) => eprintln!(
            "Signed out of {portal_name} on this computer; the portal could not be told \
             ({reason})."
        ),
        SignedOut::NotSignedIn => eprintln!("Not signed in to {portal_name}; nothing to do."),
    }
    Ok(Outcome::Done)
}

pub async fn whoami(options: &GlobalOptions) -> anyhow::Result<Outcome> {
    let client = connect::client(options).await?;
    let me = client.me().await?;
    print_identity(options, client.url().as_str(), &me)?;
    Ok(Outcome::Done)
}

fn print_identity(
    options: &GlobalOptions,
    portal: &str,
    me: &sxadmin_core::Me,
) -> anyhow::Result<()> {
    let name = format!("{} {}", me.user.first_name, me.user.last_name)
        .trim()
        .to_owned();
    if options.json {
        let identity = Identity {
            portal: portal.trim_end_matches('/'),
            email: &me.user.email,
            name,
            role: me.user.role.as_str(),
            account: &me.account.name,
        };
        println!("{}", serde_json::to_string_pretty(&identity)?);
    } else {
        println!(
            "Signed in as {} ({}) of {}, on {}",
            me.user.email,
            me.user.role.as_str(),
            me.account.name,
            portal.trim_end_matches('/')
        );
    }
    Ok(())
}
