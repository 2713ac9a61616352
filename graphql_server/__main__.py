"""``python -m graphql_server`` runs the command line."""

from graphql_server.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
