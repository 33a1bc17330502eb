"""The training loop of one run and what it stands on.

    trainer.py     the loop, from wherever the run begins to its last step
    device.py      CUDA with bf16 and fused kernels when present, fp32 on the CPU
    ddp.py         data parallel over the processes torchrun starts
    evaluation.py  validation loss per source
    averaging.py   weight averages (EMA, the last k checkpoints), evaluated beside the weights
    metrics.py     the per-step metrics log (JSONL)
    checkpoint.py  atomic checkpoints; resume.py where a run begins
"""
