"""The accountant's workspace: server-rendered pages over the review service, plain forms first."""
