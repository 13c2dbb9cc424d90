"""Operations: configuration and reachability checks, backups and restore."""
