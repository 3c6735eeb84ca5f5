//! Finds where a field sits in a block-style YAML text, so that errors found after parsing
//! (a duplicate id, an unknown related criterion) can name a line and column too.
//!
//! serde_yaml gives positions only for its own errors; this walks the indentation of the
//! text instead. It understands the block style catalogs are written in; for anything else
//! (flow style, anchors) it answers with the nearest enclosing place it could find.

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A key of a mapping.
    Key(String),
    /// An item of a sequence.
    Index(usize),
}

/// A path like `criteria[3].evidence[0].within`.
pub(crate) fn path_text(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses a serde_yaml path such as `criteria[3].evidence[0].kind` into steps.
pub(crate) fn parse_path(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                steps.push(Step::Key(rest[..open].to_owned()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..close].parse() {
                    steps.push(Step::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            steps.push(Step::Key(rest.to_owned()));
        }
    }
    steps
}

struct Line<'a> {
    /// Column of the first non-space character.
    indent: usize,
    /// Column where a key on this line starts (after any "- " markers).
    key_col: usize,
    /// The text from `key_col` on.
    rest: &'a str,
    /// Whether the line starts a sequence item.
    dash: bool,
    /// Blank or comment only.
    empty: bool,
}

fn scan(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .map(|raw| {
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let mut rest = &raw[indent..];
            let empty = rest.trim().is_empty() || rest.starts_with('#');
            let dash = rest.starts_with("- ") || rest == "-";
            let mut key_col = indent;
            while let Some(after) = rest.strip_prefix("- ") {
                let spaces = after.len() - after.trim_start_matches(' ').len();
                key_col += 2 + spaces;
                rest = &after[spaces..];
            }
            Line {
                indent,
                key_col,
                rest,
                dash,
                empty,
            }
        })
        .collect()
}

/// A range of lines whose keys sit at column `col`.
#[derive(Clone, Copy)]
struct Block {
    start: usize,
    end: usize,
    col: usize,
}

fn key_matches(rest: &str, key: &str) -> bool {
    let unquoted = rest
        .strip_prefix(key)
        .or_else(|| rest.strip_prefix(&format!("\"{key}\"")))
        .or_else(|| rest.strip_prefix(&format!("'{key}'")));
    unquoted.is_some_and(|after| after.starts_with(':'))
}

/// The lines below a key at `line`, up to the first line that is not nested under it.
fn value_block(lines: &[Line], line: usize, key_col: usize, end: usize) -> Block {
    let mut stop = line + 1;
    let mut child_col = None;
    while stop < end {
        let l = &lines[stop];
        if !l.empty {
            let nested = l.indent > key_col || (l.indent == key_col && l.dash);
            if !nested {
                break;
            }
            child_col.get_or_insert(l.key_col);
        }
        stop += 1;
    }
    Block {
        start: line + 1,
        end: stop,
        col: child_col.unwrap_or(key_col + 2),
    }
}

/// The 1-based line and column of the deepest step of `path` found in `text`.
pub(crate) fn locate(text: &str, path: &[Step]) -> Option<(usize, usize)> {
    let lines = scan(text);
    let mut block = Block {
        start: 0,
        end: lines.len(),
        col: lines.iter().find(|l| !l.empty).map_or(0, |l| l.key_col),
    };
    // An item's first key shares the line of its dash.
    let mut item_line: Option<usize> = None;
    let mut found = None;
    for step in path {
        match step {
            Step::Key(key) => {
                let from = item_line.take().unwrap_or(block.start);
                let hit = (from..block.end).find(|&i| {
                    let l = &lines[i];
                    !l.empty && l.key_col == block.col && key_matches(l.rest, key)
                })?;
                found = Some((hit + 1, block.col + 1));
                block = value_block(&lines, hit, block.col, block.end);
                // A value on the key's own line (flow style or scalar) has no block below.
                let after_colon = lines[hit].rest.split_once(':').map_or("", |(_, value)| value).trim();
                if !after_colon.is_empty() && !after_colon.starts_with('#') {
                    block.end = block.start;
                }
            }
            Step::Index(n) => {
                let dashes = || (block.start..block.end).filter(|&i| lines[i].dash);
                let dash_col = dashes().map(|i| lines[i].indent).min()?;
                let items: Vec<usize> = dashes().filter(|&i| lines[i].indent == dash_col).collect();
                let &line = items.get(*n)?;
                let end = items.get(n + 1).copied().unwrap_or(block.end);
                found = Some((line + 1, lines[line].indent + 1));
                let key_col = lines[line].indent + 2;
                block = Block {
                    start: line,
                    end,
                    col: key_col,
                };
                item_line = Some(line);
            }
        }
    }
    found
}

/// Like [`locate`], but falls back to the nearest enclosing step that was found.
pub(crate) fn locate_nearest(text: &str, path: &[Step]) -> Option<(usize, usize)> {
    (1..=path.len()).rev().find_map(|n| locate(text, &path[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
id: demo
version: 1.0.0
criteria:
  - id: \"4.1\"
    title: First
    evidence:
      - kind: training
        topics: [a]
        within: P12M
      - kind: document
        within: P1Y

  # a comment
  - id: \"4.2\"
    related: [\"4.1\"]
    evidence:
    - kind: attestation
      within: P12M
tail: x
";

    fn at(path: &str) -> Option<(usize, usize)> {
        locate(TEXT, &parse_path(path))
    }

    #[test]
    fn finds_top_level_keys() {
        assert_eq!(at("version"), Some((2, 1)));
        assert_eq!(at("tail"), Some((19, 1)));
    }

    #[test]
    fn finds_items_and_their_keys() {
        assert_eq!(at("criteria[0]"), Some((4, 3)));
        assert_eq!(at("criteria[0].id"), Some((4, 5)));
        assert_eq!(at("criteria[1].id"), Some((14, 5)));
        assert_eq!(at("criteria[0].evidence[1].within"), Some((11, 9)));
        assert_eq!(at("criteria[1].evidence[0].within"), Some((18, 7)));
        assert_eq!(at("criteria[1].related"), Some((15, 5)));
    }

    #[test]
    fn missing_steps_are_not_found_but_the_nearest_is() {
        assert_eq!(at("criteria[2]"), None);
        assert_eq!(at("criteria[0].evidence[1].every"), None);
        assert_eq!(
            locate_nearest(TEXT, &parse_path("criteria[0].evidence[1].every")),
            Some((10, 7))
        );
    }

    #[test]
    fn parses_serde_yaml_paths() {
        assert_eq!(
            parse_path("criteria[3].evidence[0].kind"),
            vec![
                Step::Key("criteria".into()),
                Step::Index(3),
                Step::Key("evidence".into()),
                Step::Index(0),
                Step::Key("kind".into())
            ]
        );
        assert_eq!(
            path_text(&parse_path("criteria[3].evidence[0].kind")),
            "criteria[3].evidence[0].kind"
        );
    }
}
