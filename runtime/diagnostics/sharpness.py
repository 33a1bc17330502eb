"""Sharpness: the top eigenvalue of the Hessian of the training loss.

Each measurement differentiates the loss on one fixed batch twice (a Hessian-vector product is
the gradient of g·v, g the gradient kept in the graph) and runs the Lanczos iteration from the
same seeded random direction: power iteration's products, combined so that the top
eigenvalue is found even where an eigenvalue of larger magnitude is negative, as it can be
near init (plain power iteration would return that one). The estimate is the largest
eigenvalue of the small tridiagonal matrix the iteration builds; it rises towards the top
eigenvalue as iterations are added. Cohen et al. (2021) measure sharpness the same way.
Without reorthogonalisation the iteration keeps only three vectors, so its memory is that of
three copies of the weights whatever the number of iterations. Each measurement is a pure
function of the weights, so a resumed run measures what it would have measured uninterrupted.

The model runs in eval mode (σReparam's estimates stay put), without autocast (the second
derivative in full precision) and with the math attention kernel (the fused kernels have no
second derivative). Under data parallelism each process multiplies by the Hessian of its
share of the batch and the products are averaged: the Hessian of the whole batch's loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from runtime.training.ddp import SINGLE_PROCESS, World, all_mean
from runtime.training.evaluation import loss_fn

# Seeds the starting direction; any fixed value would do.
_START_SEED = 20210226


def top_eigenvalue(model: nn.Module, x: Tensor, y: Tensor, row_weights: Tensor | None,
                   iterations: int, world: World = SINGLE_PROCESS) -> float:
    """The top eigenvalue of the Hessian of the loss on (x, y), from `iterations`
    Hessian-vector products."""
    params = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    model.eval()
    try:
        with sdpa_kernel(SDPBackend.MATH):
            loss = loss_fn(model(x), y, row_weights)
            grads = torch.autograd.grad(loss, params, create_graph=True)

            def hessian_times(v: list[Tensor]) -> Sequence[Tensor]:
                hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
                return _averaged(world, hv)

            return _lanczos_top(hessian_times, _start(params), iterations)
    finally:
        model.train(was_training)


def _lanczos_top(times, start: list[Tensor], iterations: int) -> float:
    """The largest Ritz value of `iterations` Lanczos steps of the symmetric operator."""
    v, previous, beta = _scaled(start, 1 / _norm(start)), None, torch.zeros(())
    alphas: list[Tensor] = []
    betas: list[Tensor] = []
    for step in range(iterations):
        w = [t.detach() for t in times(v)]
        alpha = _dot(w, v)
        w = [a - alpha * b for a, b in zip(w, v)]
        if previous is not None:
            w = [a - beta * b for a, b in zip(w, previous)]
        alphas.append(alpha)
        beta = _norm(w)
        if step == iterations - 1 or beta.item() < 1e-10 * abs(alpha.item()):
            break   # a Krylov space that closed holds the top eigenvector already
        betas.append(beta)
        previous, v = v, _scaled(w, 1 / beta)
    diagonal = torch.stack(alphas).double().cpu()
    tridiagonal = torch.diag(diagonal)
    if betas:
        off = torch.stack(betas).double().cpu()
        tridiagonal += torch.diag(off, 1) + torch.diag(off, -1)
    return torch.linalg.eigvalsh(tridiagonal)[-1].item()


def _start(params: Sequence[Tensor]) -> list[Tensor]:
    generator = torch.Generator(device=params[0].device).manual_seed(_START_SEED)
    return [torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype)
            for p in params]


def _dot(a: Sequence[Tensor], b: Sequence[Tensor]) -> Tensor:
    return sum((x * y).sum() for x, y in zip(a, b))


def _norm(vectors: Sequence[Tensor]) -> Tensor:
    return torch.sqrt(_dot(vectors, vectors))


def _scaled(vectors: Sequence[Tensor], factor: Tensor | float) -> list[Tensor]:
    return [v * factor for v in vectors]


def _averaged(world: World, vectors: Sequence[Tensor]) -> Sequence[Tensor]:
    if not world.distributed:
        return vectors
    flat = all_mean(world, torch.cat([v.flatten() for v in vectors]))
    return [chunk.view_as(v) for chunk, v in zip(flat.split([v.numel() for v in vectors]),
                                                  vectors)]
