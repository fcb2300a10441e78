//! `--dry-run`: the plan against the portal, and what it means for the licences, said
//! before anything is written.

use std::path::Path;

use serde::Serialize;
use sxadmin_core::csv::plan::{ActionKind, ImportPlan, Removal, RemovalKind, Safeguard, Summary};
use sxadmin_core::csv::IssueCode;

use crate::commands::{GlobalOptions, Outcome};

#[derive(Serialize)]
struct PlanReport<'a> {
    summary: &'a Summary,
    rows: Vec<PlanRow<'a>>,
    /// Every user the import would disable or delete, with what a deletion loses.
    removals: &'a [Removal],
    safeguard: &'a Safeguard,
}

#[derive(Serialize)]
struct PlanRow<'a> {
    line: u64,
    email: &'a str,
    action: ActionKind,
    errors: Vec<RowError<'a>>,
}

#[derive(Serialize)]
struct RowError<'a> {
    column: Option<&'a str>,
    code: IssueCode,
    message: &'a str,
}

pub fn dry_run(options: &GlobalOptions, file: &Path, plan: &ImportPlan) -> anyhow::Result<Outcome> {
    if options.json {
        let report = PlanReport {
            summary: &plan.summary,
            rows: plan
                .rows
                .iter()
                .map(|row| PlanRow {
                    line: row.line,
                    email: &row.email,
                    action: row.action.kind(),
                    errors: row
                        .issues
                        .iter()
                        .map(|issue| RowError {
                            column: issue.column.as_deref(),
                            code: issue.code,
                            message: &issue.message,
                        })
                        .collect(),
                })
                .collect(),
            removals: &plan.removals,
            safeguard: &plan.safeguard,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let summary = &plan.summary;
        println!(
            "{}: {} rows — {} to create, {} to update, {} unchanged, {} with errors",
            file.display(),
            summary.rows,
            summary.create,
            summary.update,
            summary.unchanged,
            summary.error
        );
        if summary.disable + summary.delete > 0 {
            println!(
                "  and {} to disable, {} to delete (listed below)",
                summary.disable, summary.delete
            );
        }
        for row in &plan.rows {
            for issue in &row.issues {
                println!("  {issue} [{}]", issue.code);
            }
        }
        print_removals(plan);
        print_plan_warnings(options, plan);
        if let Some(refusal) = plan.safeguard.refusal() {
            println!(
                "Refused as it stands: {refusal} (--max-removals {}).",
                plan.safeguard.removals
            );
        }
        println!("Nothing was changed (dry run).");
    }
    Ok(if plan.summary.error == 0 && !plan.safeguard.exceeded {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

/// Licences the pool cannot cover and findings across rows, said before anything is sent.
pub fn print_plan_warnings(options: &GlobalOptions, plan: &ImportPlan) {
    if options.json {
        return;
    }
    for line in licence_warnings(plan) {
        eprintln!("warning: {line}");
    }
    for finding in &plan.findings {
        // Said above, with the command that fixes it.
        if !matches!(
            finding.code,
            IssueCode::LicencesExhausted | IssueCode::TooManyRemovals
        ) {
            eprintln!("warning: {}", finding.message);
        }
    }
}

/// Removals shown at most: `--json` lists every one.
const REMOVALS_SHOWN: usize = 50;

/// The users the import disables or deletes, apart from the other rows, each deletion
/// with what goes with the user.
pub fn print_removals(plan: &ImportPlan) {
    if plan.removals.is_empty() {
        return;
    }
    println!(
        "Removals: {} to disable, {} to delete (of the account's {} users):",
        plan.summary.disable, plan.summary.delete, plan.safeguard.users
    );
    for removal in plan.removals.iter().take(REMOVALS_SHOWN) {
        let from = match removal.line {
            Some(line) => format!("line {line}"),
            None => "not in the file".to_owned(),
        };
        match removal.kind {
            RemovalKind::Disable => println!("  disable {} ({from})", removal.email),
            RemovalKind::Delete => {
                println!("  DELETE {} ({from}): {}", removal.email, removal.loss)
            }
        }
    }
    if plan.removals.len() > REMOVALS_SHOWN {
        println!(
            "  … and {} more (--json lists them all)",
            plan.removals.len() - REMOVALS_SHOWN
        );
    }
}

/// What the plan does with rows beyond the pool: once a tier's licences run out, the
/// later rows that ask for one are refused, so they are not imported at all.
fn licence_warnings(plan: &ImportPlan) -> Vec<String> {
    plan.summary
        .licences
        .iter()
        .filter_map(|demand| {
            let usable = usize::try_from(demand.available).unwrap_or(0);
            let short = demand.needed.checked_sub(usable).filter(|&n| n > 0)?;
            let tier = demand.tier.as_str();
            let (left_out, those) = if short == 1 {
                (
                    "row (the last in the file that asks for one) will not be imported",
                    "that row",
                )
            } else {
                (
                    "rows (the last in the file that ask for one) will not be imported",
                    "those rows",
                )
            };
            Some(format!(
                "{needed} {ask} for a {tier} licence and {usable} {are} available, so {short} \
                 {left_out}: buy {short} more with `sxadmin licences buy {tier} {short}`, or \
                 empty the licence cell of {those}, then import again",
                needed = demand.needed,
                ask = if demand.needed == 1 {
                    "row asks"
                } else {
                    "rows ask"
                },
                are = if usable == 1 { "is" } else { "are" },
            ))
        })
        .collect()
}
