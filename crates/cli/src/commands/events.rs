//! `sxadmin events`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct EventsArgs {}

pub async fn run(_options: &GlobalOptions, _args: EventsArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}
