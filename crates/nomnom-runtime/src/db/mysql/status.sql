-- One row per message: its lifecycle from 202 to its rows (or its dead letter), kept for
-- STATUS_RETENTION. Range-partitioned by acceptance time (RANGE COLUMNS on received_at):
-- the worker splits partitions off the MAXVALUE one ahead of time and drops those past the
-- retention whole (db::mysql::status). MySQL has no default partition: the first partition
-- takes every row older than the ones after it, and the last (MAXVALUE) every row newer, so a
-- missing partition never refuses a message. Idempotent.
CREATE TABLE IF NOT EXISTS message_status (
    message_id    BINARY(16) NOT NULL,
    status        VARCHAR(16) NOT NULL,
    entity_type   VARCHAR(255) NOT NULL,
    received_at   DATETIME(6) NOT NULL,
    processed_at  DATETIME(6) NULL,
    error_message TEXT NULL,
    note          TEXT NULL COMMENT 'For persisted: rows of the message that were not applied because a newer version was already stored.',
    retry_count   INT NOT NULL DEFAULT 0,
    trace_id      BINARY(16) NULL COMMENT 'The W3C trace the message was accepted in (its traceparent, or a new trace).',
    updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (message_id, received_at),
    CONSTRAINT message_status_status CHECK (status IN ('accepted', 'retrying', 'persisted', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Lifecycle of every ingested message, kept for STATUS_RETENTION (written by nomnom-runtime).'
PARTITION BY RANGE COLUMNS (received_at) (
    PARTITION message_status_first VALUES LESS THAN ('1970-01-02 00:00:00'),
    PARTITION message_status_last VALUES LESS THAN (MAXVALUE)
);
