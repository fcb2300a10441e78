//! `sxadmin licences`.

use clap::Args;

use super::{GlobalOptions, Outcome};

#[derive(Debug, Args)]
pub struct LicencesArgs {}

pub async fn run(_options: &GlobalOptions, _args: LicencesArgs) -> anyhow::Result<Outcome> {
    Err(super::UsageError("not available yet".into()).into())
}
