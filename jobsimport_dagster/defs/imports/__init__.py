"""Import definitions: partitions, sensors, ops, jobs, metadata."""
