//! `sxadmin roles`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct RolesArgs {}

pub async fn run(_options: &GlobalOptions, _args: RolesArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}
