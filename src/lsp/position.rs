//! Byte offsets (what nmc's spans hold) to LSP positions and back. LSP
//! counts lines split at `\n`, `\r\n` or `\r`, and columns in UTF-16 code
//! units, so `é` is one unit, an emoji two and a CJK ideograph one.

use lsp_types::{Position, Range};

/// Where each line of a text starts, for converting offsets both ways.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of each line.
    starts: Vec<usize>,
    /// Length of the text.
    len: usize,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` in `text` (the text this index was
    /// built from). An offset past the end or inside a character is moved
    /// back to the nearest character boundary.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let column: usize = text
            .get(start..offset)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(0);
        Position::new(line as u32, column as u32)
    }

    /// The range covering bytes `start..end` of `text`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offset of `pos` in `text`. A line past the end gives the
    /// end of the text; a column past the end of its line gives the end of
    /// the line; a column inside a surrogate pair gives the character's start.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .copied()
            .unwrap_or(self.len)
            .min(text.len());
        let line = text.get(start..end).unwrap_or("");
        let content = line.trim_end_matches(['\n', '\r']);
        let mut units = 0usize;
        for (i, c) in content.char_indices() {
            let next = units + c.len_utf16();
            if next > pos.character as usize {
                return start + i;
            }
            units = next;
        }
        start + content.len()
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn ascii_round_trip() {
        let text = "ab\ncd\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 0), pos(0, 0));
        assert_eq!(ix.position(text, 2), pos(0, 2));
        assert_eq!(ix.position(text, 3), pos(1, 0));
        assert_eq!(ix.position(text, 6), pos(2, 0));
        assert_eq!(ix.line_count(), 3);
        for off in 0..=text.len() {
            assert_eq!(ix.offset(text, ix.position(text, off)), off);
        }
    }

    #[test]
    fn accented_letter_is_one_unit_two_bytes() {
        // "é" is U+00E9: two UTF-8 bytes, one UTF-16 unit.
        let text = "gé = 1\nx";
        let ix = LineIndex::new(text);
        let eq = text.find('=').unwrap();
        assert_eq!(eq, 4);
        assert_eq!(ix.position(text, eq), pos(0, 3));
        assert_eq!(ix.offset(text, pos(0, 3)), eq);
        assert_eq!(ix.offset(text, pos(1, 0)), text.find('x').unwrap());
    }

    #[test]
    fn emoji_is_two_units_four_bytes() {
        let text = ": 🧠 brain\nSTATE { m }";
        let ix = LineIndex::new(text);
        let b = text.find("brain").unwrap();
        assert_eq!(b, 7);
        assert_eq!(ix.position(text, b), pos(0, 5));
        assert_eq!(ix.offset(text, pos(0, 5)), b);
        // A column inside the surrogate pair lands on the emoji's start.
        assert_eq!(ix.offset(text, pos(0, 3)), 2);
        // An offset inside the emoji's bytes moves back to its start.
        assert_eq!(ix.position(text, 4), pos(0, 2));
        let m = text.find('m').unwrap();
        assert_eq!(ix.position(text, m), pos(1, 8));
    }

    #[test]
    fn cjk_is_one_unit_three_bytes() {
        let text = "TITLE 神经元\nNEURON { SUFFIX 钠 }";
        let ix = LineIndex::new(text);
        let title_end = text.find('\n').unwrap();
        assert_eq!(ix.position(text, title_end), pos(0, 9));
        let na = text.find('钠').unwrap();
        assert_eq!(ix.position(text, na), pos(1, 16));
        assert_eq!(ix.position(text, na + 3), pos(1, 17));
        assert_eq!(ix.offset(text, pos(1, 16)), na);
        assert_eq!(ix.offset(text, pos(1, 17)), na + 3);
        for (off, _) in text.char_indices() {
            assert_eq!(ix.offset(text, ix.position(text, off)), off);
        }
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nb\rc";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 3), pos(1, 0));
        assert_eq!(ix.position(text, 5), pos(2, 0));
        // A column past the line's end stops before its line break.
        assert_eq!(ix.offset(text, pos(0, 10)), 1);
        assert_eq!(ix.offset(text, pos(9, 0)), text.len());
    }

    #[test]
    fn out_of_range_offsets_clamp() {
        let text = "é";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 99), pos(0, 1));
        assert_eq!(ix.range(text, 2, 0), Range::new(pos(0, 1), pos(0, 1)));
    }
}
