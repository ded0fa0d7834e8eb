"""Statement intake: files and API pulls become stored, deduplicated bank lines."""
