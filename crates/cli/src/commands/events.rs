//! `sxadmin events`.

use std::io::Write;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sxadmin_client::EventRange;

use super::output::{self, Table};
use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The user whose log to read: what they did and what was done to them.
    email: String,
    /// First day to include, as YYYY-MM-DD.
    #[arg(long)]
    from: Option<String>,
    /// Last day to include (the whole day), as YYYY-MM-DD.
    #[arg(long)]
    to: Option<String>,
    /// `table` (the default, or JSON with --json), `json`, or `csv` for a spreadsheet.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// At most this many of the newest events (the portal's default is 1000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    limit: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

pub async fn run(options: &GlobalOptions, args: EventsArgs) -> anyhow::Result<Outcome> {
    // Checked before connecting, so that a typo is reported the same way online or not.
    if let Some(from) = &args.from {
        check_date("--from", from)?;
    }
    if let Some(to) = &args.to {
        check_date("--to", to)?;
    }
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        // Valid YYYY-MM-DD strings sort like the dates they name.
        if from.trim() > to.trim() {
            return Err(UsageError(format!(
                "--from {} is after --to {}; swap them or widen the range",
                from.trim(),
                to.trim()
            ))
            .into());
        }
    }
    let format = match args.format {
        Some(format) => format,
        None if options.json => Format::Json,
        None => Format::Table,
    };
    let client = super::connect::client(options).await?;
    let user = client.lookup_user(args.email.trim()).await?;
    let range = EventRange {
        user_id: Some(user.id),
        from: args.from.map(|d| d.trim().to_owned()),
        to: args.to.map(|d| d.trim().to_owned()),
        limit: args.limit,
    };
    match format {
        Format::Csv => {
            let bytes = client.events_csv(&range).await?;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .context("cannot write the CSV to standard output")?;
        }
        Format::Json => output::print_json(&client.events(&range).await?)?,
        Format::Table => {
            let events = client.events(&range).await?;
            if events.is_empty() {
                println!("No events for {} in that range.", user.email);
                return Ok(Outcome::Done);
            }
            let mut table = Table::new(&["WHEN", "BY", "ACTION", "TARGET", "CLIENT", "DETAILS"]);
            for event in &events {
                table.row(vec![
                    output::time(event.at),
                    event.actor_email.clone().unwrap_or_else(|| "-".to_owned()),
                    event.action.clone(),
                    event.target.clone().unwrap_or_else(|| "-".to_owned()),
                    event.client.clone(),
                    details(&event.details),
                ]);
            }
            table.print();
        }
    }
    Ok(Outcome::Done)
}

fn details(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::Object(map) if map.is_empty() => "-".to_owned(),
        other => other.to_string(),
    }
}

/// A calendar date written YYYY-MM-DD, checked here so that the administrator learns which
/// option is wrong and how to write it.
fn check_date(option: &str, text: &str) -> anyhow::Result<()> {
    if is_date(text.trim()) {
        return Ok(());
    }
    Err(UsageError(format!(
        "{option}: \"{text}\" is not a date; write it as YYYY-MM-DD, for example 2026-01-31"
    ))
    .into())
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn only_real_calendar_dates_pass() {
        assert!(is_date("2026-01-31"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("1900-02-29"));
        assert!(is_date("2000-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-04-31"));
        assert!(!is_date("2026-1-31"));
        assert!(!is_date("31/01/2026"));
        assert!(!is_date("2026-01-31T00:00:00Z"));
        assert!(!is_date("+026-01-31"));
        assert!(!is_date(""));
    }
}
