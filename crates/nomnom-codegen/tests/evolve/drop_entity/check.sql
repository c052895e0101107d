SELECT to_regclass('visit') IS NULL
