//! The workbook template: the sheet an administrator fills in, built so that mistakes are
//! hard to make (drop-down lists for the columns with a fixed set of values, the address
//! and name columns stored as text so that nothing is turned into a number or a date),
//! and a second sheet that explains every column and value.
//!
//! The user export writes the same sheet with the users in it, so that an export can be
//! edited and imported again.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatBorder, Workbook, Worksheet,
};

use super::export::ExportError;
use crate::csv::{Column, RowAction, EXPORT_INFO_COLUMNS};
use crate::rules::MAX_NAME_CHARS;

/// The name of the sheet users are written on.
pub const USERS_SHEET: &str = "Users";
/// The name of the sheet that explains the columns.
pub const GUIDE_SHEET: &str = "Guide";

/// Rows the drop-down lists and text formats cover: the whole sheet.
const LAST_ROW: u32 = 1_048_575;

/// The drop-down choices: the English words the export writes, then their French forms.
/// The reader accepts more spellings (see the guide sheet), so the lists warn rather than
/// refuse.
const ROLE_CHOICES: [&str; 4] = ["user", "administrator", "utilisateur", "administrateur"];
const LANGUAGE_CHOICES: [&str; 4] = ["en", "fr", "english", "français"];
const LICENCE_CHOICES: [&str; 6] = [
    "eco",
    "advanced",
    "pro",
    "économique",
    "avancé",
    "professionnel",
];

/// The workbook template: an empty users sheet and the guide. Like the CSV template it has
/// no example row, which a forgetful administrator would import as a real user.
pub fn template_xlsx() -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    users_sheet(sheet, false)?;
    guide_sheet(workbook.add_worksheet())?;
    Ok(workbook.save_to_buffer()?)
}

