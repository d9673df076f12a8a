//! The load generator: keep-alive HTTP/1.1 connections (one request at a time on each), closed-loop at a
//! given concurrency or open-loop at a given rate, latencies recorded in HDR histograms.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// Signs a request of the harness with the development key a fresh `lamina serve` accepts (`test`/`test`),
/// for `us-east-1`, as the SDKs sign: the headers it returns go with the request as they are.
pub(crate) fn signed_headers(
    method: &Method,
    addr: SocketAddr,
    path: &str,
    body: &[u8],
) -> Result<HeaderMap> {
    let credential = lamina_auth::Credential {
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        account_id: "000000000000".into(),
    };
    let uri: hyper::Uri = format!("http://{addr}{path}").parse().context("request URI")?;
    let mut headers = HeaderMap::new();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let signer = lamina_auth::Signer {
        credential: &credential,
        region: "us-east-1",
        service: "lambda",
        now: chrono::Utc::now(),
    };
    lamina_auth::sign_request(&signer, method, &uri, &mut headers, body)?;
    Ok(headers)
}

/// One request, sent again and again.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Where the server listens.
    pub(crate) addr: SocketAddr,
    /// The request path.
    pub(crate) path: String,
    /// The request body.
    pub(crate) body: Bytes,
    /// `X-Amz-Invocation-Type`, when not the default.
    pub(crate) invocation_type: Option<&'static str>,
    /// The server's process, whose CPU time a closed loop measures (its own, not the bootstraps').
    pub(crate) server_pid: Option<u32>,
    /// The signed headers, made on the first request and sent with every one (a signature is valid for
    /// 15 minutes, longer than any run).
    signed: std::sync::OnceLock<HeaderMap>,
}

impl Target {
    /// A POST of `body` to `path` on `addr`.
    pub(crate) fn post(addr: SocketAddr, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Target {
            addr,
            path: path.into(),
            body: body.into(),
            invocation_type: None,
            server_pid: None,
            signed: std::sync::OnceLock::new(),
        }
    }

    /// The same, measuring the CPU time of the server `pid`.
    pub(crate) fn measuring_cpu_of(mut self, pid: u32) -> Self {
        self.server_pid = Some(pid);
        self
    }

    fn request(&self) -> Result<Request<Full<Bytes>>> {
        let signed = match self.signed.get() {
            Some(signed) => signed,
            None => {
                let mut headers = HeaderMap::new();
                if let Some(kind) = self.invocation_type {
                    headers.insert("x-amz-invocation-type", HeaderValue::from_static(kind));
                }
                let made = signed_headers(&Method::POST, self.addr, &self.path, &self.body)?;
                headers.extend(made);
                self.signed.get_or_init(|| headers)
            }
        };
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .body(Full::new(self.body.clone()))
            .context("building a request")?;
        request.headers_mut().clone_from(signed);
        Ok(request)
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// Latencies of successful requests, in microseconds.
    pub(crate) latency: Histogram<u64>,
    /// Requests answered 200 without `X-Amz-Function-Error`.
    pub(crate) ok: u64,
    /// Other answers and transport errors.
    pub(crate) errors: u64,
    /// Wall time of the run.
    pub(crate) elapsed: Duration,
    /// CPU time used during the recorded part (when measured).
    pub(crate) cpu: Option<CpuUse>,
}

/// CPU times at one moment: the server's, each of its children's, this process's.
pub(crate) type CpuSample = (Duration, HashMap<u32, Duration>, Duration);

/// CPU time used during a run, by the three programs an invoke involves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuUse {
    /// The server's own threads.
    pub(crate) server: Duration,
    /// The server's child processes (the bootstraps; in sandbox mode their helpers).
    pub(crate) children: Duration,
    /// This process: the load generator.
    pub(crate) load_generator: Duration,
}

impl CpuUse {
    /// The CPU times now of `server`, its children and this process.
    pub(crate) fn sample(server: u32) -> Result<CpuSample> {
        let children = crate::procs::children(server)?
            .into_iter()
            .filter_map(|pid| Some((pid, crate::procs::cpu_time(pid).ok()?)))
            .collect();
        Ok((
            crate::procs::cpu_time(server)?,
            children,
            crate::procs::cpu_time(std::process::id())?,
        ))
    }

    /// What was used between two samples (a child started in between counts whole).
    pub(crate) fn between(before: &CpuSample, after: &CpuSample) -> CpuUse {
        CpuUse {
            server: after.0.saturating_sub(before.0),
            children: after
                .1
                .iter()
                .map(|(pid, t)| t.saturating_sub(before.1.get(pid).copied().unwrap_or_default()))
                .sum(),
            load_generator: after.2.saturating_sub(before.2),
        }
    }
}

impl Measured {
    fn new() -> Result<Self> {
        Ok(Measured {
            latency: new_histogram()?,
            ok: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            cpu: None,
        })
    }

