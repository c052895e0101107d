SELECT count(*) = 2 FROM patient WHERE email IS NULL
