//! Per-function settings, one file per pair of operations: `recursion` (Get/PutFunctionRecursionConfig:
//! recursive loop detection) and `runtime_management` (Get/PutRuntimeManagementConfig: runtime updates).
//! Each is a sub-resource of its function, stored and returned; lamina's runtimes are the host's, so
//! neither changes how a function runs.

mod recursion;
mod runtime_management;
