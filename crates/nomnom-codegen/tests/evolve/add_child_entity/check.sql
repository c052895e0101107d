SELECT to_regclass('allergy') IS NOT NULL AND (SELECT count(*) FROM patient) = 2
