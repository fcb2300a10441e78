//! Recognising the header line, whatever the spreadsheet and the administrator did to it:
//! `E-mail`, ` Prénom `, `FIRST_NAME`, `Adresse courriel` all name template columns.

use std::borrow::Cow;

use serde::Serialize;

use super::tokenizer::Tokenizer;

/// The template's columns, in template order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Email,
    FirstName,
    LastName,
    Role,
    Language,
    Licence,
    /// Optional: `keep`, `disable` or `delete` (see [`super::RowAction`]); not in
    /// [`Column::ALL`], so a file without it reads as before.
    Action,
}

impl Column {
    pub const ALL: &'static [Column] = &[
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::Role,
        Column::Language,
        Column::Licence,
    ];

    /// The template's header for this column.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Email => "email",
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::Role => "role",
            Column::Language => "language",
            Column::Licence => "licence",
            Column::Action => "action",
        }
    }

    /// Which column a header names, in English or French. Accepts what people type in a
    /// header cell, not only the template's spelling.
    pub fn from_header(header: &str) -> Option<Column> {
        let key = fold(header)?;
        let column = match key.as_str() {
            "email"
            | "mail"
            | "emailaddress"
            | "courriel"
            | "adressecourriel"
            | "adressedecourriel"
            | "adresseemail"
            | "adressemail"
            | "adresseelectronique"
            | "mel" => Column::Email,
            "firstname" | "givenname" | "prenom" => Column::FirstName,
            "lastname" | "surname" | "familyname" | "nom" | "nomdefamille" => Column::LastName,
            "role" => Column::Role,
            "language" | "lang" | "langue" => Column::Language,
            "licence" | "license" | "licencetier" | "licensetier" | "typedelicence" => {
                Column::Licence
            }
            "action" | "operation" => Column::Action,
            _ => return None,
        };
        Some(column)
    }

    /// The template's columns followed by the optional `action` column, as the workbook
    /// template and the export write them.
    pub const WITH_ACTION: &'static [Column] = &[
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::Role,
        Column::Language,
        Column::Licence,
        Column::Action,
    ];
}

/// The columns an export adds after the template's (status, group, date added): they
/// describe the user and are read back without a warning, but an import never changes
/// them, so that an export re-imported as it is changes nothing.
pub const EXPORT_INFO_COLUMNS: [&str; 3] = ["status", "group", "date_added"];

/// Whether a header names one of [`EXPORT_INFO_COLUMNS`], in English or French.
pub(crate) fn is_export_info_column(header: &str) -> bool {
    matches!(
        fold(header).as_ref().map(Key::as_str),
        Some(
            "status"
                | "statut"
                | "group"
                | "groupe"
                | "rolegroup"
                | "groupederoles"
                | "dateadded"
                | "added"
                | "dateajout"
                | "datedajout"
                | "ajoutele"
        )
    )
}

/// The comparison key for headers and for role, language and licence values: lower case,
/// accents removed, spaces, `_`, `-`, `.` and apostrophes dropped.
///
/// Every known spelling is short ASCII, so the key lives on the stack and text that cannot
/// be one (too long, or with letters outside Western European alphabets) gives `None`.
pub(crate) fn fold(text: &str) -> Option<Key> {
    let mut key = Key {
        bytes: [0; Key::CAPACITY],
        len: 0,
    };
    let text = text.trim();
    if text.is_ascii() {
        for b in text.bytes() {
            if !matches!(b, b' ' | b'_' | b'-' | b'.' | b'\'') {
                key.push(b.to_ascii_lowercase())?;
            }
        }
        return Some(key);
    }
    for c in text.chars() {
        match c {
            ' ' | '_' | '-' | '.' | '\'' | '\u{2019}' | '\u{A0}' | '\u{202F}' => {}
            // Combining accents, as in decomposed (NFD) text from macOS.
            '\u{300}'..='\u{36F}' => {}
            _ if c.is_ascii() => key.push(c.to_ascii_lowercase() as u8)?,
            _ => {
                if let Some(base) = strip_accent(c) {
                    base.bytes().try_for_each(|b| key.push(b))?;
                    continue;
                }
                for lower in c.to_lowercase() {
                    match strip_accent(lower) {
                        Some(base) => base.bytes().try_for_each(|b| key.push(b))?,
                        None if lower.is_ascii() => key.push(lower as u8)?,
                        None => return None,
                    }
                }
            }
        }
    }
    Some(key)
}

/// A folded spelling; see [`fold`].
pub(crate) struct Key {
    bytes: [u8; Key::CAPACITY],
    len: usize,
}

impl Key {
    /// Longer than any spelling the import knows.
    const CAPACITY: usize = 32;

    fn push(&mut self, byte: u8) -> Option<()> {
        *self.bytes.get_mut(self.len)? = byte;
        self.len += 1;
        Some(())
    }