    fn merge(&mut self, other: &Measured) -> Result<()> {
        self.latency.add(&other.latency).context("merging histograms")?;
        self.ok += other.ok;
        self.errors += other.errors;
        Ok(())
    }

    /// Successful requests per second.
    pub(crate) fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// CPU time per successful invoke, in microseconds, of the server, its children and the load
    /// generator (when measured).
    pub(crate) fn cpu_per_invoke(&self) -> Option<[f64; 3]> {
        let cpu = self.cpu?;
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.ok as f64;
        (self.ok > 0).then(|| [per(cpu.server), per(cpu.children), per(cpu.load_generator)])
    }

    /// The latency at `quantile` (0..=1), in microseconds.
    pub(crate) fn at(&self, quantile: f64) -> u64 {
        self.latency.value_at_quantile(quantile)
    }
}

/// A histogram of microseconds from 1 µs to 10 minutes, 3 significant digits.
pub(crate) fn new_histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 600_000_000, 3).context("creating a histogram")
}

/// Records `elapsed` (in microseconds, at least 1) into `histogram`.
pub(crate) fn record(histogram: &mut Histogram<u64>, elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).max(1);
    histogram.saturating_record(micros);
}

/// One keep-alive HTTP/1.1 connection.
pub(crate) struct Connection {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Connection {
    /// Connects to `addr` (TCP_NODELAY, as the SDKs do).
    pub(crate) async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(connection);
        Ok(Connection { sender, addr })
    }

    /// Sends one request of `target`; `true` when it succeeded (200, no function error).
    pub(crate) async fn send(&mut self, target: &Target) -> Result<bool> {
        self.sender.ready().await.context("connection closed")?;
        let response = self.sender.send_request(target.request()?).await?;
        let ok = response.status().is_success() && !response.headers().contains_key("x-amz-function-error");
        response.into_body().collect().await?;
        Ok(ok)
    }

    /// Sends any request and returns the status and body.
    pub(crate) async fn call(&mut self, method: Method, path: &str, body: Bytes) -> Result<(u16, Bytes)> {
        self.sender.ready().await.context("connection closed")?;
        let headers = signed_headers(&method, self.addr, path, &body)?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body))?;
        *request.headers_mut() = headers;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// Closed loop: `concurrency` connections, each sending its next request as soon as the last one is
/// answered, for `duration` after `warmup` (not recorded).
pub(crate) async fn closed_loop(
    target: &Target,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<Measured> {
    let mut connections = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        connections.push(Connection::open(target.addr).await?);
    }
    let start = Instant::now();
    let record_from = start + warmup;
    let end = record_from + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for mut connection in connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut measured = Measured::new()?;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let ok = connection.send(&target).await;
                let done = Instant::now();
                if sent < record_from {
                    ok?;
                    continue;
                }
                match ok {
                    Ok(true) => {
                        record(&mut measured.latency, done - sent);
                        measured.ok += 1;
                    }
                    Ok(false) => measured.errors += 1,
                    Err(e) => {
                        measured.errors += 1;
                        return Err(e);
                    }
                }
            }
            anyhow::Ok(measured)
        }));
    }
    let cpu = target.server_pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep_until(record_from.into()).await;
            let before = CpuUse::sample(pid)?;
            tokio::time::sleep_until(end.into()).await;
            anyhow::Ok(CpuUse::between(&before, &CpuUse::sample(pid)?))
        })
    });
    let mut total = Measured::new()?;
    for task in tasks {
        total.merge(&task.await??)?;
    }
    total.elapsed = Instant::now().saturating_duration_since(record_from);
    if let Some(cpu) = cpu {
        total.cpu = Some(cpu.await??);
    }
    Ok(total)
}

/// Open loop: requests sent at `rate` per second for `duration`, whatever the answers, on up to
/// `max_connections` keep-alive connections. Each latency runs from the request's scheduled time, so a
/// server that falls behind shows it (no coordinated omission).
pub(crate) async fn open_loop(
    target: &Target,
    rate: f64,
    duration: Duration,
    max_connections: usize,
) -> Result<Measured> {
    if rate <= 0.0 {
        bail!("the rate must be positive");
    }
    let idle: Arc<Mutex<Vec<Connection>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let count = (rate * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for i in 0..count {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let (idle, permits, target) = (idle.clone(), permits.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let reused = idle.lock().await.pop();
            let mut connection = match reused {
                Some(c) => c,
                None => Connection::open(target.addr).await?,
            };
            let ok = connection.send(&target).await?;
            let latency = tokio::time::Instant::now() - scheduled;
            idle.lock().await.push(connection);
            anyhow::Ok((ok, latency))
        }));
    }
    let mut measured = Measured::new()?;
    for task in tasks {
        match task.await? {
            Ok((true, latency)) => {
                record(&mut measured.latency, latency);
                measured.ok += 1;
            }
            _ => measured.errors += 1,
        }
    }
    measured.elapsed = start.elapsed();
    Ok(measured)
}
