SELECT obj_description('patient'::regclass) = 'A patient of the clinic.'
