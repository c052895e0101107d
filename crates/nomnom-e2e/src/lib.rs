//! End-to-end tests of generated pipelines live in `tests/`: each builds an example with
//! `nomnom generate` (once, in the shared build cache), runs its worker and API as processes
//! against the real NATS and PostgreSQL, and checks what landed.
