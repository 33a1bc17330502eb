"""The model: a nanoGPT-shaped transformer whose parameters carry roles, and what the
parametrization makes of each role.

    gpt.py              the transformer and its parameter table
    parametrization.py  SP, muP and the other kinds as tables of per-role powers of width
    flops.py            model FLOPs per token and the hardware's peak, for MFU
"""
