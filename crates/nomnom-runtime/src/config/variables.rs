// Every environment variable the generated binaries read, with its default and meaning.
//
// This file is self-contained on purpose: `nomnom-codegen` includes it (`include!`) to write
// `.env.example`, the compose file and the Helm chart, so none of them can drift from what
// the binaries actually read. A runtime test checks that every variable read is listed here.

/// One environment variable read by a generated binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: &'static str,
    /// The value used when it is unset (`""`: unset means "not used").
    pub default: &'static str,
    /// Which binaries read it.
    pub read_by: ReadBy,
    /// `true` for passwords, tokens and URLs that may embed credentials: deployments keep
    /// them in secrets.
    pub secret: bool,
    /// One or two sentences for `.env.example` and the chart's documentation.
    pub doc: &'static str,
}

/// Which binaries read a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    Api,
    Worker,
    Both,
}

/// Every variable, grouped as `.env.example` shows them.
pub const ENV_VARS: &[EnvVar] = &[
    // --- NATS: one owner of stream and consumer configuration (both binaries) ---
    EnvVar { name: "NATS_URL", default: "nats://localhost:4222", read_by: ReadBy::Both, secret: false, doc: "NATS server URL(s), comma-separated for a cluster." },
    EnvVar { name: "NATS_STREAM", default: "MESSAGES", read_by: ReadBy::Both, secret: false, doc: "JetStream stream name. Subjects are `<stream lowercased>.ingest.<Entity>`; dead letters go to stream `<STREAM>_DLQ` on `<stream lowercased>.dlq.<Entity>`." },
    EnvVar { name: "NATS_MAX_AGE", default: "24h", read_by: ReadBy::Both, secret: false, doc: "How long the stream keeps a message (s, m, h, d)." },
    EnvVar { name: "NATS_MAX_BYTES", default: "1GB", read_by: ReadBy::Both, secret: false, doc: "Stream size limit (B, KB, MB, GB, KiB, MiB, GiB). When full, new messages are refused (503 with Retry-After); old ones are never dropped." },
    EnvVar { name: "NATS_REPLICAS", default: "1", read_by: ReadBy::Both, secret: false, doc: "Stream replicas: set to the number of servers of a NATS cluster (at most 5)." },
    EnvVar { name: "NATS_DUPLICATE_WINDOW", default: "2m", read_by: ReadBy::Both, secret: false, doc: "Window in which a repeated Nats-Msg-Id (Idempotency-Key) is recognised as a duplicate." },
    EnvVar { name: "NATS_DLQ_MAX_AGE", default: "7d", read_by: ReadBy::Both, secret: false, doc: "How long the dead-letter stream keeps a message." },
    EnvVar { name: "NATS_PUBLISH_TIMEOUT", default: "5s", read_by: ReadBy::Both, secret: false, doc: "How long to wait for JetStream to acknowledge a publish before answering 503." },
    EnvVar { name: "NATS_CREDS_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "Path to a NATS credentials (.creds) file." },
    EnvVar { name: "NATS_TOKEN", default: "", read_by: ReadBy::Both, secret: true, doc: "NATS authentication token." },
    EnvVar { name: "NATS_USER", default: "", read_by: ReadBy::Both, secret: false, doc: "NATS user name (with NATS_PASSWORD)." },
    EnvVar { name: "NATS_PASSWORD", default: "", read_by: ReadBy::Both, secret: true, doc: "NATS password (with NATS_USER)." },
    EnvVar { name: "NATS_TLS_CA_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM file of the CA that signed the NATS server certificate; turns TLS on." },
    EnvVar { name: "NATS_TLS_CERT_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM client certificate for mutual TLS (with NATS_TLS_KEY_FILE)." },
    EnvVar { name: "NATS_TLS_KEY_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM private key of the client certificate." },
    EnvVar { name: "NATS_CONSUMER", default: "workers", read_by: ReadBy::Both, secret: false, doc: "Durable pull consumer shared by every worker process." },
    EnvVar { name: "NATS_ACK_WAIT", default: "30s", read_by: ReadBy::Both, secret: false, doc: "How long a delivered message may stay unacknowledged before JetStream redelivers it." },
    EnvVar { name: "NATS_MAX_DELIVER", default: "10", read_by: ReadBy::Both, secret: false, doc: "Deliveries of one message before it is dead-lettered." },
    EnvVar { name: "NATS_BACKOFF", default: "1s,5s,15s,30s,1m,2m,5m", read_by: ReadBy::Both, secret: false, doc: "Redelivery delays after each failed attempt (the last repeats)." },
    // --- PostgreSQL ---
    EnvVar { name: "DATABASE_URL", default: "postgres://postgres@localhost:5432/postgres", read_by: ReadBy::Both, secret: true, doc: "PostgreSQL connection URL. Its sslmode is libpq's: disable, prefer (the default: TLS when offered, unverified), require, verify-ca, verify-full. The API reads it only for status lookups and recording accepted ids; ingestion never waits on it." },
    EnvVar { name: "DATABASE_CA_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM file of the CA(s) PostgreSQL's certificate must chain to (sslmode=verify-ca or verify-full in DATABASE_URL; with sslmode=require it turns verification on). Unset: the system's CA certificates." },
    EnvVar { name: "DATABASE_CERT_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM client certificate (chain) for a PostgreSQL server that asks for one (with DATABASE_KEY_FILE)." },
    EnvVar { name: "DATABASE_KEY_FILE", default: "", read_by: ReadBy::Both, secret: false, doc: "PEM private key of DATABASE_CERT_FILE." },
    EnvVar { name: "DATABASE_MAX_CONNECTIONS", default: "8", read_by: ReadBy::Both, secret: false, doc: "Connections in the pool of each process." },
    EnvVar { name: "STATUS_RETENTION", default: "7d", read_by: ReadBy::Both, secret: false, doc: "How long message_status keeps a message's row, by acceptance time: older partitions are dropped whole by the worker, and the API answers a lookup of an older message with 404 status-expired. 0 keeps every status." },
    EnvVar { name: "STATUS_PARTITION_INTERVAL", default: "1d", read_by: ReadBy::Both, secret: false, doc: "Time range of one message_status partition (at least 1s; STATUS_RETENTION spans at most 1,000 of them); statuses live between STATUS_RETENTION and STATUS_RETENTION plus one interval." },
    // --- HTTP API ---
    EnvVar { name: "HOST", default: "0.0.0.0", read_by: ReadBy::Api, secret: false, doc: "Address the API listens on." },
    EnvVar { name: "PORT", default: "8080", read_by: ReadBy::Api, secret: false, doc: "Port the API listens on." },
    EnvVar { name: "API_MAX_BODY_BYTES", default: "1MiB", read_by: ReadBy::Api, secret: false, doc: "Largest body of POST /ingest/message (413 above)." },
    EnvVar { name: "API_MAX_BATCH_BYTES", default: "16MiB", read_by: ReadBy::Api, secret: false, doc: "Largest body of POST /ingest/batch (413 above)." },
    EnvVar { name: "API_MAX_BATCH_LINES", default: "10000", read_by: ReadBy::Api, secret: false, doc: "Most lines in one POST /ingest/batch (413 above)." },
    EnvVar { name: "API_THREADS", default: "1", read_by: ReadBy::Api, secret: false, doc: "Threads serving requests. One is fastest on small machines shared with NATS (no cross-thread wake-ups); scale out with replicas, or raise it on a dedicated multi-core host." },
    EnvVar { name: "API_MAX_IN_FLIGHT", default: "4096", read_by: ReadBy::Api, secret: false, doc: "Messages being published at once; past it clients get 503 with Retry-After instead of queueing." },
    EnvVar { name: "API_BODY_TIMEOUT", default: "30s", read_by: ReadBy::Api, secret: false, doc: "Longest a request body may take to arrive once its header is read (ms, s, m); a slower one is answered 408 and its connection closed." },
    EnvVar { name: "API_HEADER_TIMEOUT", default: "30s", read_by: ReadBy::Api, secret: false, doc: "Longest a connection may take to send a complete request header, from when it opens or from the previous answer on a kept-alive connection (ms, s, m); a silent or slower connection is closed." },
    // --- MLLP listener (HL7 v2) ---
    EnvVar { name: "API_KEYS_FILE", default: "", read_by: ReadBy::Api, secret: false, doc: "File of API keys, one per line `name:scopes:sha256-hex-of-the-key` (scopes ingest and status, joined with +; # comments). Re-read when it changes and on SIGHUP. Unset: the API is open." },
    EnvVar { name: "RATE_LIMIT_PER_SECOND", default: "", read_by: ReadBy::Api, secret: false, doc: "Requests per second allowed to each key (to each client address without keys) on /ingest/*; over it, 429 with Retry-After. Unset or 0: no limit." },
    EnvVar { name: "RATE_LIMIT_BURST", default: "", read_by: ReadBy::Api, secret: false, doc: "Requests a client may send at once before RATE_LIMIT_PER_SECOND applies. Unset: equal to RATE_LIMIT_PER_SECOND." },
    EnvVar { name: "MLLP_PORT", default: "", read_by: ReadBy::Api, secret: false, doc: "Port on which the API also takes HL7 v2 messages over MLLP (0x0B, message, 0x1C 0x0D), answering each with an HL7 ACK before reading the next. Unset: no MLLP listener." },
    EnvVar { name: "MLLP_MAX_FRAME_BYTES", default: "", read_by: ReadBy::Api, secret: false, doc: "Largest message in one MLLP frame (B, KB, MB, KiB, MiB); a longer frame closes its connection without an answer. Unset: API_MAX_BODY_BYTES." },
    EnvVar { name: "MLLP_IDLE_TIMEOUT", default: "5m", read_by: ReadBy::Api, secret: false, doc: "How long an MLLP connection may send nothing (or leave an answer unread) before it is closed." },
    EnvVar { name: "MLLP_FRAME_TIMEOUT", default: "30s", read_by: ReadBy::Api, secret: false, doc: "How long one MLLP frame may take to arrive once it has begun; a frame trickled in more slowly closes its connection without an answer." },
    EnvVar { name: "HL7_TIMEZONE", default: "UTC", read_by: ReadBy::Both, secret: false, doc: "IANA time zone (Europe/Berlin) of HL7 v2 times written without an offset; a bad name stops the service at start-up." },
    EnvVar { name: "MLLP_MAX_CONNECTIONS", default: "1024", read_by: ReadBy::Api, secret: false, doc: "MLLP connections served at once; a connection over the limit is closed at once." },
    // --- Worker ---
    EnvVar { name: "WORKER_BATCH_SIZE", default: "500", read_by: ReadBy::Worker, secret: false, doc: "Most messages fetched and written in one transaction." },
    EnvVar { name: "WORKER_BATCH_WAIT", default: "100ms", read_by: ReadBy::Worker, secret: false, doc: "Longest wait for a batch to fill before writing what arrived." },
    EnvVar { name: "WORKER_CONCURRENCY", default: "2", read_by: ReadBy::Worker, secret: false, doc: "Batches in flight at once per worker process." },
    EnvVar { name: "WORKER_HEALTH_PORT", default: "8081", read_by: ReadBy::Worker, secret: false, doc: "Port of the worker's /health and /ready endpoints (0 turns them off)." },
    // --- Traces (OpenTelemetry) ---
    EnvVar { name: "OTEL_EXPORTER_OTLP_ENDPOINT", default: "", read_by: ReadBy::Both, secret: false, doc: "OTLP collector base URL for spans over HTTP/protobuf (`http://collector:4318`; `/v1/traces` is appended). Unset (with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): no span is exported. The other standard OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables apply." },
    EnvVar { name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", default: "", read_by: ReadBy::Both, secret: false, doc: "Full OTLP URL for spans (`http://collector:4318/v1/traces`), used as given; overrides OTEL_EXPORTER_OTLP_ENDPOINT." },
    EnvVar { name: "OTEL_METRICS_EXPORTER", default: "prometheus", read_by: ReadBy::Both, secret: false, doc: "`prometheus`: metrics on `/metrics` (the API's port, the worker's WORKER_HEALTH_PORT) in the Prometheus text format. `none`: no metric is kept and `/metrics` answers 404." },
    EnvVar { name: "OTEL_PROPAGATORS", default: "tracecontext", read_by: ReadBy::Both, secret: false, doc: "`tracecontext` (with `baggage` allowed beside it): a request's W3C `traceparent` is kept, carried on NATS to the worker and stored with the message's status. `none`: no trace context is read or carried." },
    EnvVar { name: "OTEL_SERVICE_NAME", default: "", read_by: ReadBy::Both, secret: false, doc: "Service name of exported spans. Unset: `<project>-ingestion-api` and `<project>-worker`." },
    // --- Logs ---
    EnvVar { name: "RUST_LOG", default: "info", read_by: ReadBy::Both, secret: false, doc: "Log filter (tracing EnvFilter syntax)." },
    EnvVar { name: "LOG_FORMAT", default: "text", read_by: ReadBy::Both, secret: false, doc: "`text` for people, `json` for log pipelines." },
];
