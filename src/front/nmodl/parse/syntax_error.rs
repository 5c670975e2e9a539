//! Turning pest failures into diagnostics that name the offending token and
//! say, in words, what was expected there.
//!
//! Codes: E0101 (general), E0104 (unknown top-level keyword), E0107
//! (unknown NEURON statement), E0108 (misspelled statement keyword),
//! E0105 (parser resource limit reached).

use super::Rule;
use crate::diag::{Diagnostic, FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

/// Keywords that start top-level blocks, for suggestions.
pub const TOP_KEYWORDS: &[&str] = &[
    "TITLE",
    "COMMENT",
    "DEFINE",
    "INCLUDE",
    "NEURON",
    "UNITS",
    "PARAMETER",
    "CONSTANT",
    "ASSIGNED",
    "STATE",
    "INDEPENDENT",
    "DEPEND",
    "INITIAL",
    "BREAKPOINT",
    "DERIVATIVE",
    "KINETIC",
    "LINEAR",
    "NONLINEAR",
    "DISCRETE",
    "PROCEDURE",
    "FUNCTION",
    "FUNCTION_TABLE",
    "NET_RECEIVE",
    "BEFORE",
    "AFTER",
    "CONSTRUCTOR",
    "DESTRUCTOR",
    "VERBATIM",
    "UNITSON",
    "UNITSOFF",
];

/// Statements of the NEURON block.
pub const NEURON_KEYWORDS: &[&str] = &[
    "SUFFIX",
    "POINT_PROCESS",
    "ARTIFICIAL_CELL",
    "USEION",
    "RANGE",
    "GLOBAL",
    "NONSPECIFIC_CURRENT",
    "ELECTRODE_CURRENT",
    "POINTER",
    "BBCOREPOINTER",
    "EXTERNAL",
    "THREADSAFE",
    "RANDOM",
    "REPRESENTS",
];

/// Keywords that start statements inside blocks.
pub const STMT_KEYWORDS: &[&str] = &[
    "LOCAL",
    "SOLVE",
    "TABLE",
    "CONSERVE",
    "COMPARTMENT",
    "LONGITUDINAL_DIFFUSION",
    "WATCH",
    "PROTECT",
    "UNITSON",
    "UNITSOFF",
    "VERBATIM",
    "MUTEXLOCK",
    "MUTEXUNLOCK",
    "CONDUCTANCE",
    "FROM",
    "INITIAL",
    "FOR_NETCONS",
    "LAG",
];

/// Every reserved word (cannot be a name).
fn is_reserved(word: &str) -> bool {
    TOP_KEYWORDS.contains(&word)
        || NEURON_KEYWORDS.contains(&word)
        || STMT_KEYWORDS.contains(&word)
        || matches!(
            word,
            "ENDCOMMENT"
                | "ENDVERBATIM"
                | "START"
                | "SOLVEFOR"
                | "METHOD"
                | "STEADYSTATE"
                | "IFERROR"
                | "if"
                | "IF"
                | "else"
                | "ELSE"
                | "while"
                | "WHILE"
                | "TO"
                | "BY"
                | "WITH"
                | "READ"
                | "WRITE"
                | "VALENCE"
        )
}

/// Converts a pest error on `src` into a diagnostic.
pub(super) fn convert(e: &Error<Rule>, src: &str, file: FileId) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(src.len());
    let tok = token_at(src, pos);
    let tok_span = Span::new(file, tok.start, tok.end);
    match &e.variant {
        ErrorVariant::CustomError { message } => {
            if message.contains("limit") {
                Diagnostic::error("E0105", "the file is too deeply nested to parse")
                    .with_primary(tok_span, "nesting limit reached here")
                    .with_help("split the code into PROCEDUREs or use LOCAL variables")
            } else {
                Diagnostic::error("E0101", format!("syntax error: {message}"))
                    .with_primary(tok_span, "here")
                    .with_help(
                        "check this line for a typo, a missing operator or a missing bracket",
                    )
            }
        }
        ErrorVariant::ParsingError {
            positives,
            negatives: _,
        } => parsing_error(positives, src, file, pos, &tok, tok_span),
    }
}

