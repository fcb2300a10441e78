//! `sxadmin login`, `logout` and `whoami`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in with a code entered on another device (RFC 8628) instead of the browser.
    #[arg(long)]
    device: bool,
}

pub async fn login(_options: &GlobalOptions, _args: LoginArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}

pub async fn logout(_options: &GlobalOptions) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}

pub async fn whoami(options: &GlobalOptions) -> anyhow::Result<Outcome> {
    let client = super::connect::client(options).await?;
    let me = client.me().await?;
    println!("{} ({})", me.user.email, me.account.name);
    Ok(Outcome::Done)
}
