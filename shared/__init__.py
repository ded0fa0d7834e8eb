"""What every Sverka service needs: settings, database, money, the journal and the outbox."""
