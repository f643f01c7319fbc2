"""Each update as one compiled graph: ``torch.compile(fullgraph=True)`` of the whole
control update and of the whole guide update (losses, gradients, clipping, Adam, the
temperature caps and the Polyak targets), and of the control action choice (``Agent.act``,
``Agent.qmp_act``).

The update bodies are the eager ones (``Updates.control_body``, ``Updates.guide_body``);
only their ``Steps`` differ. ``FunctionalSteps`` forms each group's gradient with
``torch.func.grad`` (``torch.func.jacrev`` for PCGrad's per-task gradients) over
``torch.func.functional_call`` of the networks, and applies it with the tensor arithmetic
of ``ctpg.algo.functional`` on the optimizers' own state tensors: the parameters, the
optimizer state and the counters stay where the eager learner keeps them, so checkpoints
are interchangeable and ``compile="off"`` resumes a compiled run and back.

Outside the graphs: PaCo's reset of extreme tasks (data-dependent shapes; one host read
once masking is active) and the update counters. Random draws go through the eager
random generator (inductor's ``fallback_random``), so a compiled run draws the same
numbers as an eager one and differs only by float rounding (``tests/algo/test_compiled.py``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch._inductor.custom_graph_pass import CustomGraphPass

from ctpg.algo import functional as F
from ctpg.algo.networks import AgentNets
from ctpg.algo.pcgrad import combine_task_gradients
from ctpg.algo.updates import Objective, StackedMetrics, Updates, stack_metrics

CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def use_user_cache() -> Path:
    """Keep inductor's on-disk cache in the user cache directory (``$XDG_CACHE_HOME/ctpg/
    inductor``, else ``~/.cache/ctpg/inductor``) unless ``TORCHINDUCTOR_CACHE_DIR`` is set;
    a second run then loads its compiled kernels instead of compiling them again."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "ctpg" / "inductor"
    os.environ[CACHE_ENV] = str(path)
    return path


class SplitBiasFromMatmul(CustomGraphPass):
    """inductor pass (CPU): ``addmm(bias, a, b)`` becomes ``mm(a, b) + bias``, so that the
    bias joins the fused kernel of what follows (the activation, the loss) instead of
    being copied into the product's output first. Inductor does the same on GPUs; on CPU
    it keeps ``addmm``, whose ATen call expands and copies the bias (three more ATen
    calls and one more pass over the output per layer)."""

    def __call__(self, graph: torch.fx.Graph) -> None:
        addmm = torch.ops.aten.addmm.default
        for node in list(graph.nodes):
            if node.op != "call_function" or node.target is not addmm:
                continue
            if node.kwargs.get("beta", 1) != 1 or node.kwargs.get("alpha", 1) != 1:
                continue
            bias, a, b = node.args[:3]
            with graph.inserting_before(node):
                product = graph.call_function(torch.ops.aten.mm.default, (a, b))
                total = graph.call_function(torch.ops.aten.add.Tensor, (product, bias))
            product.meta = dict(node.meta)
            total.meta = dict(node.meta)
            node.replace_all_uses_with(total)
            graph.erase_node(node)

    def uuid(self) -> str:
        """Part of inductor's cache key: a change of the pass must change it."""
        return "ctpg.SplitBiasFromMatmul.1"


def compile_options(device: torch.device, cuda_graphs: bool) -> dict[str, Any]:
    """inductor options: the eager random generator (same draws as eager); on CPU a C++
    wrapper that calls the graph's kernels (a Python one costs about a third of a small
    update's time) and ``SplitBiasFromMatmul``; on CUDA with ``cuda_graphs`` the graph
    replayed as a CUDA graph."""
    options: dict[str, Any] = {"fallback_random": True}
    if device.type == "cpu":
        options["cpp_wrapper"] = True
        options["post_grad_custom_post_pass"] = SplitBiasFromMatmul()
    if cuda_graphs and device.type == "cuda":
        options["triton.cudagraphs"] = True
    return options


