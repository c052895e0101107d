WITH u AS (UPDATE patient SET age = 180 WHERE mrn = 'M1' RETURNING 1) SELECT count(*) = 1 FROM u
