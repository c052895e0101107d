//! NATS connection, stream and consumer setup: the one owner of JetStream configuration.

pub mod consumer;
