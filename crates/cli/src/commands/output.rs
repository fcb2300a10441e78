//! Readable tables for people, JSON for scripts, and the confirmation asked before anything
//! is lost for good.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use serde::Serialize;

use super::{GlobalOptions, UsageError};

/// The command line's one table style: no borders, columns two spaces apart and aligned on
/// the widest cell by display width, so accented names (Léa, Côté) line up as well as plain
/// ones, and nothing wrapped, so a script can still read a row as one line.
#[derive(Debug)]
pub struct Table {
    inner: comfy_table::Table,
    columns: usize,
    rows: usize,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        let mut inner = comfy_table::Table::new();
        inner
            .load_preset(comfy_table::presets::NOTHING)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
            .set_header(headers.iter().map(|header| cell(header)));
        for column in inner.column_iter_mut() {
            column.set_padding((0, 2));
        }
        Table {
            inner,
            columns: headers.len(),
            rows: 0,
        }
    }

    /// Adds a row; missing cells print empty and extra cells are dropped, so a short row can
    /// never shift the columns.
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.columns, String::new());
        self.inner.add_row(cells.iter().map(|text| cell(text)));
        self.rows += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in self.inner.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn print(&self) {
        print!("{}", self.render());
    }
}

/// Control characters from the portal (a newline in a name) would break the layout, so
/// they print as spaces.
fn cell(text: &str) -> comfy_table::Cell {
    let shown: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    comfy_table::Cell::new(shown)
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
    fn wide_characters_take_the_room_they_take_on_screen() {
        let mut table = Table::new(&["NAME", "ROLE"]);
        table.row(vec!["山田".into(), "user".into()]);
        table.row(vec!["Yamada".into(), "user".into()]);
        assert_eq!(table.render(), "NAME    ROLE\n山田    user\nYamada  user\n");
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
