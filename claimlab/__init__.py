"""claimlab: check claims about training dynamics by running the experiment that would show them.

The command line (`claimlab`, or `python -m claimlab`) is the only code that touches every
room: compiler (spec -> plan), launch (plan -> runs), runtime (one run) and report (results ->
site). `claimlab.main` builds the parser; `claimlab.commands` holds one module per command.
"""