fn parsing_error(
    positives: &[Rule],
    src: &str,
    file: FileId,
    pos: usize,
    tok: &Token,
    tok_span: Span,
) -> Diagnostic {
    let word = tok.word.then_some(tok.text.as_str());

    // Unknown keyword where a top-level block must start.
    if (positives.contains(&Rule::item) || positives.contains(&Rule::file))
        && let Some(w) = word
    {
        let suggestion = suggest(w, TOP_KEYWORDS);
        // A lowercase name here is a statement written outside any block.
        if suggestion.is_none()
            && !is_reserved(w)
            && w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        {
            return Diagnostic::error(
                "E0104",
                format!("statement outside any block: `{w}` is not a top-level keyword"),
            )
            .with_primary(tok_span, "statements cannot appear at top level")
            .with_help("move it into a block such as INITIAL, BREAKPOINT or a PROCEDURE");
        }
        let d = Diagnostic::error(
            "E0104",
            format!("unknown top-level keyword `{w}`: expected a block such as NEURON, PARAMETER or BREAKPOINT"),
        )
        .with_primary(tok_span, "not an NMODL block keyword");
        return match suggestion {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("top-level blocks are {}", TOP_KEYWORDS.join(", "))),
        };
    }

    // Unknown statement in the NEURON block.
    if positives.contains(&Rule::neuron_stmt)
        && let Some(w) = word
    {
        let mut d = Diagnostic::error("E0107", format!("unknown NEURON block statement `{w}`"))
            .with_primary(tok_span, "not a NEURON block keyword");
        d = match suggest(w, NEURON_KEYWORDS) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the NEURON block accepts {}",
                NEURON_KEYWORDS.join(", ")
            )),
        };
        return d;
    }

    // A misspelled statement keyword: `SOLV states METHOD cnexp` reads as a
    // name followed by something unexpected.
    if let Some((ws, we)) = prev_word(src, pos) {
        let pw = &src[ws..we];
        let upper = pw.len() >= 3 && pw.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        if upper
            && !is_reserved(pw)
            && let Some(s) = suggest(pw, STMT_KEYWORDS)
            && stmt_start(src, ws)
        {
            return Diagnostic::error("E0108", format!("unknown statement keyword `{pw}`"))
                .with_primary(Span::new(file, ws, we), "not a keyword")
                .with_secondary(tok_span, "so this was not expected")
                .with_help(format!("did you mean `{s}`?"));
        }
    }

    let mut expected = expected_list(positives);
    if tok.text != "(" && expected.len() > 1 {
        // A unit can only start with `(`; listing it otherwise is noise.
        expected.retain(|e| e != UNIT_WORDS);
    }
    let found = tok.describe();
    let mut d = if expected.is_empty() {
        Diagnostic::error("E0101", format!("unexpected {found}"))
            .with_primary(tok_span, "not expected here")
    } else {
        let list = join_or(&expected);
        Diagnostic::error("E0101", format!("expected {list}, found {found}"))
            .with_primary(tok_span, format!("expected {list}"))
    };
    if let Some(w) = word {
        if is_reserved(w) && positives.iter().any(|r| is_name_rule(*r)) {
            let other = if w.chars().all(|c| c.is_ascii_lowercase()) {
                format!("{w}_")
            } else {
                w.to_ascii_lowercase()
            };
            d = d
                .with_note(format!(
                    "`{w}` is a reserved keyword and cannot be used as a name"
                ))
                .with_help(format!("choose another name, e.g. `{other}`"));
        } else {
            let kws: Vec<&str> = positives.iter().filter_map(|r| keyword_of(*r)).collect();
            if let Some(s) = suggest(w, &kws) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
        }
    }
    if d.help.is_none() {
        let (help, label) = context_help(src, file, pos, tok, positives);
        if let Some(l) = label {
            d = d.with_secondary(l.0, l.1);
        }
        d = d.with_help(help);
    }
    if tok.text == "=" && positives.contains(&Rule::op_cmp) {
        d = d.with_help("use `==` to compare values");
    }
    if positives.contains(&Rule::rparen)
        && tok.text != ","
        && tok.text != "="
        && let Some(open) = unmatched_open_paren(src, pos)
    {
        d = d
            .with_secondary(Span::new(file, open, open + 1), "unclosed `(` opened here")
            .with_help("add the missing `)`");
    }
    d
}

