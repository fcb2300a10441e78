//! Turning the bytes a spreadsheet saved into text.
//!
//! Excel's plain "CSV" writes Windows-1252 on Western Windows machines, "CSV UTF-8" adds a
//! byte-order mark, "Unicode text" writes UTF-16 with a mark, and LibreOffice and Google
//! Sheets write UTF-8. UTF-8 input is borrowed as is; only the other encodings are decoded,
//! once, into a new string.

use std::borrow::Cow;

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;

use super::issue::FileError;

/// The encoding the file was read in, reported so that the administrator can tell why
/// accents look the way they do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16 LE",
            Encoding::Utf16Be => "UTF-16 BE",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";
/// ZIP container: .xlsx (Excel) and .ods (LibreOffice) workbooks.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE2 compound file: legacy .xls workbooks.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

const SAVE_AS_CSV: &str = "save it again from your spreadsheet as \"CSV UTF-8\" (Excel: File > \
                           Save As; Google Sheets: File > Download > CSV)";

/// The file's text and the encoding it was read in.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), FileError> {
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
        return Err(FileError::NotText(format!(
            "this is a spreadsheet workbook (.xlsx, .xls or .ods), not a CSV file; {SAVE_AS_CSV}"
        )));
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        (utf8_or_not_text(rest)?, Encoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(UTF16LE_BOM) {
        let (text, _) = UTF_16LE.decode_without_bom_handling(rest);
        (text, Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(UTF16BE_BOM) {
        let (text, _) = UTF_16BE.decode_without_bom_handling(rest);
        (text, Encoding::Utf16Be)
    } else if bytes.contains(&0) {
        return Err(not_text_with_nul(bytes));
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), Encoding::Utf8),
            Err(_) => {
                let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
                (text, Encoding::Windows1252)
            }
        }
    };
    check_looks_like_text(&text)?;
    Ok((text, encoding))
}

/// A file that announces UTF-8 with a byte-order mark must be UTF-8; guessing another
/// encoding would silently change the names in it.
fn utf8_or_not_text(bytes: &[u8]) -> Result<Cow<'_, str>, FileError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        FileError::NotText(format!(
            "the file starts with a UTF-8 marker but byte {} is not valid UTF-8; it may be \
             damaged; {SAVE_AS_CSV}",
            e.valid_up_to() + UTF8_BOM.len() + 1
        ))
    })
}

/// Text files never hold NUL bytes, except UTF-16, whose marker was absent here.
fn not_text_with_nul(bytes: &[u8]) -> FileError {
    let sample = bytes.get(..bytes.len().min(1024)).unwrap_or(bytes);
    let nul_at_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let nul_at_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let pairs = sample.len() / 2;
    if pairs > 0 && (nul_at_odd * 10 >= pairs * 9 || nul_at_even * 10 >= pairs * 9) {
        FileError::NotText(format!(
            "the file looks like UTF-16 text without its byte-order mark, which cannot be read \
             reliably; {SAVE_AS_CSV}"
        ))
    } else {
        FileError::NotText(format!(
            "the file is not a text file (it contains binary data); {SAVE_AS_CSV}"
        ))
    }
}

/// Catches binary files without NUL bytes, which decode "successfully" as Windows-1252:
/// text has almost no control characters besides tab and line breaks.
fn check_looks_like_text(text: &str) -> Result<(), FileError> {
    const SAMPLE_CHARS: usize = 8192;
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(SAMPLE_CHARS) {
        total += 1;
        if c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C' | '\x1A')) {
            control += 1;
        }
    }
    if control > 0 && control * 20 > total {
        return Err(FileError::NotText(format!(
            "the file is not a text file (it contains binary data); {SAVE_AS_CSV}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_borrowed_not_copied() {
        let (text, encoding) = decode(b"email\na@b.com\n").unwrap();
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(encoding, Encoding::Utf8);
    }

    #[test]
    fn bom_is_removed() {
        let (text, encoding) = decode(b"\xEF\xBB\xBFemail").unwrap();
        assert_eq!(text, "email");
        assert_eq!(encoding, Encoding::Utf8Bom);
    }

    #[test]
    fn invalid_utf8_is_read_as_windows_1252() {
        let (text, encoding) = decode(b"Ren\xE9e \x80").unwrap();
        assert_eq!(text, "Renée €");
        assert_eq!(encoding, Encoding::Windows1252);
    }

    #[test]
    fn utf16_with_either_byte_order() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Zoé".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Zoé".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(
            decode(&le).unwrap(),
            (Cow::Borrowed("Zoé"), Encoding::Utf16Le)
        );
        assert_eq!(
            decode(&be).unwrap(),
            (Cow::Borrowed("Zoé"), Encoding::Utf16Be)
        );
    }

    #[test]
    fn workbooks_and_binary_are_refused_with_advice() {
        for bytes in [
            &b"PK\x03\x04rest"[..],
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"\x01\x02\x03\x04\x05\x06\x07\x08",
        ] {
            let error = decode(bytes).unwrap_err();
            assert_eq!(error.code().as_str(), "not_text", "{bytes:?}");
            assert!(error.to_string().contains("CSV UTF-8"));
        }
        let utf16_without_bom: Vec<u8> = "email,name\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decode(&utf16_without_bom)
            .unwrap_err()
            .to_string()
            .contains("UTF-16"));
    }

    #[test]
    fn utf8_bom_followed_by_other_encoding_is_refused() {
        let error = decode(b"\xEF\xBB\xBFRen\xE9e").unwrap_err();
        assert!(error.to_string().contains("byte 7"), "{error}");
    }
}
