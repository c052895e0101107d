SELECT count(*) = 1 FROM patient WHERE name = 'An'
