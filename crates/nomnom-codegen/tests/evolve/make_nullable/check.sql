WITH u AS (UPDATE patient SET status = NULL WHERE mrn = 'M1' RETURNING 1) SELECT count(*) = 1 FROM u
