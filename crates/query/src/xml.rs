//! The XML query-protocol answers are made of: elements with escaped text, nested elements, and lists of
//! `<member>` items.

/// Escapes text for an XML element's content.
pub fn escape(text: &str) -> String {
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

/// A sequence of elements, built in order.
#[derive(Debug, Default, Clone)]
pub struct Element {
    out: String,
}

impl Element {
    /// An empty sequence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `<name>text</name>`, the text escaped.
    pub fn text(mut self, name: &str, text: &str) -> Self {
        self.out.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// Appends `<name>text</name>` when there is a text.
    pub fn optional(self, name: &str, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.text(name, text),
            None => self,
        }
    }

    /// Appends `<name>...</name>` around `children`.
    pub fn child(mut self, name: &str, children: Element) -> Self {
        self.out.push_str(&format!("<{name}>{}</{name}>", children.out));
        self
    }

    /// Appends `<name><member>...</member>...</name>`, one `member` for each item.
    pub fn list(mut self, name: &str, items: impl IntoIterator<Item = Element>) -> Self {
        self.out.push_str(&format!("<{name}>"));
        for item in items {
            self.out.push_str(&format!("<member>{}</member>", item.out));
        }
        self.out.push_str(&format!("</{name}>"));
        self
    }

    /// Appends `<name><member>text</member>...</name>`.
    pub fn texts<'a>(self, name: &str, items: impl IntoIterator<Item = &'a str>) -> Self {
        let items = items.into_iter().map(|text| Element { out: escape(text) });
        self.list(name, items)
    }

    /// The XML.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_lists_hold_members() {
        assert_eq!(
            Element::new().text("A", "x<y & 'z'").text("B", "").finish(),
            "<A>x&lt;y &amp; 'z'</A><B></B>"
        );
        let xml = Element::new()
            .optional("None", None)
            .list("Stacks", [Element::new().text("StackName", "s")])
            .texts("Capabilities", ["CAPABILITY_IAM"])
            .child("Outer", Element::new().text("Inner", "1"))
            .finish();
        assert_eq!(
            xml,
            "<Stacks><member><StackName>s</StackName></member></Stacks>\
             <Capabilities><member>CAPABILITY_IAM</member></Capabilities><Outer><Inner>1</Inner></Outer>"
        );
    }
}
