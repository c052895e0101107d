SELECT character_maximum_length = 60 FROM information_schema.columns WHERE table_name = 'patient' AND column_name = 'name'