/// A help line for a syntax error that has none yet, from the text around
/// the error (C or Python habits, a keyword missing its argument, ...),
/// with an optional extra label.
fn context_help(
    src: &str,
    file: FileId,
    pos: usize,
    tok: &Token,
    positives: &[Rule],
) -> (String, Option<(Span, &'static str)>) {
    let rest = src.get(pos..).unwrap_or("");
    let before = src.get(..pos).unwrap_or("");
    let prev = prev_word(src, pos).map(|(s, e)| &src[s..e]);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = rest.find('\n').map_or(src.len(), |i| pos + i);
    let line = src.get(line_start..line_end).unwrap_or("");
    if rest.starts_with("//") || rest.starts_with("/*") {
        return (
            "NMODL comments start with `:` (or use COMMENT ... ENDCOMMENT for several lines)"
                .into(),
            None,
        );
    }
    if tok.text == ";" {
        return (
            "NMODL statements end at the end of the line: remove the `;`".into(),
            None,
        );
    }
    if tok.text == "*" && before.ends_with('*') {
        return (
            "NMODL writes powers with `^`, e.g. `m^3`, not `m**3`".into(),
            None,
        );
    }
    if tok.text.starts_with('.') && before.ends_with(|c: char| c.is_ascii_digit()) {
        let start = before
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
            .len();
        let number = src.get(start..tok.end).unwrap_or("");
        return (
            format!("`{number}` is not a number: a number has at most one decimal point"),
            None,
        );
    }
    if tok.text == "(" && !src.get(tok.end..line_end).unwrap_or("").contains(')') {
        return (
            "this `(` is never closed on its line: add the missing `)`, e.g. `(S/cm2)`".into(),
            None,
        );
    }
    if tok.text == "else"
        && let Some(i) = find_elseif(before)
    {
        return (
            "`elseif` is not a keyword, so the `if` ended before it: write `else if`".into(),
            Some((Span::new(file, i, i + 6), "write `else if` here")),
        );
    }
    if let Some((i, word)) = find_miscased_keyword(src.get(line_start..pos).unwrap_or("")) {
        let at = line_start + i;
        let lower = word.to_ascii_lowercase();
        let upper = word.to_ascii_uppercase();
        return (
            format!(
                "`{word}` is not a keyword (nocmodl rejects it too): write `{lower}` or `{upper}`"
            ),
            Some((
                Span::new(file, at, at + word.len()),
                "spelled in mixed case",
            )),
        );
    }
    // A keyword whose argument is missing, possibly at the end of the line above.
    let kw_start = before
        .trim_end()
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let kw_end = before.trim_end().len();
    let kw_span = Span::new(file, kw_start, kw_end);
    match src.get(kw_start..kw_end) {
        Some("METHOD") => {
            return (
                "name the integration method, e.g. `METHOD cnexp` for a DERIVATIVE block or `METHOD sparse` for a KINETIC block".into(),
                Some((kw_span, "no method named after this")),
            );
        }
        Some("VALENCE") => {
            return (
                "VALENCE takes the charge of the ion, e.g. `VALENCE 2`".into(),
                Some((kw_span, "no charge given after this")),
            );
        }
        _ => {}
    }
    match prev {
        Some("if") | Some("while") | Some("IF") | Some("WHILE") => {
            return (
                "put the condition in parentheses, e.g. `if (v > 0) {`".into(),
                None,
            );
        }
        _ => {}
    }
    if positives.contains(&Rule::kw_to) {
        return ("a FROM loop reads `FROM i = 0 TO n { ... }`".into(), None);
    }
    if tok.text == ")" && line.contains("<->") && positives.contains(&Rule::comma) {
        return (
            "a reversible reaction takes two rates, forward and backward: `~ A <-> B (kf, kb)`"
                .into(),
            None,
        );
    }
    if positives
        .iter()
        .any(|r| matches!(r, Rule::decl_part | Rule::decl_value | Rule::assign))
        && tok.text.starts_with(|c: char| c.is_ascii_digit())
    {
        return (
            "a declaration reads `name = value (unit)`: add the `=`".into(),
            None,
        );
    }
    if !line.trim().is_empty() && !before[line_start..].trim().is_empty() {
        (
            "check this line for a typo, a missing operator or a missing bracket".into(),
            None,
        )
    } else {
        (
            "the statement before this point looks incomplete: check the line above".into(),
            None,
        )
    }
}

/// The start of the last whole word `elseif` in `text`, within the current
/// top-level block.
fn find_elseif(text: &str) -> Option<usize> {
    let block_start = text.rfind("\n}").map_or(0, |i| i + 2);
    let scope = &text[block_start..];
    let mut from = scope.len();
    while let Some(i) = scope[..from].rfind("elseif") {
        let b = scope.as_bytes();
        let before_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let after_ok = b
            .get(i + 6)
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        if before_ok && after_ok {
            return Some(block_start + i);
        }
        from = i;
    }
    None
}

/// The last word of `line` that is `if`, `else` or `while` in a case
/// neither NMODL nor nocmodl accepts (`If`, `Else`, `wHILE`): only the
/// all-lowercase and all-capital spellings are keywords.
fn find_miscased_keyword(line: &str) -> Option<(usize, &str)> {
    let mut found = None;
    let mut start = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        let word_char = c.is_ascii_alphanumeric() || c == '_';
        match (start, word_char) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let w = &line[s..i];
                let keyword = ["if", "else", "while"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k));
                let accepted = w.bytes().all(|b| b.is_ascii_lowercase())
                    || w.bytes().all(|b| b.is_ascii_uppercase());
                if keyword && !accepted {
                    found = Some((s, w));
                }
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// The `(` left open before `pos` in the current statement, if any (a
/// backwards scan that stops at braces).
fn unmatched_open_paren(src: &str, pos: usize) -> Option<usize> {
    let b = src.as_bytes().get(..pos)?;
    let mut depth = 0usize;
    for (i, c) in b.iter().enumerate().rev() {
        match c {
            b')' => depth += 1,
            b'(' if depth == 0 => return Some(i),
            b'(' => depth -= 1,
            b'{' | b'}' => return None,
            _ => {}
        }
    }
    None
}

/// True when the word starting at `ws` is the first token of its line.
fn stmt_start(src: &str, ws: usize) -> bool {
    let before = src.get(..ws).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    line.trim().is_empty() || line.trim_end().ends_with('{')
}

fn is_name_rule(r: Rule) -> bool {
    matches!(
        r,
        Rule::ident | Rule::name_list | Rule::lvalue | Rule::local_decl | Rule::param
    )
}

/// The token at a byte position.
struct Token {
    start: usize,
    end: usize,
    text: String,
    word: bool,
}

impl Token {
    fn describe(&self) -> String {
        if self.start >= self.end {
            return "end of file".to_string();
        }
        if self.word && is_reserved(&self.text) {
            return format!("keyword `{}`", self.text);
        }
        if self.text.starts_with('"') {
            return "a string".to_string();
        }
        format!("`{}`", self.text)
    }
}

fn token_at(src: &str, pos: usize) -> Token {
    let rest = src.get(pos..).unwrap_or("");
    let mut chars = rest.char_indices();
    let Some((_, c)) = chars.next() else {
        return Token {
            start: src.len(),
            end: src.len(),
            text: String::new(),
            word: false,
        };
    };
    let len = if c.is_ascii_alphabetic() || c == '_' {
        rest.find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len())
    } else if c.is_ascii_digit()
        || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
    {
        rest.find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.'))
            .unwrap_or(rest.len())
    } else if c == '"' {
        rest[1..]
            .find(['"', '\n'])
            .map(|i| i + 2)
            .unwrap_or(rest.len())
            .min(rest.len())
    } else {
        const OPS: &[&str] = &["<->", "->", "<<", "==", "!=", "<=", ">=", "&&", "||"];
        OPS.iter()
            .find(|op| rest.starts_with(*op))
            .map(|op| op.len())
            .unwrap_or(c.len_utf8())
    };
    let text = rest.get(..len).unwrap_or("").to_string();
    Token {
        start: pos,
        end: pos + len,
        word: c.is_ascii_alphabetic() || c == '_',
        text,
    }
}

