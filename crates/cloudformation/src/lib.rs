//! CloudFormation on lamina's one endpoint (query protocol, `Action=...&Version=2010-05-15`), so that
//! `aws cloudformation deploy`, `sam deploy` and the SDKs' stacks work against lamina. Templates are
//! evaluated by `lamina-template`, the engine `lamina deploy` uses; resources are made by lamina's
//! engine:
//!
//! - `AWS::Lambda::Function` and `AWS::Serverless::Function` (code in S3 or inline) are functions,
//!   waited for until Active; `AWS::Lambda::LayerVersion` and `AWS::Serverless::LayerVersion` are layer
//!   versions.
//! - IAM roles and policies, log groups, buckets and a few others are recorded: their `Ref` and
//!   `Fn::GetAtt` resolve, nothing is enforced. Any other type is recorded too, with a status reason that
//!   says lamina does not provision it; the stack does not fail for it.
//!
//! Stacks are kept durably ([`store`]); operations run after their request is answered, with events for
//! every status ([`operations`]), and roll back as CloudFormation does. Change sets list what an update
//! would add, modify or remove, and are executed like updates.

mod actions;
mod desired;
mod operations;
mod provision;
mod record;
mod render;
mod store;
mod template_url;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use lamina_auth::CredentialSet;
use lamina_engine::Engine;
use lamina_query::Service;

pub use provision::Buckets;
pub use store::StoreError;

const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/// The largest request taken (a 51,200-byte template, URL-encoded, with parameters).
const BODY_MAX: usize = 1024 * 1024;

/// What the CloudFormation service needs.
pub struct CloudFormationConfig {
    /// The server's keys; `None`: every request is taken in `default_account`.
    pub credentials: Option<CredentialSet>,
    /// The account of unauthenticated requests.
    pub default_account: String,
    /// The engine resources are made with.
    pub engine: Engine,
    /// The endpoint's public address (function URLs' `FunctionUrl` is made on it).
    pub public_endpoint: String,
    /// Where stacks are kept (`<data-dir>/cloudformation`).
    pub dir: PathBuf,
    /// lamina's S3, for `TemplateURL` (`None`: only `TemplateBody` works).
    pub objects: Option<Arc<dyn lamina_store::ObjectSource>>,
    /// lamina's S3, where `AWS::S3::Bucket` resources are made (`None`: they are recorded only).
    pub buckets: Option<Arc<dyn Buckets>>,
}

pub(crate) struct CloudFormation {
    service: Service,
    stacks: Arc<operations::Stacks>,
    objects: Option<Arc<dyn lamina_store::ObjectSource>>,
}

/// The CloudFormation API as a router that answers every path, its stacks read from `config.dir`; a
/// stack whose operation a stop cut off is marked failed first.
pub async fn router(config: CloudFormationConfig) -> Result<Router, StoreError> {
    let store = store::StackStore::open(&config.dir)?;
    let stacks = Arc::new(operations::Stacks {
        store,
        provisioner: provision::Provisioner {
            engine: config.engine,
            urls: Arc::new(lamina_engine::UrlAddresses::new(&config.public_endpoint)),
            buckets: config.buckets,
        },
    });
    stacks.recover().await;
    let cf = CloudFormation {
        service: Service::new(
            "cloudformation",
            (NAMESPACE, "2010-05-15"),
            config.credentials,
            config.default_account,
            BODY_MAX,
        ),
        stacks,
        objects: config.objects,
    };
    Ok(Router::new().fallback(handle).with_state(Arc::new(cf)))
}

async fn handle(State(cf): State<Arc<CloudFormation>>, request: Request) -> Response {
    let request = match cf.service.read(request).await {
        Ok(request) => request,
        Err(e) => return cf.service.answer("", Err(e)),
    };
    let (caller, params) = (&request.caller, &request.params);
    let cf = cf.as_ref();
    let result = match request.action() {
        "CreateStack" => actions::create_stack(cf, caller, params).await,
        "UpdateStack" => actions::update_stack(cf, caller, params).await,
        "DeleteStack" => actions::delete_stack(cf, caller, params).await,
        "DescribeStacks" => actions::describe_stacks(cf, caller, params),
        "ListStacks" => actions::list_stacks(cf, caller, params),
        "DescribeStackEvents" => actions::describe_stack_events(cf, caller, params),
        "DescribeStackResource" => actions::describe_stack_resource(cf, caller, params),
        "DescribeStackResources" => actions::describe_stack_resources(cf, caller, params),
        "ListStackResources" => actions::list_stack_resources(cf, caller, params),
        "GetTemplate" => actions::get_template(cf, caller, params),
        "ValidateTemplate" => actions::validate_template(cf, caller, params, false).await,
        "GetTemplateSummary" => actions::validate_template(cf, caller, params, true).await,
        "CreateChangeSet" => actions::create_change_set(cf, caller, params).await,
        "DescribeChangeSet" => actions::describe_change_set(cf, caller, params),
        "ExecuteChangeSet" => actions::execute_change_set(cf, caller, params).await,
        "DeleteChangeSet" => actions::delete_change_set(cf, caller, params).await,
        "ListChangeSets" => actions::list_change_sets(cf, caller, params),
        other => Err(cf.service.unknown_action(other)),
    };
    cf.service.answer(request.action(), result)
}
