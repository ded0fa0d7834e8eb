"""The reconciler: statement intake, the matcher, the review workflow, the API and the CLI."""
