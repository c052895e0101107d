SELECT col_description('patient'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'patient'::regclass AND attname = '_version')::int) LIKE '%whose rev is not older%'
