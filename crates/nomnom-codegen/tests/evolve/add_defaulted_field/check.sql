SELECT count(*) = 2 FROM patient WHERE country = 'NZ' AND score = 1.5
