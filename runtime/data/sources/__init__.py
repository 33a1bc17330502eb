"""Data sources: what a run's `data.sources` may name, and how each becomes token arrays.

    configs.py    the source configs (part of the job contract; no torch, no heavy imports):
                  draws.py (what every source has), user_configs.py (the user's data)
    files.py      the user's files: finding them, and fingerprints of their contents
    store.py      prepared sources on disk: the cache every source is built into once
    builtin.py    stdlib-code and stdlib-prose, shipped with Python itself
    synthetic.py  Markov languages, shifted and quality-graded corruptions of other sources
    user.py       the user's token files, text files and Hugging Face datasets
    prepare.py    a source config -> its prepared train and validation splits
"""
