SELECT count(*) = 0 FROM visit
