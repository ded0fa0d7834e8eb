"""Deployment helpers: database roles and grants, and the production topology on one machine."""
