//! `sxadmin template [-o FILE]`: the CSV template an import expects.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Write the template to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: TemplateArgs) -> anyhow::Result<()> {
    let template = sxadmin_core::csv::template();
    match args.output {
        Some(path) => {
            if path.exists() {
                return Err(super::UsageError(format!(
                    "{} already exists; choose another file name or delete it first",
                    path.display()
                ))
                .into());
            }
            std::fs::write(&path, template)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Template written to {}", path.display());
        }
        None => print!("{template}"),
    }
    Ok(())
}
