SELECT count(*) = 1 FROM patient WHERE full_name = 'Ann'
