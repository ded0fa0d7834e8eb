"""Who may use the workspace: users with roles, password login, signed cookie sessions, CSRF, throttling."""
