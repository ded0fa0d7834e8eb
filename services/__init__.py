"""Sverka's services: the reconciler (intake, matching, review, API) and the notifier."""