    pub(crate) fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..self.len).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

/// The unaccented spelling of the lower-case Latin letters French and other Western
/// European languages use.
fn strip_accent(c: char) -> Option<&'static str> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        _ => return None,
    };
    Some(base)
}

/// Candidate delimiters in order of preference when the header does not decide.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter that best splits `header_line` into template columns: the one that
/// yields the most recognised headers, then the most fields. A one-column file has no
/// delimiter in its header and reads the same with any, so it gets `,`.
pub(crate) fn detect_delimiter(header_line: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in DELIMITERS {
        let fields = split_header(header_line, delimiter);
        let recognised = fields
            .iter()
            .filter(|f| Column::from_header(f).is_some())
            .count();
        if (recognised, fields.len()) > (best.1, best.2) {
            best = (delimiter, recognised, fields.len());
        }
    }
    best.0
}

/// The header's fields with one delimiter, honouring quotes.
fn split_header(line: &str, delimiter: u8) -> Vec<Cow<'_, str>> {
    let mut fields = Vec::new();
    Tokenizer::new(line, delimiter).next_record(&mut fields);
    fields
}

/// The first line of `text` that is not blank, up to the first line break outside
/// quotes, and the byte offset where it starts.
pub(crate) fn first_record_line(text: &str) -> (&str, usize) {
    let mut start = 0;
    let mut in_quotes = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => {
                let line = text.get(start..i).unwrap_or_default();
                if line.trim().is_empty() {
                    start = i + 1;
                } else {
                    return (line, start);
                }
            }
            _ => {}
        }
    }
    (text.get(start..).unwrap_or_default(), start)
}

/// Excel's `sep=;` first line, which names the delimiter explicitly.
pub(crate) fn excel_separator_hint(line: &str) -> Option<u8> {
    match line.trim().as_bytes() {
        [s, e, p, b'=', delimiter] if b"sep".eq_ignore_ascii_case(&[*s, *e, *p]) => {
            (DELIMITERS.contains(delimiter) || *delimiter == b'|').then_some(*delimiter)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_any_case_spacing_and_language() {
        let cases = [
            ("email", Column::Email),
            (" E-Mail ", Column::Email),
            ("Courriel", Column::Email),
            ("Adresse courriel", Column::Email),
            ("first_name", Column::FirstName),
            ("First Name", Column::FirstName),
            ("PRÉNOM", Column::FirstName),
            ("Prénom", Column::FirstName),
            ("Pre\u{301}nom", Column::FirstName),
            ("nom", Column::LastName),
            ("Last-Name", Column::LastName),
            ("Rôle", Column::Role),
            ("langue", Column::Language),
            ("Licence", Column::Licence),
            ("license", Column::Licence),
        ];
        for (header, column) in cases {
            assert_eq!(Column::from_header(header), Some(column), "{header:?}");
        }
        assert_eq!(Column::from_header("department"), None);
        assert_eq!(Column::from_header(""), None);
    }

    #[test]
    fn fold_drops_case_accents_and_separators() {
        let folded = |text| fold(text).map(|key| key.as_str().to_owned());
        assert_eq!(folded("user").as_deref(), Some("user"));
        assert_eq!(folded(" Français ").as_deref(), Some("francais"));
        assert_eq!(folded("Œuvre d’art").as_deref(), Some("oeuvredart"));
        assert_eq!(folded("Adresse e-mail").as_deref(), Some("adresseemail"));
        assert_eq!(folded("Страна"), None);
        assert_eq!(folded(&"x".repeat(33)), None);
    }

    #[test]
    fn delimiter_is_the_one_that_names_columns() {
        assert_eq!(detect_delimiter("email,first_name,last_name"), b',');
        assert_eq!(detect_delimiter("courriel;prénom;nom"), b';');
        assert_eq!(detect_delimiter("email\tprenom"), b'\t');
        assert_eq!(detect_delimiter("email"), b',');
        // A comma inside a quoted header does not make the file comma-separated.
        assert_eq!(detect_delimiter("email;\"nom, prénom\";role"), b';');
    }

    #[test]
    fn first_record_line_skips_blank_lines_and_keeps_quoted_breaks() {
        assert_eq!(first_record_line("\r\n\nemail,x\r\na"), ("email,x", 3));
        assert_eq!(
            first_record_line("\"e\nmail\",x\nrow"),
            ("\"e\nmail\",x", 0)
        );
        assert_eq!(first_record_line("email"), ("email", 0));
    }

    #[test]
    fn excel_sep_line() {
        assert_eq!(excel_separator_hint("sep=;"), Some(b';'));
        assert_eq!(excel_separator_hint("SEP=,"), Some(b','));
        assert_eq!(excel_separator_hint("email"), None);
        assert_eq!(excel_separator_hint("sep=;;"), None);
    }
}
