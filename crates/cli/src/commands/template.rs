//! `sxadmin template [-o FILE]`: the template an import expects. `-o users.xlsx` writes the
//! Excel workbook (drop-down lists, a guide sheet); any other name, or standard output,
//! gets the CSV header line.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Write the template to this file instead of standard output: an Excel workbook
    /// when the name ends in .xlsx, CSV otherwise.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: TemplateArgs) -> anyhow::Result<()> {
    match args.output {
        Some(path) => {
            if path.exists() {
                return Err(super::UsageError(format!(
                    "{} already exists; choose another file name or delete it first",
                    path.display()
                ))
                .into());
            }
            let (bytes, kind) = if is_xlsx(&path) {
                let bytes = sxadmin_core::workbook::template_xlsx()
                    .context("cannot build the workbook template")?;
                (bytes, "Excel template (see its Guide sheet)")
            } else {
                (sxadmin_core::csv::template().into_bytes(), "CSV template")
            };
            std::fs::write(&path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("{kind} written to {}", path.display());
        }
        None => print!("{}", sxadmin_core::csv::template()),
    }
    Ok(())
}

fn is_xlsx(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("xlsx"))
}
