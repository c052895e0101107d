SELECT count(*) = 0 FROM information_schema.columns WHERE table_name = 'patient' AND column_name = '_version'
