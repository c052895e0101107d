//! The layer that counts and times every answer of the API by route template and status
//! ([`super::api_metrics::ApiMetrics::answered`]). The route is axum's [`MatchedPath`] (a
//! template such as `/ingest/status/{message_id}`, never the raw path, so the label's values
//! are bounded); a request no route matched is `unmatched`.
//!
//! Per request: two clock reads and the recording; no allocation (axum's `from_fn`
//! middleware would box a future for each request).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::Request;
use axum::response::Response;

use super::api_metrics::ApiMetrics;

/// Wraps the router's services with [`HttpMetricsService`].
#[derive(Debug, Clone, Copy)]
pub struct HttpMetricsLayer {
    metrics: &'static ApiMetrics,
}

impl HttpMetricsLayer {
    /// A layer recording into `metrics`.
    pub fn new(metrics: &'static ApiMetrics) -> Self {
        Self { metrics }
    }
}

impl<S> tower_layer::Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> HttpMetricsService<S> {
        HttpMetricsService {
            inner,
            metrics: self.metrics,
        }
    }
}

/// The service of [`HttpMetricsLayer`].
#[derive(Debug, Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    metrics: &'static ApiMetrics,
}

impl<S, B> tower_service::Service<Request<B>> for HttpMetricsService<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The template is shared (an `Arc<str>` inside axum): cloning it is one atomic add.
        let route = request.extensions().get::<MatchedPath>().cloned();
        let started = Instant::now();
        Recorded {
            inner: self.inner.call(request),
            started,
            route,
            metrics: self.metrics,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, recorded when it is ready.
    pub struct Recorded<F> {
        #[pin]
        inner: F,
        started: Instant,
        route: Option<MatchedPath>,
        metrics: &'static ApiMetrics,
    }
}

impl<F, E> Future for Recorded<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.inner.poll(cx));
        let status = match &answer {
            Ok(response) => response.status().as_u16(),
            Err(_) => 500,
        };
        this.metrics.answered(
            this.route.as_ref().map(MatchedPath::as_str),
            status,
            this.started.elapsed(),
        );
        Poll::Ready(answer)
    }
}
