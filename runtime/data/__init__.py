"""The data a run trains on: sources, how they are mixed, and each step's batch.

    sources/     what `data.sources` may name, and how each becomes token arrays
    mixing.py    the mix plan: how many of each step's sequences come from each source
    streams.py   a source's stream: the window a run reads at its k-th draw
    sampler.py   which tokens each step trains on, and the fixed validation windows
    batches.py   train and validation batches as tensors
    inspect.py   what a run will train on, as plain data (`claimlab data`)
"""
