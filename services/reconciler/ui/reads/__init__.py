"""Read models only the workspace needs: overview by account and period, books, banking."""