def compiled_function(
    fn: Callable[..., Any], device: torch.device, cuda_graphs: bool = False
) -> Callable[..., Any]:
    """``fn`` as one graph: ``torch.compile(fullgraph=True, dynamic=False)`` (a graph
    break is an error; each new input shape compiles once more) with
    ``compile_options``; inductor's cache is the user cache (``use_user_cache``)."""
    use_user_cache()
    allow_recompiles()
    options = compile_options(device, cuda_graphs)
    return torch.compile(fn, fullgraph=True, dynamic=False, options=options)


RECOMPILE_LIMIT = 64


def allow_recompiles() -> None:
    """Raise dynamo's limit of graphs per function to ``RECOMPILE_LIMIT`` (never lower it).

    Every agent compiles its own graphs of the same functions (their guards name its
    networks), and dynamo counts the graphs of a function across instances: with the
    default of 8, the fifth agent of a process (two action graphs each) would run eager
    and fail ``fullgraph``."""
    config = torch._dynamo.config
    config.recompile_limit = max(config.recompile_limit, RECOMPILE_LIMIT)


class _Call(nn.Module):
    """The networks behind one ``forward``, so that ``functional_call`` can swap any of
    their parameters for the duration of one objective."""

    def __init__(self, nets: AgentNets) -> None:
        super().__init__()
        self.nets = nets

    def forward(self, objective: Objective) -> tuple[Tensor, dict[str, Tensor]]:
        return objective(self.nets)


