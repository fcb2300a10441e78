//! Splitting the text into records and fields.
//!
//! A dedicated tokenizer rather than the `csv` crate's reader, for three reasons: fields are
//! borrowed from the file's text (no copy of the file, and no allocation for a field unless
//! it holds an escaped quote), the physical line of each record is counted exactly (LF,
//! CRLF and the lone CR of "CSV (Macintosh)" files, including line breaks inside quotes),
//! and a quote that is never closed is reported instead of silently swallowing the rest of
//! the file.
//!
//! The grammar is RFC 4180 with the leniency spreadsheets rely on: fields may be quoted,
//! `""` inside quotes is one quote, a quote inside an unquoted field is an ordinary
//! character, text after a closing quote is kept as is, and empty lines are skipped.

use std::borrow::Cow;

/// Where a record was found, and whether it ended inside an unclosed quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordStart {
    /// 1-based physical line of the record's first character.
    pub line: u64,
    /// True when a quoted field was still open at the end of the file.
    pub unclosed_quote: bool,
}

/// Receives the fields of a record, in order.
pub(crate) trait FieldSink<'t> {
    /// A record begins (again, if the fast path gave up on it): forget earlier fields.
    fn start_record(&mut self);
    fn field(&mut self, value: Cow<'t, str>);
}

impl<'t> FieldSink<'t> for Vec<Cow<'t, str>> {
    fn start_record(&mut self) {
        self.clear();
    }

    fn field(&mut self, value: Cow<'t, str>) {
        self.push(value);
    }
}

pub(crate) struct Tokenizer<'t> {
    text: &'t str,
    position: usize,
    line: u64,
    delimiter: u8,
    /// Bytes that end an unquoted field: the delimiter, CR and LF.
    ends_field: [bool; 256],
    /// The same, and `"`: the bytes the fast path stops at.
    special: [bool; 256],
}

impl<'t> Tokenizer<'t> {
    pub(crate) fn new(text: &'t str, delimiter: u8) -> Self {
        let mut ends_field = [false; 256];
        for byte in [delimiter, b'\r', b'\n'] {
            if let Some(slot) = ends_field.get_mut(usize::from(byte)) {
                *slot = true;
            }
        }
        let mut special = ends_field;
        if let Some(slot) = special.get_mut(usize::from(b'"')) {
            *slot = true;
        }
        Tokenizer {
            text,
            position: 0,
            line: 1,
            delimiter,
            ends_field,
            special,
        }
    }

    /// Bytes consumed so far.
    pub(crate) fn offset(&self) -> usize {
        self.position
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        // Positions always sit next to an ASCII byte, hence on character boundaries.
        self.text.get(start..end).unwrap_or_default()
    }

    /// Reads the next record's fields into `fields` (cleared first); `None` at the end.
    pub(crate) fn next_record(&mut self, fields: &mut Vec<Cow<'t, str>>) -> Option<RecordStart> {
        self.next_record_into(fields)
    }

    /// Hands the next record's fields, in order, to `sink`; `None` at the end.
    pub(crate) fn next_record_into(
        &mut self,
        sink: &mut impl FieldSink<'t>,
    ) -> Option<RecordStart> {
        self.skip_line_breaks();
        if self.position >= self.bytes().len() {
            return None;
        }
        sink.start_record();
        let start = RecordStart {
            line: self.line,
            unclosed_quote: false,
        };
        if self.unquoted_line(sink) {
            return Some(start);
        }
        sink.start_record();
        let mut unclosed_quote = false;
        loop {
            let field = if self.bytes().get(self.position) == Some(&b'"') {
                let (field, closed) = self.quoted_field();
                unclosed_quote |= !closed;
                field
            } else {
                let start = self.position;
                let end = self.unquoted_end(start);
                self.position = end;
                Cow::Borrowed(self.slice(start, end))
            };
            sink.field(field);
            match self.bytes().get(self.position) {
                Some(&b) if b == self.delimiter => self.position += 1,
                _ => break,
            }
        }
        Some(RecordStart {
            unclosed_quote,
            ..start
        })
    }

    /// The fast path for the common record: no quote before the end of its line, so the
    /// line is simply cut at each delimiter. Returns false when it meets a quote; the
    /// caller then restarts the record with the full grammar.
    fn unquoted_line(&mut self, sink: &mut impl FieldSink<'t>) -> bool {
        let text = self.text;
        let bytes = text.as_bytes();
        let delimiter = self.delimiter;
        let special = &self.special;
        let mut field_start = self.position;
        let mut index = self.position;
        while let Some(&b) = bytes.get(index) {
            if special.get(usize::from(b)).copied().unwrap_or(true) {
                if b == delimiter {
                    sink.field(Cow::Borrowed(
                        text.get(field_start..index).unwrap_or_default(),
                    ));
                    field_start = index + 1;
                } else if b == b'"' {
                    return false;
                } else {
                    break;
                }
            }
            index += 1;
        }
        sink.field(Cow::Borrowed(
            text.get(field_start..index).unwrap_or_default(),
        ));
        self.position = index;
        true
    }

