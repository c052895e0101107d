-- One row per message: its lifecycle from 202 to its rows (or its dead letter), kept for
-- STATUS_RETENTION. The table is range-partitioned by acceptance time: the worker creates
-- partitions ahead of time and drops those past the retention whole (status::partitions);
-- the default partition catches a row no partition covers (the range a new deployment
-- starts in, rows of an earlier release), so a missing partition never refuses a message. Idempotent, and run by the API as well as the migrations: serialised
-- by an advisory lock.
DO $status$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('nomnom.message_status.ddl'));
    IF to_regclass('message_status') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('message_status')) THEN
        -- A table of an earlier release, not partitioned: its rows move to the new table
        -- (into the default partition, whose rows the worker's maintenance deletes in
        -- chunks once past the retention).
        ALTER TABLE message_status RENAME TO message_status_unpartitioned;
        ALTER TABLE message_status_unpartitioned RENAME CONSTRAINT message_status_pkey TO message_status_unpartitioned_pkey;
        ALTER TABLE message_status_unpartitioned ADD COLUMN IF NOT EXISTS note TEXT;
    END IF;
    CREATE TABLE IF NOT EXISTS message_status (
        message_id    UUID NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('accepted', 'retrying', 'persisted', 'failed')),
        entity_type   TEXT NOT NULL,
        received_at   TIMESTAMPTZ NOT NULL,
        processed_at  TIMESTAMPTZ,
        error_message TEXT,
        note          TEXT,
        retry_count   INTEGER NOT NULL DEFAULT 0,
        updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        trace_id      UUID,
        PRIMARY KEY (message_id, received_at)
    ) PARTITION BY RANGE (received_at);
    CREATE TABLE IF NOT EXISTS message_status_default PARTITION OF message_status DEFAULT;
    -- A table of a release before trace context gains the column (on every partition).
    ALTER TABLE message_status ADD COLUMN IF NOT EXISTS trace_id UUID;
    COMMENT ON TABLE message_status IS 'Lifecycle of every ingested message, kept for STATUS_RETENTION (written by nomnom-runtime).';
    COMMENT ON COLUMN message_status.trace_id IS 'W3C trace id of the request that sent the message (its traceparent''s, or the trace the API started), as a uuid: its 32 hex digits are the uuid''s, so WHERE trace_id = ''4bf92f3577b34da6a3ce929d0e0e4736'' works as written.';
    COMMENT ON COLUMN message_status.note IS 'For persisted: rows of the message that were not applied because a newer version was already stored.';
    IF to_regclass('message_status_unpartitioned') IS NOT NULL THEN
        INSERT INTO message_status (message_id, status, entity_type, received_at, processed_at,
                                    error_message, note, retry_count, updated_at)
        SELECT message_id, status, entity_type, received_at, processed_at,
               error_message, note, retry_count, updated_at
        FROM message_status_unpartitioned;
        DROP TABLE message_status_unpartitioned;
    END IF;
END
$status$;
