SELECT count(*) = 1 FROM patient WHERE note = 'none'
