//! A custom runtime written in shell with curl, as AWS's custom-runtime tutorial does.

use crate::util::{Environment, repo_root, response_text};

#[tokio::test]
async fn a_curl_bootstrap_answers() {
    let fixtures = repo_root().join("tests/fixtures/shell");
    let env = Environment::start(&fixtures.join("bootstrap"), &[], &fixtures).await;
    for i in 0..3 {
        let reply = response_text(&env.invoke(&format!("req-{i}"), &format!(r#"{{"n":{i}}}"#)).await);
        assert_eq!(reply, format!(r#"{{"shell":true,"event":{{"n":{i}}}}}"#));
    }
}
