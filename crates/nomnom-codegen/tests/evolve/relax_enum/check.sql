WITH u AS (UPDATE patient SET status = 'deceased' WHERE mrn = 'M1' RETURNING 1) SELECT count(*) = 1 FROM u
