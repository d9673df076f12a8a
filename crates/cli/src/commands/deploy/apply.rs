//! Carrying out the plan through the API, one step at a time, waiting for each function to settle
//! (State Active, LastUpdateStatus Successful) before the next change, as Lambda requires.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use lamina_model::wire::{FunctionConfiguration, LastUpdateStatus, State};

use super::api::Lambda;
use super::code::Package;
use super::plan::FunctionDiff;
use lamina_template::requests;
use lamina_template::resources::{FunctionSpec, LayerSpec};

/// How long one function may take to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How often its state is read meanwhile.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Publishes a new version of a layer; returns its version ARN.
pub(crate) fn publish_layer(
    api: &Lambda<'_>,
    spec: &LayerSpec,
    package: &Package,
    out: &mut impl Write,
) -> Result<String> {
    write!(out, "{}: PublishLayerVersion {} ... ", spec.logical_id, spec.name)?;
    out.flush()?;
    let reply = ended(
        api.publish_layer_version(&spec.name, &requests::publish_layer(spec, package.code())),
        out,
    )?;
    writeln!(out, "version {}", reply.body.version)?;
    server_findings(out, &spec.logical_id, package, &reply.warnings)?;
    Ok(reply.body.layer_version_arn)
}

/// Creates a function, waits for it to be Active, and reserves its concurrency.
pub(crate) fn create_function(
    api: &Lambda<'_>,
    spec: &FunctionSpec,
    package: &Package,
    default_role: &str,
    out: &mut impl Write,
) -> Result<()> {
    step(out, spec, "CreateFunction")?;
    let reply = ended(
        api.create_function(&requests::create_function(spec, package.code(), default_role)),
        out,
    )?;
    settle(api, spec, out)?;
    server_findings(out, &spec.logical_id, package, &reply.warnings)?;
    if let Some(reserved) = spec.reserved_concurrency {
        write!(out, "{}: PutFunctionConcurrency {reserved} ... ", spec.logical_id)?;
        ended(api.put_function_concurrency(&spec.name, reserved), out)?;
        writeln!(out, "done")?;
    }
    Ok(())
}

/// Updates what `diff` names: code (and architecture), then configuration, then concurrency, waiting
/// for the function to settle before and after each update.
pub(crate) fn update_function(
    api: &Lambda<'_>,
    spec: &FunctionSpec,
    package: &Package,
    diff: &FunctionDiff,
    out: &mut impl Write,
) -> Result<()> {
    if !diff.code.is_empty() || !diff.configuration.is_empty() {
        wait_settled(api, &spec.name)?;
    }
    if !diff.code.is_empty() {
        step(out, spec, "UpdateFunctionCode")?;
        let reply = ended(
            api.update_function_code(&spec.name, &requests::update_code(spec, package.code())),
            out,
        )?;
        settle(api, spec, out)?;
        server_findings(out, &spec.logical_id, package, &reply.warnings)?;
    }
    if !diff.configuration.is_empty() {
        step(out, spec, "UpdateFunctionConfiguration")?;
        ended(
            api.update_function_configuration(&spec.name, &requests::update_configuration(spec)),
            out,
        )?;
        settle(api, spec, out)?;
    }
    if diff.concurrency {
        match spec.reserved_concurrency {
            Some(reserved) => {
                write!(out, "{}: PutFunctionConcurrency {reserved} ... ", spec.logical_id)?;
                ended(api.put_function_concurrency(&spec.name, reserved), out)?;
            }
            None => {
                write!(out, "{}: DeleteFunctionConcurrency ... ", spec.logical_id)?;
                ended(api.delete_function_concurrency(&spec.name), out)?;
            }
        }
        writeln!(out, "done")?;
    }
    Ok(())
}

/// Prints what the server found wrong with a package fetched from S3 (it accepts such packages, as
/// Lambda does; the function fails when it starts). An inline package was inspected here, and its
/// findings were printed with the plan.
fn server_findings(
    out: &mut impl Write,
    logical_id: &str,
    package: &Package,
    warnings: &[String],
) -> Result<()> {
    if let Package::S3 { .. } = package {
        for warning in warnings {
            writeln!(out, "warning: {logical_id}: {warning}")?;
        }
    }
    Ok(())
}

fn step(out: &mut impl Write, spec: &FunctionSpec, operation: &str) -> Result<()> {
    write!(out, "{}: {operation} {} ... ", spec.logical_id, spec.name)?;
    out.flush()?;
    Ok(())
}

/// Ends the progress line with "failed" when the step failed, so the error (on stderr) starts a line.
fn ended<T>(result: Result<T>, out: &mut impl Write) -> Result<T> {
    if result.is_err() {
        writeln!(out, "failed")?;
    }
    result
}

/// Waits for the function to settle and finishes the progress line.
fn settle(api: &Lambda<'_>, spec: &FunctionSpec, out: &mut impl Write) -> Result<()> {
    let started = Instant::now();
    ended(wait_settled(api, &spec.name), out)?;
    writeln!(out, "Active ({:.1} s)", started.elapsed().as_secs_f64())?;
    Ok(())
}

/// Polls GetFunctionConfiguration until State is Active and LastUpdateStatus is not InProgress (what
/// the `function_active_v2` and `function_updated_v2` waiters wait for); a Failed state or update is
/// an error with Lambda's reason.
fn wait_settled(api: &Lambda<'_>, name: &str) -> Result<FunctionConfiguration> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let configuration = api.get_function_configuration(name)?;
        let reason = |reason: &Option<String>| reason.clone().unwrap_or_else(|| "no reason given".to_owned());
        match (configuration.state, configuration.last_update_status) {
            (Some(State::Failed), _) => bail!("{name} failed: {}", reason(&configuration.state_reason)),
            (_, Some(LastUpdateStatus::Failed)) => bail!(
                "the update of {name} failed: {}",
                reason(&configuration.last_update_status_reason)
            ),
            (Some(State::Active), Some(LastUpdateStatus::Successful) | None) => return Ok(configuration),
            (state, update) if Instant::now() > deadline => bail!(
                "{name} did not settle within {} s (State {state:?}, LastUpdateStatus {update:?})",
                SETTLE_TIMEOUT.as_secs()
            ),
            _ => std::thread::sleep(POLL_INTERVAL),
        }
    }
}
