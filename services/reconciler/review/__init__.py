"""The review workflow: what accountants decide about lines the matcher could not settle."""
