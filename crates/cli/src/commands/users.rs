//! `sxadmin users`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct UsersArgs {}

pub async fn run(_options: &GlobalOptions, _args: UsersArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}
