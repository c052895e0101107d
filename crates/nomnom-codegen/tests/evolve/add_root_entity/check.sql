SELECT count(*) = 0 FROM device