/// The word ending just before `pos` (skipping spaces on the same line).
fn prev_word(src: &str, pos: usize) -> Option<(usize, usize)> {
    let before = src.get(..pos)?;
    let trimmed = before.trim_end_matches([' ', '\t']);
    let we = trimmed.len();
    let ws = trimmed
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    (ws < we && src[ws..].starts_with(|c: char| c.is_ascii_alphabetic())).then_some((ws, we))
}

/// The keyword a `kw_*` rule matches.
fn keyword_of(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::kw_define => "DEFINE",
        Rule::kw_include => "INCLUDE",
        Rule::kw_neuron => "NEURON",
        Rule::kw_units => "UNITS",
        Rule::kw_unitson => "UNITSON",
        Rule::kw_unitsoff => "UNITSOFF",
        Rule::kw_parameter => "PARAMETER",
        Rule::kw_constant => "CONSTANT",
        Rule::kw_assigned => "ASSIGNED",
        Rule::kw_state => "STATE",
        Rule::kw_independent => "INDEPENDENT",
        Rule::kw_depend => "DEPEND",
        Rule::kw_initial => "INITIAL",
        Rule::kw_breakpoint => "BREAKPOINT",
        Rule::kw_derivative => "DERIVATIVE",
        Rule::kw_kinetic => "KINETIC",
        Rule::kw_linear => "LINEAR",
        Rule::kw_nonlinear => "NONLINEAR",
        Rule::kw_discrete => "DISCRETE",
        Rule::kw_procedure => "PROCEDURE",
        Rule::kw_function => "FUNCTION",
        Rule::kw_function_table => "FUNCTION_TABLE",
        Rule::kw_net_receive => "NET_RECEIVE",
        Rule::kw_before => "BEFORE",
        Rule::kw_after => "AFTER",
        Rule::kw_constructor => "CONSTRUCTOR",
        Rule::kw_destructor => "DESTRUCTOR",
        Rule::kw_local => "LOCAL",
        Rule::kw_protect => "PROTECT",
        Rule::kw_solve => "SOLVE",
        Rule::kw_solvefor => "SOLVEFOR",
        Rule::kw_method => "METHOD",
        Rule::kw_steadystate => "STEADYSTATE",
        Rule::kw_iferror => "IFERROR",
        Rule::kw_if => "if",
        Rule::kw_else => "else",
        Rule::kw_while => "while",
        Rule::kw_from => "FROM",
        Rule::kw_to => "TO",
        Rule::kw_by => "BY",
        Rule::kw_with => "WITH",
        Rule::kw_start => "START",
        Rule::kw_conserve => "CONSERVE",
        Rule::kw_compartment => "COMPARTMENT",
        Rule::kw_longitudinal_diffusion => "LONGITUDINAL_DIFFUSION",
        Rule::kw_table => "TABLE",
        Rule::kw_watch => "WATCH",
        Rule::kw_mutexlock => "MUTEXLOCK",
        Rule::kw_mutexunlock => "MUTEXUNLOCK",
        Rule::kw_conductance => "CONDUCTANCE",
        Rule::kw_suffix => "SUFFIX",
        Rule::kw_point_process => "POINT_PROCESS",
        Rule::kw_artificial_cell => "ARTIFICIAL_CELL",
        Rule::kw_useion => "USEION",
        Rule::kw_read => "READ",
        Rule::kw_write => "WRITE",
        Rule::kw_valence => "VALENCE",
        Rule::kw_range => "RANGE",
        Rule::kw_global => "GLOBAL",
        Rule::kw_nonspecific_current => "NONSPECIFIC_CURRENT",
        Rule::kw_electrode_current => "ELECTRODE_CURRENT",
        Rule::kw_pointer => "POINTER",
        Rule::kw_bbcorepointer => "BBCOREPOINTER",
        Rule::kw_external => "EXTERNAL",
        Rule::kw_threadsafe => "THREADSAFE",
        Rule::kw_random => "RANDOM",
        Rule::kw_represents => "REPRESENTS",
        Rule::kw_for_netcons => "FOR_NETCONS",
        Rule::kw_lag => "LAG",
        _ => return None,
    })
}

