//! The AWS Lambda REST API (2015-03-31) as lamina serves it.
//!
//! [`router`] returns the whole API as an axum `Router` over an [`lamina_engine::Engine`]. The API
//! surface is one table (`surface.rs`): every operation of the Lambda service model with its method,
//! URI and how lamina answers it, checked against botocore's copy of the model by a test; `routes.rs`
//! builds the router from it. There is one handler per served operation in `operations/`, and every
//! error leaves through `error.rs`, the one place that knows HTTP statuses, `x-amzn-ErrorType` codes
//! and the casing of error bodies. Every request passes SigV4 verification first (`auth.rs`, through
//! `lamina-auth`), which names the caller's account and region; handlers take what they need with the
//! extractors of `extract.rs` (`CallerScope`, `Qualifier`, `Paging`, the query), parse the body, call
//! one engine method and render its answer.
//!
//! Every response carries `x-amzn-RequestId`. Operations of the Lambda service model that lamina does
//! not serve yet answer 400 `UnsupportedOperationException` naming the operation (never a status the
//! SDKs retry).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = lamina_engine::Engine::open(lamina_engine::EngineConfig {
//!     data_dir: "/tmp/lamina".into(),
//!     account_id: "000000000000".into(),
//!     strict_packages: false,
//!     ..lamina_engine::EngineConfig::new(std::path::PathBuf::new())
//! })?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let config = lamina_control_api::ApiConfig {
//!     authentication: lamina_control_api::Authentication::SigV4(
//!         lamina_auth::CredentialSet::development("000000000000"),
//!     ),
//!     default_account: "000000000000".into(),
//!     public_endpoint: "http://127.0.0.1:9001".into(),
//!     server_key: lamina_auth::ServerKey::load_or_create("/tmp/lamina/server-key".as_ref())?,
//!     uploads: lamina_control_api::Uploads::new("/tmp/lamina/spool".into()),
//! };
//! axum::serve(listener, lamina_control_api::router(engine, config)).await?;
//! # Ok(()) }
//! ```

mod auth;
mod body;
mod error;
mod event_stream;
mod extract;
mod operations;
mod request;
mod routes;
mod surface;

pub use auth::{ApiConfig, Authentication};
pub use body::Uploads;
pub use error::ApiError;
pub use routes::router;
