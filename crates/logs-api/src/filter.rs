//! CloudWatch Logs filter patterns of terms: every plain term (a word, or a `"quoted phrase"`) must
//! appear in the message, at least one `?term` must when there are any, and no `-term` may; matching is
//! case-sensitive, as CloudWatch's. JSON (`{ $.x = ... }`) and space-delimited (`[a, b]`) patterns are
//! refused with a message that says so.

/// A parsed filter pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterPattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl FilterPattern {
    /// Parses `pattern`; the error is the message of the InvalidParameterException.
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        let trimmed = pattern.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return Err(format!(
                "Invalid filter pattern '{pattern}': lamina matches terms, quoted phrases, ?terms and -terms; \
                 JSON and space-delimited filter patterns are not supported"
            ));
        }
        let mut parsed = FilterPattern::default();
        let mut rest = trimmed;
        while !rest.is_empty() {
            let (prefix, body) = match rest.as_bytes()[0] {
                b'?' => (Some('?'), &rest[1..]),
                b'-' if rest.len() > 1 => (Some('-'), &rest[1..]),
                _ => (None, rest),
            };
            let (term, after) = if let Some(quoted) = body.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| format!("Invalid filter pattern '{pattern}': a quote is not closed"))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], &body[end..])
            };
            if !term.is_empty() {
                let list = match prefix {
                    Some('?') => &mut parsed.any,
                    Some(_) => &mut parsed.none,
                    None => &mut parsed.all,
                };
                list.push(term.to_owned());
            }
            rest = after.trim_start();
        }
        Ok(parsed)
    }

    /// Whether `message` matches.
    pub(crate) fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).expect("pattern").matches(message)
    }

    #[test]
    fn terms_phrases_options_and_exclusions() {
        assert!(matches("", "anything"));
        assert!(matches("ERROR timeout", "ERROR: db timeout after 3s"));
        assert!(!matches("ERROR timeout", "ERROR: db refused"));
        assert!(matches("\"db timeout\"", "ERROR: db timeout after 3s"));
        assert!(!matches("\"db timeout\"", "timeout in db"));
        assert!(matches("?ERROR ?WARN", "WARN: slow"));
        assert!(!matches("?ERROR ?WARN", "INFO: fine"));
        assert!(matches("REPORT -Init", "REPORT RequestId: 1 Duration: 2 ms"));
        assert!(!matches(
            "REPORT -Init",
            "REPORT RequestId: 1 Init Duration: 2 ms"
        ));
        assert!(!matches("error", "ERROR"), "case-sensitive");
    }

    #[test]
    fn unsupported_and_broken_patterns_say_so() {
        assert!(
            FilterPattern::parse("{ $.level = \"ERROR\" }")
                .expect_err("refused")
                .contains("JSON")
        );
        assert!(
            FilterPattern::parse("[ip, user]")
                .expect_err("refused")
                .contains("space-delimited")
        );
        assert!(
            FilterPattern::parse("\"open")
                .expect_err("refused")
                .contains("quote")
        );
    }
}
