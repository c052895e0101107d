SELECT count(*) = 2 FROM patient_visits
