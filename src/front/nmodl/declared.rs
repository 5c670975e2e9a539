//! The name a `.mod` file declares, found without parsing it: a lexical
//! scan for the `NEURON { ... }` block and its `SUFFIX`, `POINT_PROCESS` or
//! `ARTIFICIAL_CELL` statement, skipping comments, `COMMENT ... ENDCOMMENT`
//! and `VERBATIM ... ENDVERBATIM`. Lets a mechanism library index a folder
//! in microseconds and compile only the files a network uses.

/// What a file declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The mechanism name.
    pub name: String,
    /// `SUFFIX`, `POINT_PROCESS` or `ARTIFICIAL_CELL`.
    pub keyword: &'static str,
    /// 1-based line of the name.
    pub line: usize,
}

const KEYWORDS: [&str; 3] = ["SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL"];

/// The first declaration inside the file's `NEURON` block, if any.
pub fn declared_name(text: &str) -> Option<Declared> {
    let words = Words::new(text);
    let mut in_neuron = false;
    let mut depth = 0usize;
    let mut expect: Option<&'static str> = None;
    let mut pending_neuron = false;
    for (word, offset) in words {
        if let Some(keyword) = expect {
            if is_ident(word) {
                let line = text[..offset].matches('\n').count() + 1;
                return Some(Declared {
                    name: word.to_string(),
                    keyword,
                    line,
                });
            }
            expect = None;
        }
        match word {
            "{" => {
                if pending_neuron && depth == 0 {
                    in_neuron = true;
                }
                pending_neuron = false;
                depth += 1;
            }
            "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    in_neuron = false;
                }
            }
            "NEURON" if depth == 0 => pending_neuron = true,
            w if in_neuron && depth == 1 => {
                expect = KEYWORDS.iter().copied().find(|k| *k == w);
            }
            _ => pending_neuron = false,
        }
    }
    None
}

fn is_ident(w: &str) -> bool {
    w.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Words (identifiers, numbers) and single punctuation characters of NMODL
/// text with their byte offsets, comments and C blocks skipped.
struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        Words { text, pos: 0 }
    }

    /// Skips to just after the word `end` (`ENDCOMMENT`, `ENDVERBATIM`).
    fn skip_past(&mut self, end: &str) {
        let rest = &self.text[self.pos..];
        let mut from = 0;
        while let Some(i) = rest[from..].find(end) {
            let at = from + i;
            let after = at + end.len();
            let bounded = rest[after..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            if bounded {
                self.pos += after;
                return;
            }
            from = after;
        }
        self.pos = self.text.len();
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        loop {
            let c = *bytes.get(self.pos)?;
            match c {
                b':' | b'?' => {
                    while self.pos < bytes.len()
                        && bytes[self.pos] != b'\n'
                        && bytes[self.pos] != b'\r'
                    {
                        self.pos += 1;
                    }
                }
                b'"' => {
                    self.pos += 1;
                    while self.pos < bytes.len()
                        && bytes[self.pos] != b'"'
                        && bytes[self.pos] != b'\n'
                    {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
                c if c.is_ascii_alphanumeric() || c == b'_' => {
                    let start = self.pos;
                    while self.pos < bytes.len()
                        && (bytes[self.pos].is_ascii_alphanumeric() || bytes[self.pos] == b'_')
                    {
                        self.pos += 1;
                    }
                    let word = &self.text[start..self.pos];
                    match word {
                        "COMMENT" => self.skip_past("ENDCOMMENT"),
                        "VERBATIM" => self.skip_past("ENDVERBATIM"),
                        _ => return Some((word, start)),
                    }
                }
                b'{' | b'}' => {
                    self.pos += 1;
                    return Some((&self.text[self.pos - 1..self.pos], self.pos - 1));
                }
                _ => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::declared_name;

    #[test]
    fn finds_the_declaration_past_comments_and_c() {
        let text = "TITLE x\nCOMMENT\nNEURON { SUFFIX fake }\nENDCOMMENT\n: NEURON { SUFFIX no }\nVERBATIM\n{ POINT_PROCESS nope }\nENDVERBATIM\nUNITS { (mV) = (millivolt) }\nNEURON {\n  THREADSAFE\n  POINT_PROCESS Exp2Syn_STP\n  RANGE tau\n}\n";
        let d = declared_name(text).map(|d| (d.name, d.keyword, d.line));
        assert_eq!(d, Some(("Exp2Syn_STP".into(), "POINT_PROCESS", 12)));
    }

    #[test]
    fn nothing_without_a_neuron_block() {
        assert_eq!(declared_name("PARAMETER { SUFFIX = 1 }"), None);
        assert_eq!(declared_name("NEURON { RANGE x }"), None);
        assert_eq!(declared_name(""), None);
    }

    #[test]
    fn suffix_in_a_nested_block_does_not_count() {
        let text = "NEURON { USEION na READ ena }\nBREAKPOINT { SUFFIX x }";
        assert_eq!(declared_name(text), None);
    }
}
