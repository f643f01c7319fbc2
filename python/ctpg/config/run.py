"""The run's configuration: ``TrainConfig(env: EnvConfig, replay: ReplayConfig, agent:
AgentConfig, ...)``, frozen dataclasses with a docstring per field.

Every field is validated in ``__post_init__``; a bad value raises ``ValueError`` naming the
field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ctpg.config.agent import AgentConfig
from ctpg.config.checks import check
from ctpg.config.options import option
from ctpg.tasks import BENCHMARKS, metaworld_protocol_problem

BACKENDS = ("native", "python")
REPLAY_KINDS = ("uniform", "prioritized")
DEVICES = ("auto", "cpu", "cuda")
COMPILE_MODES = ("auto", "off", "on", "cuda-graphs")
COMPILE_PARTS = ("act", "control", "guide")
"""What ``compile`` can compile, each one graph: the control action choice, the control
update and the guide update."""
AUTO_COMPILE_CALLS = {"act": 200_000, "control": 10_000, "guide": 10_000}
"""``compile="auto"`` compiles a part on CPU when the run calls it at least this many
times (an action choice per step, a control update per step after warm-up, a guide update
every ``guide.update_every`` of those): about the calls whose saving pays the part's first
compilation back on the 2-core CPU, measured on the quick preset (docs/performance.md:
control 25 s of compilation for 3.5 ms saved an update, guide 45 s for 5 ms, action
choice 11 s for 0.08 ms)."""
EVAL_PROTOCOLS = ("paper", "metaworld")
UPDATE_ORDERS = ("store-first", "reference")
ENV_VECTORS = ("sync", "async")
GYMNASIUM = "gymnasium"
"""``env.benchmark`` of a run on gymnasium ids (``env.ids``)."""
OBJECT = "object"
"""``env.benchmark`` of a run on a vector env the caller built (``ctpg.train(cfg, env=...)``)."""
PRESETS = ("mt10", "mt50", "halfcheetah-mt5", "halfcheetah-mt8", "quick")

QUICK_TASKS = ("reach-v3", "drawer-close-v3", "button-press-topdown-v3")


@dataclass(frozen=True)
class EnvConfig:
    """Which tasks are trained and how their environments run."""

    benchmark: str = "mt10"
    """Benchmark name given to ``ctpg.make_vec_env`` ("mt10", "mt50", "halfcheetah-mt5",
    "halfcheetah-mt8"), "custom" when ``tasks`` lists the task names, "gymnasium" when
    ``ids`` names gymnasium ids, "object" for a vector env given to ``ctpg.train``."""
    tasks: tuple[str, ...] = ()
    """Explicit task names (one environment per task); used when ``benchmark`` is "custom"."""
    ids: tuple[str, ...] = field(default=(), metadata=option("--env"))
    """gymnasium ids, one task per id in the order given (``module:Id`` imports ``module``
    first); an id with a vector entry point (``Meta-World/MT10``) gives all its sub-envs."""
    kwargs: str = field(
        default="", metadata=option("--env-kwargs", requires=("env.benchmark", GYMNASIUM))
    )
    """JSON keyword arguments of the ids: one object for every id, or a list of one object
    per id (a ``task_name`` key names the task)."""
    success_key: str = field(
        default="success", metadata=option("--success-key", requires=("env.benchmark", GYMNASIUM))
    )
    """The info key that reports success (true at any step of an episode: a success)."""
    vector: Literal["sync", "async"] = field(
        default="sync", metadata=option("--env-vector", requires=("env.benchmark", GYMNASIUM))
    )
    """How the gymnasium ids' sub-envs step: "sync" in this process, "async" one process
    per task (gymnasium's ``AsyncVectorEnv``)."""
    backend: Literal["native", "python"] = "native"
    """"native" (the C++ engine) or "python" (MetaWorld's / gymnasium's own environments)."""
    max_episode_steps: int = 200
    """Episode length limit; an episode that reaches it is truncated."""
    num_threads: int = field(
        default=0,
        metadata=option(
            "--num-threads", on_resume="may change", requires=("env.backend", "native")
        ),
    )
    """Worker threads of the native engine; 0 lets the engine pick (one per core)."""
    random_goals: bool = True
    """MetaWorld: draw fresh object and goal positions at every reset."""

    def __post_init__(self) -> None:
        check(bool(self.benchmark), "env.benchmark", "must be a non-empty name")
        custom = self.benchmark == "custom"
        check(
            custom == bool(self.tasks),
            "env.tasks",
            "give task names exactly when env.benchmark is 'custom'",
        )
        check(
            (self.benchmark == GYMNASIUM) == bool(self.ids),
            "env.ids",
            f"give gymnasium ids exactly when env.benchmark is {GYMNASIUM!r}",
        )
        for env_id in self.ids:
            check(bool(env_id.strip()), "env.ids", f"empty id in {list(self.ids)}")
        self.kwargs_list  # noqa: B018  (validates the JSON)
        check(bool(self.success_key), "env.success_key", "must be a non-empty info key")
        check(self.vector in ENV_VECTORS, "env.vector", f"must be one of {ENV_VECTORS}")
        check(self.backend in BACKENDS, "env.backend", f"must be one of {BACKENDS}")
        check(self.max_episode_steps >= 1, "env.max_episode_steps", "must be >= 1")
        check(self.num_threads >= 0, "env.num_threads", "must be >= 0 (0 = automatic)")

    @property
    def name_or_tasks(self) -> str | list[str]:
        """The first argument of ``ctpg.make_vec_env``."""
        return list(self.tasks) if self.benchmark == "custom" else self.benchmark

    @property
    def kwargs_list(self) -> list[dict[str, Any]]:
        """``kwargs`` as one dict per id; ValueError naming ``env.kwargs`` when it is not
        JSON, not an object or a list of objects, or a list of the wrong length."""
        if not self.kwargs:
            return [{} for _ in self.ids]
        try:
            value = json.loads(self.kwargs)
        except json.JSONDecodeError as error:
            raise ValueError(f"env.kwargs: not JSON ({error}): {self.kwargs!r}") from None
        if isinstance(value, dict):
            return [dict(value) for _ in self.ids]
        objects = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        check(objects, "env.kwargs", f"expected a JSON object or a list of objects, got {value!r}")
        check(
            len(value) == len(self.ids),
            "env.kwargs",
            f"a list of {len(value)} objects for {len(self.ids)} ids {list(self.ids)}; give "
            "one object per id",
        )
        return [dict(v) for v in value]


@dataclass(frozen=True)
class ReplayConfig:
    """Per-task replay storage of the control and guide updates."""

    capacity: int = 1_000_000
    """Transitions kept over all tasks (split equally: capacity // num_tasks per task)."""
    kind: str = field(default="uniform", metadata=option("--replay", choices=REPLAY_KINDS))
    """"uniform" or "prioritized" (per-task sum-tree with TD-error priorities)."""
    alpha: float = 0.6
    """Prioritized replay: sampling probability proportional to priority ** alpha."""
    beta: float = 0.4
    """Prioritized replay: importance-weight exponent."""

    def __post_init__(self) -> None:
        check(self.capacity >= 1, "replay.capacity", "must be >= 1")
        check(self.kind in REPLAY_KINDS, "replay.kind", f"must be one of {REPLAY_KINDS}")
        check(0.0 <= self.alpha <= 1.0, "replay.alpha", "must lie in [0, 1]")
        check(0.0 <= self.beta <= 1.0, "replay.beta", "must lie in [0, 1]")


@dataclass(frozen=True)
class TrainConfig:
    """One training run: environments, replay, agent and the loop's schedule."""

    name: str = field(default="mt10", metadata=option(cli=False))
    """Run name (the preset it came from); the default run directory is runs/<name>-..."""
    seed: int = 0
    """Seeds torch, numpy, Python's random, the environments and the replay sampler."""
    steps: int = field(default=1_500_000, metadata=option(on_resume="may change"))
    """Training steps; one step is one transition for every task."""
    batch_size: int = field(default=1280, metadata=option(also=("agent.guide.batch_size",)))
    """Control batch over all tasks (batch_size // num_tasks rows per task). The guide
    batch is ``agent.guide.batch_size``; the presets and ``--batch-size`` set both to this
    value, as the reference draws both with one replay batch size."""
    warmup_steps: int = 1500
    """Steps collected before the first update. The untrained policies (and guide) act
    during them, as in the reference; there are no uniform random actions."""
    eval_every: int = 10_000
    """Training steps between evaluations (a checkpoint follows every evaluation)."""
    eval_episodes: int = 32
    """Deterministic evaluation episodes per task (the paper's 32; MetaWorld's own evaluation
    runs 50, what ``--eval-protocol metaworld`` sets unless ``--eval-episodes`` is given)."""
    eval_protocol: Literal["paper", "metaworld"] = "paper"
    """"paper": episodes of ``env.max_episode_steps`` on the evaluation envs' own goals,
    success = success at any step (docs/algorithm.md, section 5). "metaworld" (MetaWorld tasks
    only): MetaWorld 3.x's own evaluation: 500-step episodes that end at the first success,
    on goals drawn from the task vectors the MetaWorld benchmark built with ``seed`` holds
    (``ctpg.evaluate``). The metric names are the same."""
    update_order: Literal["store-first", "reference"] = "store-first"
    """"store-first": act, step the environments, store the step's transitions, update (the
    update of step t may sample transition t). "reference": the authors' order, act,
    update, step, store; the environments step in the engine's threads while the update
    runs (``step_async`` / ``step_wait``), which gives what stepping after it gives."""
    log_every: int = 1000
    """Training steps between loss/throughput scalars written to TensorBoard."""
    checkpoint: bool = True
    """Write a checkpoint (networks, optimizers, replay, RNG states) after every evaluation."""
    video_every: int = field(default=0, metadata=option(on_resume="may change"))
    """Training steps between videos of the deterministic policies (one episode per task,
    ``<run_dir>/videos/step-<step>.mp4`` and TensorBoard ``video/policy``; ``ctpg.video``);
    0 records none. Needs the ``video`` extra and a headless OpenGL."""
    device: str = field(default="auto", metadata=option(choices=DEVICES, on_resume="may change"))
    """"auto" (CUDA when present), "cpu" or "cuda"."""
    tf32: bool = field(default=False, metadata=option(on_resume="may change"))
    """On CUDA, let float32 matrix products and convolutions use TF32 tensor cores (faster,
    about 10 bits of mantissa in the products). Off by default: the results then match
    float32 on any GPU."""
    compile: Literal["auto", "off", "on", "cuda-graphs"] = field(
        default="auto", metadata=option(const="on", on_resume="may change")
    )
    """"on": every control and guide update and the control action choice runs as one
    ``torch.compile``d graph (losses, gradients, clipping, Adam, temperature caps and
    target updates; ``ctpg.algo.compiled``), compiled in the first steps (inductor's cache
    in the user cache directory makes a second run start faster). "cuda-graphs" (CUDA
    only): the same graphs replayed as CUDA graphs. "off": eager. "auto" (default): on CPU
    each part whose calls in the run pay its compilation back (``compiled_parts``,
    ``AUTO_COMPILE_CALLS``), the others eager; eager on CUDA. Random draws are eager's,
    so results agree with eager to float32 rounding (``tests/algo/test_compiled.py``),
    not bit for bit. PaCo keeps its eager update."""
    torch_threads: int = field(default=0, metadata=option(on_resume="may change"))
    """CPU threads of torch (``torch.set_num_threads``); 0 keeps torch's default. On a
    machine shared with the environment threads, 1 avoids oversubscription."""
    run_dir: str = field(default="", metadata=option(on_resume="may change"))
    """Run directory; empty means runs/<name>-<base>-<sharing>-s<seed>."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """Environment settings."""
    replay: ReplayConfig = field(default_factory=ReplayConfig)
    """Replay settings."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    """Networks, SAC, guide and sharing method."""

    def compile_mode(self, device_type: str) -> str:
        """The compile mode this run uses on a ``device_type`` ("cpu", "cuda") device:
        ``compile`` with "auto" resolved ("on" when it compiles any part)."""
        if self.compile != "auto":
            return self.compile
        return "on" if self.compiled_parts(device_type) else "off"

    def compiled_parts(self, device_type: str) -> tuple[str, ...]:
        """The parts (``COMPILE_PARTS``) this run compiles on a ``device_type`` device: all
        of them when ``compile`` is "on" or "cuda-graphs", none when "off"; under "auto"
        on CPU those called at least ``AUTO_COMPILE_CALLS`` times, none on CUDA."""
        if self.compile in ("on", "cuda-graphs"):
            return COMPILE_PARTS
        if self.compile == "off" or device_type != "cpu":
            return ()
        calls = self.part_calls()
        return tuple(p for p in COMPILE_PARTS if calls[p] >= AUTO_COMPILE_CALLS[p])

    def part_calls(self) -> dict[str, int]:
        """How many times the run calls each part (``COMPILE_PARTS``)."""
        updates = max(self.steps - self.warmup_steps, 0)
        guide_updates = -(-updates // self.agent.guide.update_every)
        return {
            "act": self.steps,
            "control": updates,
            "guide": guide_updates if self.agent.sharing == "ctpg" else 0,
        }

    def __post_init__(self) -> None:
        check(bool(self.name), "name", "must be non-empty")
        check(self.seed >= 0, "seed", "must be >= 0")
        check(self.steps >= 1, "steps", "must be >= 1")
        check(self.batch_size >= 1, "batch_size", "must be >= 1")
        check(self.warmup_steps >= 1, "warmup_steps", "must be >= 1")
        check(self.eval_every >= 1, "eval_every", "must be >= 1")
        check(self.eval_episodes >= 1, "eval_episodes", "must be >= 1")
        check(
            self.update_order in UPDATE_ORDERS,
            "update_order",
            f"must be one of {UPDATE_ORDERS}",
        )
        check(
            self.eval_protocol in EVAL_PROTOCOLS,
            "eval_protocol",
            f"must be one of {EVAL_PROTOCOLS}",
        )
        if self.eval_protocol == "metaworld":
            check(
                self.env.benchmark not in (GYMNASIUM, OBJECT),
                "eval_protocol",
                "'metaworld' runs on the built-in MetaWorld tasks only (use 'paper')",
            )
            _check_metaworld_protocol(self.env)
        check(self.log_every >= 1, "log_every", "must be >= 1")
        check(self.device in DEVICES, "device", f"must be one of {DEVICES}")
        check(self.compile in COMPILE_MODES, "compile", f"must be one of {COMPILE_MODES}")
        check(
            self.compile != "cuda-graphs" or self.device != "cpu",
            "compile",
            "'cuda-graphs' needs CUDA, got device='cpu'",
        )
        check(self.torch_threads >= 0, "torch_threads", "must be >= 0 (0 = torch default)")
        check(self.video_every >= 0, "video_every", "must be >= 0 (0 = no videos)")


def _check_metaworld_protocol(env: EnvConfig) -> None:
    """MetaWorld's own evaluation needs MetaWorld tasks, each once."""
    tasks = env.tasks if env.benchmark == "custom" else BENCHMARKS.get(env.benchmark, ())
    problem = metaworld_protocol_problem(tasks)
    check(problem is None, "eval_protocol", f"{problem} (env.benchmark {env.benchmark!r})")
