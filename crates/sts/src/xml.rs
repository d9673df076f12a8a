//! The little XML STS answers are made of.

/// Escapes text for an XML element's content.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A sequence of `<Name>text</Name>` elements.
#[derive(Debug, Default)]
pub(crate) struct Element {
    out: String,
}

impl Element {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends `<name>text</name>`, the text escaped.
    pub(crate) fn text(mut self, name: &str, text: &str) -> Self {
        self.out.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            Element::new().text("A", "x<y & 'z'").text("B", "").finish(),
            "<A>x&lt;y &amp; 'z'</A><B></B>"
        );
    }
}
