//! A query-protocol request's parameters: the form body's, then the query string's. Lists travel as
//! `Name.member.N` and structures in them as `Name.member.N.Field`, numbered from 1.

/// The parameters of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The parameters of the form `body` and the `query` string (the body's win).
    pub fn parse(query: Option<&str>, body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        pairs.extend(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned());
        Params { pairs }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The items of the list `name` (`name.member.1`, `name.member.2`, ... up to the first gap).
    pub fn list(&self, name: &str) -> Vec<&str> {
        (1..)
            .map_while(|i| self.get(&format!("{name}.member.{i}")))
            .collect()
    }

    /// The structures of the list `name`, each as the parameters of its fields (`name.member.N.Field`
    /// becomes `Field`), up to the first number with no field.
    pub fn structures(&self, name: &str) -> Vec<Params> {
        let mut out = Vec::new();
        for i in 1.. {
            let prefix = format!("{name}.member.{i}.");
            let pairs: Vec<(String, String)> = self
                .pairs
                .iter()
                .filter_map(|(n, v)| n.strip_prefix(&prefix).map(|field| (field.to_owned(), v.clone())))
                .collect();
            if pairs.is_empty() {
                break;
            }
            out.push(Params { pairs });
        }
        out
    }

    /// The entries of the map `name` (`name.entry.N.key` / `name.entry.N.value`), up to the first gap.
    pub fn map(&self, name: &str) -> Vec<(&str, &str)> {
        (1..)
            .map_while(|i| {
                let key = self.get(&format!("{name}.entry.{i}.key"))?;
                Some((
                    key,
                    self.get(&format!("{name}.entry.{i}.value")).unwrap_or_default(),
                ))
            })
            .collect()
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

    #[test]
    fn lists_structures_and_maps_are_numbered_from_one() {
        let params = Params::parse(
            None,
            b"Capabilities.member.1=CAPABILITY_IAM&Capabilities.member.2=CAPABILITY_AUTO_EXPAND\
              &Capabilities.member.4=GAP\
              &Parameters.member.1.ParameterKey=Stage&Parameters.member.1.ParameterValue=prod\
              &Parameters.member.2.ParameterKey=Size&Parameters.member.2.UsePreviousValue=true\
              &Tags.entry.1.key=team&Tags.entry.1.value=a",
        );
        assert_eq!(
            params.list("Capabilities"),
            ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
        );
        assert!(params.list("Missing").is_empty());
        let structures = params.structures("Parameters");
        assert_eq!(structures.len(), 2);
        assert_eq!(structures[0].get("ParameterKey"), Some("Stage"));
        assert_eq!(structures[0].get("ParameterValue"), Some("prod"));
        assert_eq!(structures[1].get("UsePreviousValue"), Some("true"));
        assert_eq!(params.map("Tags"), [("team", "a")]);
    }
}
