SELECT count(*) = 2 FROM encounter
