//! Readable tables for people, JSON for scripts, and the confirmation asked before anything
//! is lost for good.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use serde::Serialize;

use super::{GlobalOptions, UsageError};

/// Columns aligned on the widest cell, measured in characters so that accented names
/// (Léa, Côté) line up as well as plain ones.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty and extra cells are dropped, so a short row can
    /// never shift the columns.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = cells.get(index).map(String::as_str).unwrap_or("");
                // Control characters from the portal (a newline in a name) would break the
                // layout, so they print as spaces.
                let cell: String = cell
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                text.push_str(&cell);
                if index + 1 < columns {
                    let pad = width.saturating_sub(cell.chars().count()) + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.headers);
        for row in &self.rows {
            line(row);
        }
        out
    }

    pub fn print(&self) {
        print!("{}", self.render());
    }
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot write the answer as JSON")?;
    println!("{text}");
    Ok(())
}

/// Reports a finished change. With `--json` stdout carries only the JSON, so that scripts
/// can parse it, and the sentence goes to stderr.
pub fn done<T: Serialize + ?Sized>(
    options: &GlobalOptions,
    message: &str,
    value: &T,
) -> anyhow::Result<()> {
    if options.json {
        eprintln!("{message}");
        print_json(value)
    } else {
        println!("{message}");
        Ok(())
    }
}

/// Asks before something is lost for good. `warning` says exactly what will be lost.
///
/// `--yes` answers for the user. Without it, a run with no terminal on stdin (a script, a
/// scheduled job) is refused at once rather than left waiting for an answer nobody can give.
/// Declining is an error so that nothing after it runs and the exit code says so.
pub fn confirm(options: &GlobalOptions, warning: &str) -> anyhow::Result<()> {
    if options.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "{warning}\nNothing was changed: this needs a confirmation and there is no terminal \
             to ask on; pass --yes to confirm."
        ))
        .into());
    }
    let mut stderr = std::io::stderr();
    // Failing to show the prompt must not count as consent, so errors here stop the command.
    write!(stderr, "{warning}\nContinue? [y/N] ").context("cannot write the prompt")?;
    stderr.flush().context("cannot write the prompt")?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if accepts(&answer) {
        Ok(())
    } else {
        anyhow::bail!("not confirmed; nothing was changed")
    }
}

fn accepts(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// Times in tables: to the second, in UTC as the portal keeps them. Takes the displayed
/// form so that this crate needs no date library of its own.
pub fn time(at: impl std::fmt::Display) -> String {
    let text = at.to_string();
    let text = text.strip_suffix(" UTC").unwrap_or(&text);
    let whole_seconds = text.split('.').next().unwrap_or(text);
    format!("{whole_seconds} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_characters() {
        let mut table = Table::new(&["EMAIL", "NAME"]);
        table.row(vec!["lea.roy@demo.example".into(), "Léa Roy".into()]);
        table.row(vec!["a@b.c".into(), "Liam Côté".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "EMAIL                 NAME");
        assert_eq!(lines[1], "lea.roy@demo.example  Léa Roy");
        assert_eq!(lines[2], "a@b.c                 Liam Côté");
    }

    #[test]
    fn short_rows_and_control_characters_keep_the_layout() {
        let mut table = Table::new(&["A", "B", "C"]);
        table.row(vec!["x\ny".into()]);
        assert_eq!(table.render(), "A    B  C\nx y\n");
    }

    #[test]
    fn only_yes_is_consent() {
        assert!(accepts("y\n"));
        assert!(accepts(" YES \r\n"));
        assert!(!accepts(""));
        assert!(!accepts("no"));
        assert!(!accepts("yess"));
    }

    #[test]
    fn times_drop_fractions_of_a_second() {
        assert_eq!(
            time("2026-01-31 08:00:00.123456 UTC"),
            "2026-01-31 08:00:00 UTC"
        );
        assert_eq!(time("2026-01-31 08:00:00 UTC"), "2026-01-31 08:00:00 UTC");
    }
}
