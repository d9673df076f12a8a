//! A query-protocol request's parameters: the form body's, then the query string's.

/// The parameters of one request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The parameters of the form `body` and the `query` string (the body's win).
    pub(crate) fn parse(query: Option<&str>, body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        pairs.extend(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned());
        Params { pairs }
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_wins_over_the_query() {
        let params = Params::parse(
            Some("Action=A&Extra=q%20s"),
            b"Action=GetCallerIdentity&Version=2011-06-15",
        );
        assert_eq!(params.get("Action"), Some("GetCallerIdentity"));
        assert_eq!(params.get("Extra"), Some("q s"));
        assert_eq!(params.get("Missing"), None);
    }
}