/// Names the sheet, writes the header, freezes it and sets the columns' formats and
/// drop-down lists. With `export_columns`, the status, group and date-added columns follow.
pub(crate) fn users_sheet(sheet: &mut Worksheet, export_columns: bool) -> Result<(), ExportError> {
    sheet.set_name(USERS_SHEET)?;
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00DD_E6F0))
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let mut headers: Vec<&str> = Column::WITH_ACTION.iter().map(|c| c.as_str()).collect();
    if export_columns {
        headers.extend(EXPORT_INFO_COLUMNS);
    }
    for (index, name) in headers.iter().enumerate() {
        let col = column(index)?;
        sheet.write_string_with_format(0, col, *name, &header)?;
        let width = match *name {
            "email" => 34.0,
            "first_name" | "last_name" | "group" => 18.0,
            _ => 14.0,
        };
        sheet.set_column_width(col, width)?;
    }
    for (index, column_kind) in Column::WITH_ACTION.iter().enumerate() {
        let col = column(index)?;
        match column_kind {
            Column::Email | Column::FirstName | Column::LastName => {
                sheet.set_column_format(col, &text)?;
                if *column_kind != Column::Email {
                    let names = DataValidation::new()
                        .allow_text_length(rust_xlsxwriter::DataValidationRule::LessThanOrEqualTo(
                            u32::try_from(MAX_NAME_CHARS).unwrap_or(u32::MAX),
                        ))
                        .set_error_style(DataValidationErrorStyle::Warning)
                        .set_error_message(format!(
                            "Names are at most {MAX_NAME_CHARS} characters."
                        ))?;
                    sheet.add_data_validation(1, col, LAST_ROW, col, &names)?;
                }
            }
            Column::Role => list(sheet, col, &ROLE_CHOICES, "Role", ROLE_HELP)?,
            Column::Language => list(sheet, col, &LANGUAGE_CHOICES, "Language", LANGUAGE_HELP)?,
            Column::Licence => list(sheet, col, &LICENCE_CHOICES, "Licence", LICENCE_HELP)?,
            Column::Action => {
                let choices: Vec<&str> = RowAction::ALL
                    .iter()
                    .map(|a| a.as_str())
                    .chain(RowAction::ALL.iter().map(|a| a.french()))
                    .collect();
                list(sheet, col, &choices, "Action", ACTION_HELP)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last = column(headers.len().saturating_sub(1))?;
    sheet.autofilter(0, 0, 0, last)?;
    Ok(())
}

const ROLE_HELP: &str = "Empty: a standard user (new users) or the role they have.";
const LANGUAGE_HELP: &str = "Empty: English (new users) or the language they have.";
const LICENCE_HELP: &str =
    "Empty: no licence (new users) or the licence they hold. An empty cell never takes one away.";
const ACTION_HELP: &str = "Empty or keep: create or update the user. disable: they can no \
                           longer sign in. delete: removed for good.";

fn list(
    sheet: &mut Worksheet,
    col: u16,
    choices: &[&str],
    title: &str,
    help: &str,
) -> Result<(), ExportError> {
    let validation = DataValidation::new()
        .allow_list_strings(choices)?
        .set_input_title(title)?
        .set_input_message(help)?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title(title)?
        .set_error_message(format!(
            "Choose from the list ({}); the Guide sheet lists the other spellings accepted.",
            choices.join(", ")
        ))?;
    sheet.add_data_validation(1, col, LAST_ROW, col, &validation)?;
    Ok(())
}

fn column(index: usize) -> Result<u16, ExportError> {
    u16::try_from(index).map_err(|_| ExportError::Workbook("too many columns".into()))
}

/// One line of the guide: the column, whether it must be filled in, what it means, and
/// the values accepted.
const GUIDE: &[(&str, &str, &str, &str)] = &[
    (
        "email",
        "required",
        "The user's e-mail address; it identifies the user, so a row with an address the \
         account has updates that user and any other row creates one. The domain must be \
         approved for the account (Domains); public mail domains such as gmail.com need no \
         approval. Each address once per file.",
        "name@company.com",
    ),
    (
        "first_name",
        "optional",
        "The user's first name, on one line, at most 200 characters. Empty: no first name for \
         a new user, and the name kept for an existing one.",
        "any text",
    ),
    (
        "last_name",
        "optional",
        "The user's last name, as for first_name.",
        "any text",
    ),
    (
        "role",
        "optional",
        "Administrators manage users, domains and licences. Empty: a standard user for a new \
         user, and the role kept for an existing one. The last active administrator cannot \
         be made a standard user.",
        "user, administrator — utilisateur, administrateur, admin, standard",
    ),
    (
        "language",
        "optional",
        "The language of the user's portal and e-mails. Empty: English for a new user, and \
         the language kept for an existing one.",
        "en, fr — english, français, anglais, en-US, fr-CA",
    ),
    (
        "licence",
        "optional",
        "The licence tier to give the user; a licence of that tier must be left in the pool. \
         A user holding another tier is moved to this one. Empty: no licence for a new user, \
         and the licence kept for an existing one (an empty cell never takes a licence away).",
        "eco, advanced, pro — économique, avancé, professionnel",
    ),
    (
        "action",
        "optional",
        "What to do with the user. Empty or keep: create or update them. disable: they can \
         no longer sign in, and keep their licence and logs. delete: they are removed for \
         good and their licence goes back to the pool. You and the last active administrator \
         are never removed.",
        "keep, disable, delete — conserver, désactiver, supprimer",
    ),
    (
        "status",
        "export only",
        "Whether the user can sign in, as exported. Read only: changing it changes nothing \
         (use the action column).",
        "active, disabled",
    ),
    (
        "group",
        "export only",
        "The user's role group, as exported. Read only.",
        "",
    ),
    (
        "date_added",
        "export only",
        "When the user was added, as exported. Read only.",
        "YYYY-MM-DD",
    ),
];

const NOTES: &[&str] = &[
    "One user per row, below the header row. Keep the header row: the import finds the \
     columns by their names (French names such as courriel, prénom, nom, rôle, langue work \
     too), in any order; other columns are ignored.",
    "Before anything is written, SX Admin checks the file, lists every problem by cell and \
     shows what would change on the portal.",
    "Removals: the action column disables or deletes a user; a sync disables (or deletes) \
     the account's users the file does not list. An import that would disable or delete \
     more than 10% of the account's users is refused until the administrator allows that \
     many removals.",
    "Values in the drop-down lists are suggestions: every spelling in the last column is \
     accepted, in any case.",
];

pub(crate) fn guide_sheet(sheet: &mut Worksheet) -> Result<(), ExportError> {
    sheet.set_name(GUIDE_SHEET)?;
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00DD_E6F0))
        .set_border_bottom(FormatBorder::Thin);
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    sheet.write_string_with_format(0, 0, "How to fill in the Users sheet", &title)?;
    for (col, name) in ["column", "required", "what it means", "values accepted"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(2, column(col)?, *name, &header)?;
    }
    let mut row = 3;
    for (name, required, meaning, values) in GUIDE {
        for (col, text) in [name, required, meaning, values].iter().enumerate() {
            sheet.write_string_with_format(row, column(col)?, **text, &wrap)?;
        }
        row += 1;
    }
    row += 1;
    for note in NOTES {
        sheet.merge_range(row, 0, row, 3, note, &wrap)?;
        sheet.set_row_height(row, 45)?;
        row += 1;
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_column_width(2, 70)?;
    sheet.set_column_width(3, 40)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_explained_in_the_guide() {
        let explained: Vec<&str> = GUIDE.iter().map(|(name, ..)| *name).collect();
        for column in Column::WITH_ACTION {
            assert!(explained.contains(&column.as_str()), "{column:?}");
        }
        for column in EXPORT_INFO_COLUMNS {
            assert!(explained.contains(&column), "{column}");
        }
    }

    #[test]
    fn every_choice_is_a_value_the_reader_accepts() {
        use crate::csv::{parse_language, parse_licence, parse_role};
        for choice in ROLE_CHOICES {
            assert!(parse_role(choice).is_some(), "{choice}");
        }
        for choice in LANGUAGE_CHOICES {
            assert!(parse_language(choice).is_some(), "{choice}");
        }
        for choice in LICENCE_CHOICES {
            assert!(parse_licence(choice).is_some(), "{choice}");
        }
    }
}
