"""One module per `cardstation` sub-command; each exposes add_parser(subparsers)."""