class FunctionalSteps:
    """``Steps`` as tensor arithmetic that ``torch.compile`` traces into one graph.

    Mirrors ``EagerSteps`` step for step: the shared parameters' gradient (PaCo) is
    accumulated over the critic and actor groups, clipped with each, then clipped and
    applied once by ``step_shared``.
    """

    def __init__(self, updates: Updates, call: _Call) -> None:
        self.updates, self.call = updates, call
        names = {id(p): n for n, p in call.named_parameters()}
        # every name of a parameter that several networks share (PaCo's task embedding)
        self.aliases: dict[str, list[str]] = {}
        for n, p in call.named_parameters(remove_duplicate=False):
            self.aliases.setdefault(names[id(p)], []).append(n)
        self.names = {
            group: [names[id(p)] for p in params] for group, params in updates.param_groups.items()
        }
        self.shared_names = [names[id(p)] for p in updates.shared_params]
        self.shared_grad: list[Tensor] | None = None

    def _state(self, name: str) -> tuple[list[dict[str, Tensor]], dict[str, Any]]:
        optimizer = self.updates.optimizers[name]
        group = optimizer.param_groups[0]
        return [optimizer.state[p] for p in group["params"]], group

    def _adam(self, name: str, params: list[Tensor], grads: list[Tensor]) -> None:
        state, group = self._state(name)
        F.adam_(params, grads, state, group["lr"], group["betas"], group["eps"])

    def group(
        self, name: str, objective: Objective, pcgrad: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        updates = self.updates
        own: list[Tensor] = list(updates.param_groups[name])
        shared: list[Tensor] = list(updates.shared_params) if name in ("actor", "critic") else []
        names = self.names[name] + (self.shared_names if shared else [])
        values = {n: p for n, p in zip(names, own + shared, strict=True)}

        def run(p: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
            every = {alias: value for n, value in p.items() for alias in self.aliases[n]}
            return torch.func.functional_call(self.call, every, (objective,), tie_weights=False)

        def total(p: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
            terms, aux = run(p)
            return terms.sum(), aux

        if pcgrad:

            def per_task(p: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
                terms, aux = run(p)
                return terms, {**aux, "_per_task": terms.detach()}

            jac, aux = torch.func.jacrev(per_task, has_aux=True)(values)
            grads = combine_task_gradients(aux.pop("_per_task"), [jac[n] for n in names])
        else:
            grad, aux = torch.func.grad(total, has_aux=True)(values)
            grads = [grad[n] for n in names]
        own_grads = grads[: len(own)]
        if shared:
            shared_grads = grads[len(own) :]
            if self.shared_grad is not None:
                shared_grads = [a + g for a, g in zip(self.shared_grad, shared_grads, strict=True)]
            own_grads = own_grads + shared_grads
        clipped, norm = F.clip(own_grads, updates.cfg.sac.grad_clip)
        if shared:
            self.shared_grad = clipped[len(own) :]
        self._adam(name, own, clipped[: len(own)])
        return norm, aux

    def step_shared(self) -> None:
        shared: list[Tensor] = list(self.updates.shared_params)
        if not shared:
            return
        grads = self.shared_grad or [torch.zeros_like(p) for p in shared]
        clipped, _ = F.clip(grads, self.updates.cfg.sac.grad_clip)
        self._adam("task_embedding", shared, clipped)
        self.shared_grad = None

    def cap(self, log_temperature: Tensor, maximum: float) -> None:
        log_temperature.clamp_(max=math.log(maximum))

    def soft_update(self, name: str) -> None:
        target, online = self.updates.target_pairs[name]
        F.polyak_(target, online, self.updates.cfg.sac.tau)


def init_adam_state(updates: Updates) -> None:
    """Give every parameter the Adam state ``torch.optim.Adam`` creates at its first step
    (so the compiled step finds it; a loaded checkpoint's state is kept). An optimizer
    that has state for every parameter is passed over: this runs before every update."""
    for optimizer in updates.optimizers.values():
        groups = optimizer.param_groups
        for group in groups:
            if group.get("weight_decay", 0) or group.get("amsgrad", False):
                raise ValueError("compile: the compiled update supports plain Adam only")
        if len(optimizer.state) == sum(len(g["params"]) for g in groups):
            continue
        for group in groups:
            for p in group["params"]:
                state = optimizer.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


class CompiledUpdates:
    """``Updates.control`` and ``Updates.guide``, each one compiled function.

    ``control(batch, step)`` and ``guide(segments, step)`` return what the eager ones
    return. ``cuda_graphs`` replays the graphs as CUDA graphs on CUDA.
    """

    def __init__(self, updates: Updates, cuda_graphs: bool = False) -> None:
        self.updates = updates
        self.call = _Call(updates.nets)
        device = updates.nets.log_alpha.device
        self._control = compiled_function(self._control_graph, device, cuda_graphs)
        self._guide = compiled_function(self._guide_graph, device, cuda_graphs)
        # whether masking is active, as a graph input: one graph before and after it starts
        self._masking = {
            flag: torch.tensor(flag, dtype=torch.bool, device=device) for flag in (False, True)
        }

    @torch.no_grad()
    def _control_graph(
        self, batch: dict[str, Tensor], masking: Tensor
    ) -> tuple[dict[str, Tensor], Tensor, Tensor, Tensor]:
        steps = FunctionalSteps(self.updates, self.call)
        metrics, td_error, masked = self.updates.control_body(batch, masking, steps)
        return metrics, stack_metrics(metrics), td_error, masked

    @torch.no_grad()
    def _guide_graph(
        self, seg: dict[str, Tensor], masking: Tensor
    ) -> tuple[dict[str, Tensor], Tensor]:
        metrics = self.updates.guide_body(seg, masking, FunctionalSteps(self.updates, self.call))
        return metrics, stack_metrics(metrics)

    def control(self, batch: dict[str, Tensor], step: int) -> tuple[StackedMetrics, Tensor]:
        """One compiled control update (``Updates.control``); its metrics come stacked
        from the graph too (``StackedMetrics``)."""
        init_adam_state(self.updates)
        masking = self._masking[self.updates.masking(step)]
        metrics, stacked, td_error, masked = self._control(batch, masking)
        self.updates.finish_control(masked, step)
        return StackedMetrics(metrics, stacked), td_error

    def guide(self, seg: dict[str, Tensor], step: int) -> StackedMetrics:
        """One compiled guide update (``Updates.guide``), metrics as in ``control``."""
        init_adam_state(self.updates)
        metrics, stacked = self._guide(seg, self._masking[self.updates.masking(step)])
        self.updates.num_guide_updates += 1
        return StackedMetrics(metrics, stacked)
