-- One row per message: its lifecycle from 202 to its rows (or its dead letter).
CREATE TABLE IF NOT EXISTS message_status (
    message_id    UUID PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'retrying', 'persisted', 'failed')),
    entity_type   TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    processed_at  TIMESTAMPTZ,
    error_message TEXT,
    note          TEXT,
    retry_count   INTEGER NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE message_status IS 'Lifecycle of every ingested message (written by nomnom-runtime).';
-- Added with "newest wins": a status table created by an earlier release gains the column.
ALTER TABLE message_status ADD COLUMN IF NOT EXISTS note TEXT;
COMMENT ON COLUMN message_status.note IS 'For persisted: rows of the message that were not applied because a newer version was already stored.';
