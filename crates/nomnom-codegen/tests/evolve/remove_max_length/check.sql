SELECT data_type = 'text' FROM information_schema.columns WHERE table_name = 'patient' AND column_name = 'name'
