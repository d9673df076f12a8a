//! The event source mapping operations, answered as for an account without mappings: lamina serves no
//! queues or streams (see `lamina_engine`'s `event_source_mappings`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use lamina_engine::Engine;
use serde_json::json;

use super::json_response;
use crate::error::ApiError;
use crate::extract::Paging;

pub(crate) async fn create(State(engine): State<Engine>) -> ApiError {
    engine.create_event_source_mapping().into()
}

pub(crate) async fn list(State(engine): State<Engine>, paging: Paging) -> Result<Response, ApiError> {
    engine.list_event_source_mappings(paging.max_items)?;
    Ok(json_response(StatusCode::OK, &json!({"EventSourceMappings": []})))
}

pub(crate) async fn one(State(engine): State<Engine>, Path(uuid): Path<String>) -> ApiError {
    engine.event_source_mapping(&uuid).into()
}
