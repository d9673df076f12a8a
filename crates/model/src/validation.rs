//! AWS's ValidationException messages, built from items in the order the checks found them.
//!
//! ```
//! use lamina_model::validation::Checks;
//!
//! let mut checks = Checks::default();
//! checks.range(3000, "timeout", 1, 900);
//! assert_eq!(
//!     checks.finish().unwrap_err().to_string(),
//!     "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: \
//!      Member must have value less than or equal to 900"
//! );
//! ```
//!
//! Grammar (control-api reference, section 2): `"<N> validation error(s) detected: " + join("; ", items)`
//! with each item `Value '<v>' at '<path>' failed to satisfy constraint: <constraint>`.

/// Collects validation items; [`Checks::finish`] turns them into an error if there are any.
#[derive(Debug, Default)]
pub struct Checks {
    items: Vec<String>,
}

impl Checks {
    /// Adds an item for a string value.
    pub fn string(&mut self, value: &str, path: &str, constraint: impl AsRef<str>) {
        self.items.push(format!(
            "Value '{value}' at '{path}' failed to satisfy constraint: {}",
            constraint.as_ref()
        ));
    }

    /// Adds an item for a value AWS does not echo (sensitive members).
    pub fn hidden(&mut self, path: &str, constraint: impl AsRef<str>) {
        self.items.push(format!(
            "Value at '{path}' failed to satisfy constraint: {}",
            constraint.as_ref()
        ));
    }

    /// Adds an item for a missing value.
    pub fn null(&mut self, path: &str) {
        self.items.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks an integer range.
    pub fn range(&mut self, value: i64, path: &str, min: i64, max: i64) {
        if value > max {
            self.string(
                &value.to_string(),
                path,
                format!("Member must have value less than or equal to {max}"),
            );
        } else if value < min {
            self.string(
                &value.to_string(),
                path,
                format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    /// Checks a string's length (in characters, as AWS counts).
    pub fn length(&mut self, value: &str, path: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n > max {
            self.string(
                value,
                path,
                format!("Member must have length less than or equal to {max}"),
            );
        } else if n < min {
            self.string(
                value,
                path,
                format!("Member must have length greater than or equal to {min}"),
            );
        }
    }

    /// Checks a string against a pattern; `shown` is AWS's text of the pattern.
    pub fn pattern(&mut self, value: &str, path: &str, re: &regex::Regex, shown: &str) {
        if !re.is_match(value) {
            self.string(
                value,
                path,
                format!("Member must satisfy regular expression pattern: {shown}"),
            );
        }
    }

    /// Appends items found elsewhere (in the order found).
    pub fn extend(&mut self, items: Vec<String>) {
        self.items.extend(items);
    }

    /// `Ok` if nothing failed, else the items found.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.items))
        }
    }
}

/// What a set of checks found: one ValidationException, its items in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.0))]
pub struct ValidationErrors(pub Vec<String>);

/// Renders items as one ValidationException message.
pub fn render(items: &[String]) -> String {
    let n = items.len();
    let noun = if n == 1 { "error" } else { "errors" };
    format!("{n} validation {noun} detected: {}", items.join("; "))
}

/// Renders a list as AWS does inside messages: `[a, b]`.
pub fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_two_items_follow_the_grammar() {
        let mut checks = Checks::default();
        checks.range(3000, "timeout", 1, 900);
        assert_eq!(
            checks.finish().expect_err("fails").to_string(),
            "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: \
             Member must have value less than or equal to 900"
        );
        let mut checks = Checks::default();
        checks.range(64, "memorySize", 128, 10240);
        checks.null("tagKeys");
        assert_eq!(
            checks.finish().expect_err("fails").to_string(),
            "2 validation errors detected: Value '64' at 'memorySize' failed to satisfy constraint: \
             Member must have value greater than or equal to 128; Value null at 'tagKeys' failed to satisfy \
             constraint: Member must not be null"
        );
    }

    #[test]
    fn nothing_failed_is_ok() {
        let mut checks = Checks::default();
        checks.length("abc", "description", 0, 256);
        assert!(checks.finish().is_ok());
    }
}
