//! `sxadmin domains`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct DomainsArgs {}

pub async fn run(_options: &GlobalOptions, _args: DomainsArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}