    /// Consumes line breaks (and so empty lines) before a record, counting them.
    fn skip_line_breaks(&mut self) {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.position) {
            match b {
                b'\n' => self.line += 1,
                b'\r' => {
                    if bytes.get(self.position + 1) != Some(&b'\n') {
                        self.line += 1;
                    }
                }
                _ => return,
            }
            self.position += 1;
        }
    }

    /// End of an unquoted field: the next delimiter, line break or the end of the text.
    fn unquoted_end(&self, start: usize) -> usize {
        let rest = self.bytes().get(start..).unwrap_or_default();
        let ends_field = &self.ends_field;
        match rest
            .iter()
            .position(|&b| ends_field.get(usize::from(b)).copied().unwrap_or(true))
        {
            Some(offset) => start + offset,
            None => self.bytes().len(),
        }
    }

    /// Reads a field starting at an opening quote. Returns the unescaped content and
    /// whether the closing quote was found.
    fn quoted_field(&mut self) -> (Cow<'t, str>, bool) {
        let bytes = self.bytes();
        self.position += 1;
        let mut segment_start = self.position;
        let mut owned: Option<String> = None;
        loop {
            let Some(quote) = self.find_quote_counting_lines(segment_start) else {
                let rest = self.slice(segment_start, bytes.len());
                self.position = bytes.len();
                return (append(owned, rest), false);
            };
            if bytes.get(quote + 1) == Some(&b'"') {
                // An escaped quote: keep one, continue inside the quotes.
                let piece = self.slice(segment_start, quote + 1);
                owned.get_or_insert_with(String::new).push_str(piece);
                segment_start = quote + 2;
                continue;
            }
            let mut content = append(owned, self.slice(segment_start, quote));
            self.position = quote + 1;
            // Text between the closing quote and the delimiter is kept, as spreadsheets do.
            let end = self.unquoted_end(self.position);
            if end > self.position {
                content.to_mut().push_str(self.slice(self.position, end));
                self.position = end;
            }
            return (content, true);
        }
    }

    /// The next `"` at or after `from`, counting the line breaks passed on the way.
    fn find_quote_counting_lines(&mut self, from: usize) -> Option<usize> {
        let bytes = self.bytes();
        let mut index = from;
        while let Some(&b) = bytes.get(index) {
            match b {
                b'"' => return Some(index),
                b'\n' => self.line += 1,
                b'\r' if bytes.get(index + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            index += 1;
        }
        None
    }
}

fn append<'t>(owned: Option<String>, piece: &'t str) -> Cow<'t, str> {
    match owned {
        Some(mut text) => {
            text.push_str(piece);
            Cow::Owned(text)
        }
        None => Cow::Borrowed(piece),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, delimiter: u8) -> Vec<(u64, Vec<String>, bool)> {
        let mut tokenizer = Tokenizer::new(text, delimiter);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(start) = tokenizer.next_record(&mut fields) {
            let values = fields.iter().map(|f| f.to_string()).collect();
            out.push((start.line, values, start.unclosed_quote));
        }
        out
    }

    fn owned(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn splits_fields_and_records_with_any_line_break() {
        assert_eq!(
            records("a,b\r\nc,d\ne,\rf", b','),
            [
                (1, owned(&["a", "b"]), false),
                (2, owned(&["c", "d"]), false),
                (3, owned(&["e", ""]), false),
                (4, owned(&["f"]), false),
            ]
        );
    }

    #[test]
    fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
        assert_eq!(
            records("\"a;b\";\"say \"\"hi\"\"\"\n\"x\r\ny\";z\nnext", b';'),
            [
                (1, owned(&["a;b", "say \"hi\""]), false),
                (2, owned(&["x\r\ny", "z"]), false),
                (4, owned(&["next"]), false),
            ]
        );
    }

    #[test]
    fn empty_lines_are_skipped_but_counted() {
        assert_eq!(
            records("\n\r\n\ra\n\n\nb\n\n", b','),
            [(4, owned(&["a"]), false), (7, owned(&["b"]), false)]
        );
    }

    #[test]
    fn lenient_quotes_like_spreadsheets() {
        assert_eq!(
            records("ab\"c,\"q\"tail,\"\"", b','),
            [(1, owned(&["ab\"c", "qtail", ""]), false)]
        );
    }

    #[test]
    fn unclosed_quote_is_flagged() {
        assert_eq!(
            records("a,\"open\nmore,x\n", b','),
            [(1, owned(&["a", "open\nmore,x\n"]), true)]
        );
    }

    #[test]
    fn fields_without_escapes_are_borrowed() {
        let mut tokenizer = Tokenizer::new("plain,\"quoted\",\"es\"\"caped\"", b',');
        let mut fields = Vec::new();
        tokenizer.next_record(&mut fields);
        assert!(matches!(fields[0], Cow::Borrowed("plain")));
        assert!(matches!(fields[1], Cow::Borrowed("quoted")));
        assert!(matches!(fields[2], Cow::Owned(_)));
    }
}
