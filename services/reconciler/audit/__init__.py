"""The audit journal over HTTP: anyone checking the books can ask whether the chain still holds."""
