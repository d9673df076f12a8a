//! Event source mappings: lamina serves no queues or streams (SQS, Kinesis, DynamoDB Streams, Kafka, MQ,
//! DocumentDB) for a mapping to read from, so none can be created. The operations answer as AWS does for
//! an account without mappings: CreateEventSourceMapping is refused (InvalidParameterValueException,
//! saying why), ListEventSourceMappings lists none, and Get, Update and DeleteEventSourceMapping find
//! none.

use crate::{Engine, EngineError};

/// Why CreateEventSourceMapping is refused.
const NO_SOURCES: &str = "lamina serves no queues or streams (SQS, Kinesis, DynamoDB Streams, Kafka, Amazon MQ, \
                          DocumentDB) for an event source mapping to read from: event source mappings cannot be \
                          created. Invoke the function directly or asynchronously instead.";

impl Engine {
    /// CreateEventSourceMapping's refusal.
    pub fn create_event_source_mapping(&self) -> EngineError {
        EngineError::InvalidParameter(NO_SOURCES.into())
    }

    /// ListEventSourceMappings: none (after checking `MaxItems`).
    pub fn list_event_source_mappings(&self, max_items: Option<i64>) -> Result<(), EngineError> {
        crate::validate::input(
            "ListEventSourceMappings",
            &(),
            &[("MaxItems", crate::validate::optional(max_items))],
        )
    }

    /// Get, Update and DeleteEventSourceMapping's answer: AWS's 404, as no mapping exists.
    pub fn event_source_mapping(&self, _uuid: &str) -> EngineError {
        EngineError::NotFound("The resource you requested does not exist.".into())
    }
}