/// How an expected unit is described.
const UNIT_WORDS: &str = "a unit such as `(mV)`";

/// Human words for what a rule stands for.
fn describe(r: Rule) -> String {
    if let Some(k) = keyword_of(r) {
        return format!("`{k}`");
    }
    let s = match r {
        Rule::item
        | Rule::file
        | Rule::title
        | Rule::define
        | Rule::include
        | Rule::neuron_block
        | Rule::units_block
        | Rule::declare_block
        | Rule::initial_block
        | Rule::breakpoint_block
        | Rule::solvable_block
        | Rule::procedure
        | Rule::function
        | Rule::function_table
        | Rule::net_receive
        | Rule::before_block
        | Rule::after_block
        | Rule::constructor
        | Rule::destructor
        | Rule::top_local => "a top-level block",
        Rule::EOI => "end of file",
        Rule::stmt
        | Rule::local
        | Rule::if_stmt
        | Rule::while_stmt
        | Rule::from_stmt
        | Rule::solve
        | Rule::table
        | Rule::conserve
        | Rule::compartment
        | Rule::longitudinal
        | Rule::watch
        | Rule::nested_initial
        | Rule::conductance
        | Rule::for_netcons
        | Rule::lag
        | Rule::protect
        | Rule::reaction
        | Rule::equation
        | Rule::derivative
        | Rule::assignment
        | Rule::call_stmt
        | Rule::verbatim => "a statement",
        Rule::expr
        | Rule::and_expr
        | Rule::cmp_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::power
        | Rule::primary
        | Rule::number_lit
        | Rule::paren
        | Rule::call
        | Rule::indexed
        | Rule::prime_ref
        | Rule::op_unary => "an expression",
        Rule::op_or | Rule::op_and | Rule::op_cmp | Rule::op_add | Rule::op_mul | Rule::op_pow => {
            "an operator"
        }
        Rule::ident | Rule::name_list | Rule::lvalue | Rule::local_decl | Rule::keyword => "a name",
        Rule::number | Rule::signed_number | Rule::integer | Rule::coeff | Rule::sign => "a number",
        Rule::string | Rule::string_body => "a string",
        Rule::unit | Rule::eunit | Rule::unit_body | Rule::eunit_body => "a unit such as `(mV)`",
        Rule::lbrace | Rule::block => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen | Rule::watch_item => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket | Rule::array_len => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::assign => "`=`",
        Rule::prime => "`'`",
        Rule::neuron_stmt
        | Rule::suffix
        | Rule::point_process
        | Rule::artificial_cell
        | Rule::useion
        | Rule::range
        | Rule::global
        | Rule::nonspecific_current
        | Rule::electrode_current
        | Rule::pointer
        | Rule::bbcorepointer
        | Rule::external
        | Rule::threadsafe
        | Rule::random
        | Rule::represents => "a NEURON statement (SUFFIX, USEION, RANGE, ...)",
        Rule::useion_read => "`READ`",
        Rule::useion_write => "`WRITE`",
        Rule::useion_valence => "`VALENCE`",
        Rule::useion_represents => "`REPRESENTS`",
        Rule::ontology_id => "an ontology id such as `NCIT:C17145`",
        Rule::unit_def | Rule::unit_alias | Rule::unit_constant => "a unit definition",
        Rule::var_decl => "a declaration",
        Rule::decl_kind => "a declaration block",
        Rule::solvable_kind => "an equation block",
        Rule::decl_part | Rule::decl_value => "`=`",
        Rule::decl_limits | Rule::decl_tolerance => "`<`",
        Rule::decl_from_to => "`FROM`",
        Rule::decl_start => "`START`",
        Rule::params | Rule::param => "a parameter list",
        Rule::react_side | Rule::react_term => "a reaction term",
        Rule::react_reversible => "`<->`",
        Rule::react_forward => "`->`",
        Rule::react_flux => "`<<`",
        Rule::else_if | Rule::else_part => "`else`",
        Rule::solve_method => "`METHOD`",
        Rule::solve_steadystate => "`STEADYSTATE`",
        Rule::table_depend => "`DEPEND`",
        Rule::compartment_body => "a volume expression",
        Rule::when => "BREAKPOINT, SOLVE, INITIAL or STEP",
        Rule::title_text | Rule::verbatim_body => "text",
        _ => return format!("{r:?}"),
    };
    s.to_string()
}

/// The expected things, deduplicated, with "an operator" and "end of file" last.
fn expected_list(positives: &[Rule]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in positives {
        let d = describe(*r);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort_by_key(|d| match d.as_str() {
        "an operator" => 2,
        "end of file" => 3,
        _ if d.starts_with('`') => 0,
        _ => 1,
    });
    out
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The candidate closest to `word`, if close enough to be a likely typo
/// (case differences count as typos too).
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let upper = word.to_ascii_uppercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = if c.eq_ignore_ascii_case(word) {
            0
        } else {
            crate::diag::suggest::distance(&upper, &c.to_ascii_uppercase())
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (word.len().max(3) / 3).max(1);
    (d <= limit && *c != *word).then_some(c)
}
