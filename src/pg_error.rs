//! Turning Diesel's view of a PostgreSQL error into text a user can act on.

use diesel::result::Error as DieselError;

/// PostgreSQL's message with its detail and hint, on one or more lines.
pub fn describe(error: &DieselError) -> String {
    match error {
        DieselError::DatabaseError(_, info) => {
            let mut text = info.message().trim_end().to_string();
            if let Some(detail) = info.details() {
                text.push_str(&format!("\n  detail: {detail}"));
            }
            if let Some(hint) = info.hint() {
                text.push_str(&format!("\n  hint: {hint}"));
            }
            text
        }
        other => other.to_string().trim_end().to_string(),
    }
}

/// The 1-based character position PostgreSQL reported for the error, if any.
pub fn position(error: &DieselError) -> Option<usize> {
    match error {
        DieselError::DatabaseError(_, info) => info
            .statement_position()
            .and_then(|p| usize::try_from(p).ok()),
        _ => None,
    }
}

/// Converts a 1-based character position in `text` into a 1-based line number.
pub fn line_of(text: &str, char_position: usize) -> Option<usize> {
    if char_position == 0 {
        return None;
    }
    let mut line = 1;
    for (seen, ch) in text.chars().enumerate() {
        if seen + 1 == char_position {
            return Some(line);
        }
        if ch == '\n' {
            line += 1;
        }
    }
    None
}

/// True when the server answered "empty query": the text held only comments
/// or whitespace, so there was nothing to run. Diesel reports that answer
/// (libpq's `PGRES_EMPTY_QUERY`) as an error with this fixed message.
pub fn is_empty_query(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info) if info.message() == "Received an empty query")
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn positions_map_to_lines() {
        let sql = "SELECT 1;\nSELEC 2;\n";
        assert_eq!(line_of(sql, 1), Some(1));
        assert_eq!(line_of(sql, 11), Some(2));
        assert_eq!(line_of(sql, 100), None);
        assert_eq!(line_of(sql, 0), None);
        assert_eq!(line_of("é\nx", 3), Some(2));
    }
}
