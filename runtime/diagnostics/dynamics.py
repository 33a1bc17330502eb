"""Training-dynamics measurements, taken every `eval.diagnostics_every` steps.

    act_rms/<role>           RMS of the outputs of the modules holding the role's parameters
                             (embeddings, hidden matrices, norms, readout logits), averaged
                             over those modules, on this step's training batch
    update_rms/<role>        RMS of this step's change to the role's parameters
    act_change_rms/<role>    RMS of the change of the same modules' outputs since
                             initialisation, on a fixed probe sequence (feature learning,
                             Tensor Programs IV: Theta(1) in width under muP, shrinking under
                             NTK, growing under SP at a fixed learning rate)
    sigma_max/<group>        top singular value of each hidden matrix group (attn.query,
                             attn.key_value, attn.proj, mlp.up, mlp.down), mean over layers
    attn_entropy_min/<layer> and attn_entropy_mean/<layer>: each head's attention entropy (nats)
                             averaged over query positions, then the min and the mean over heads

Every value stays on the device until the record is written, so a measurement step costs one
synchronisation like any other step.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from runtime.model.gpt import GPT
from runtime.model.parametrization import ParamRule

# Sequences of the batch the attention entropy is measured on.
ENTROPY_SEQUENCES = 4
# Positions of the probe sequence feature changes are measured on: a causal model's first
# positions depend on nothing after them, and the initial outputs kept stay small at any width.
PROBE_POSITIONS = 128


class Diagnostics:
    def __init__(self, model: GPT, rules: list[ParamRule]):
        self.model = model
        params = dict(model.named_parameters())
        self.params_by_role: dict[str, list[nn.Parameter]] = defaultdict(list)
        module_role: dict[str, str] = {}
        self.matrix_groups: dict[str, list[nn.Parameter]] = defaultdict(list)
        for rule in rules:
            self.params_by_role[rule.role].append(params[rule.name])
            module, _, field = rule.name.rpartition(".")
            if field != "weight":
                continue   # a bias or σReparam's γ: its module is its weight's
            module_role[module] = rule.role
            if rule.role == "hidden":
                # blocks.<i>.attn.query.weight -> attn.query
                self.matrix_groups[module.split(".", 2)[2]].append(params[rule.name])
        self.module_role = module_role

    @contextlib.contextmanager
    def activations(self, into: dict[str, Tensor]) -> Iterator[None]:
        """While open, forward passes record act_rms/<role> into `into`."""
        found: dict[str, list[Tensor]] = defaultdict(list)

        def hook(role: str):
            def record(module: nn.Module, args: object, output: Tensor) -> None:
                found[role].append(output.detach().float().pow(2).mean().sqrt())
            return record

        handles = [self.model.get_submodule(name).register_forward_hook(hook(role))
                   for name, role in self.module_role.items()]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
        into.update({f"act_rms/{role}": torch.stack(values).mean()
                     for role, values in found.items()})

    @contextlib.contextmanager
    def _module_outputs(self) -> Iterator[dict[str, Tensor]]:
        """While open, forward passes keep each measured module's output, by module name."""
        outputs: dict[str, Tensor] = {}

        def hook(name: str):
            def keep(module: nn.Module, args: object, output: Tensor) -> None:
                outputs[name] = output.detach().float()
            return keep

        handles = [self.model.get_submodule(name).register_forward_hook(hook(name))
                   for name in self.module_role]
        try:
            yield outputs
        finally:
            for handle in handles:
                handle.remove()

    @torch.no_grad()
    def remember_initial_features(self, probe: Tensor) -> None:
        """Keeps the modules' outputs on `probe` (one sequence of token ids) as they are now,
        at initialisation, for act_change_rms. Call it on the weights the seed gives, before
        any checkpoint is loaded, so a resumed run measures from the same start."""
        self.probe = probe[:1, :PROBE_POSITIONS]
        with self._module_outputs() as outputs:
            self.model(self.probe)
        self.initial_features = dict(outputs)

    @torch.no_grad()
    def feature_change(self) -> dict[str, Tensor]:
        """act_change_rms/<role>: per module, the RMS of its output on the probe minus its
        output at initialisation, averaged over the role's modules."""
        with self._module_outputs() as outputs:
            self.model(self.probe)
        found: dict[str, list[Tensor]] = defaultdict(list)
        for name, output in outputs.items():
            change = output - self.initial_features[name]
            found[self.module_role[name]].append(change.pow(2).mean().sqrt())
        return {f"act_change_rms/{role}": torch.stack(values).mean()
                for role, values in found.items()}

    def snapshot(self) -> dict[str, list[Tensor]]:
        """The parameters as they are now, to measure the next update against."""
        return {role: [p.detach().clone() for p in ps] for role, ps in self.params_by_role.items()}

    def update_rms(self, before: dict[str, list[Tensor]]) -> dict[str, Tensor]:
        out = {}
        for role, params in self.params_by_role.items():
            squares = sum((p.detach() - old).float().pow(2).sum()
                          for p, old in zip(params, before[role]))
            out[f"update_rms/{role}"] = (squares / sum(p.numel() for p in params)).sqrt()
        return out

    @torch.no_grad()
    def spectra(self) -> dict[str, Tensor]:
        return {f"sigma_max/{group}": torch.linalg.matrix_norm(
                    torch.stack([p.float() for p in params]), ord=2).mean()
                for group, params in self.matrix_groups.items()}

    @torch.no_grad()
    def attention_entropy(self, idx: Tensor) -> dict[str, Tensor]:
        """Runs the first sequences of `idx` through the model with explicit attention."""
        x = self.model.embed(idx[:ENTROPY_SEQUENCES])
        out = {}
        for layer, block in enumerate(self.model.blocks):
            weights = block.attn.probabilities(block.attention_input(x)).float()
            # Per head: -sum p log p over keys, averaged over batch and query positions.
            per_head = -torch.special.xlogy(weights, weights).sum(-1).mean(dim=(0, 2))
            out[f"attn_entropy_min/{layer}"] = per_head.min()
            out[f"attn_entropy_mean/{layer}"] = per_head.mean()
            x = block(x)
        return out
