SELECT data_type = 'numeric' FROM information_schema.columns WHERE table_name = 'patient' AND column_name = 'age'
