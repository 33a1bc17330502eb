"""The subcommands: one module per command, each turning parsed arguments into calls on the
rooms."""
