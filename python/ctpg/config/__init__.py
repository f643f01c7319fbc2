"""Configuration of a run: frozen dataclasses with a docstring per field, the benchmark
presets and the YAML round trip of a run's config.yaml.

``TrainConfig`` (``ctpg.config.run``) holds the loop's schedule and ``EnvConfig``,
``ReplayConfig`` and ``AgentConfig`` (``ctpg.config.agent``: ``NetConfig``, ``SACConfig``,
``GuideConfig``); each component receives only its own sub-config. ``preset(name)``
(``ctpg.config.presets``) gives a benchmark's settings; ``dump_yaml`` / ``load_yaml``
(``ctpg.config.files``) write and read them.
"""

from ctpg.config.agent import (
    BASES,
    COMPARE_BOOTSTRAPS,
    FILTER_GATES,
    SHARINGS,
    AgentConfig,
    GuideConfig,
    NetConfig,
    SACConfig,
)
from ctpg.config.files import (
    FINGERPRINT_KEY,
    dump_yaml,
    from_dict,
    load_fingerprint,
    load_yaml,
    to_dict,
)
from ctpg.config.presets import preset
from ctpg.config.run import (
    AUTO_COMPILE_CALLS,
    BACKENDS,
    COMPILE_MODES,
    COMPILE_PARTS,
    DEVICES,
    ENV_VECTORS,
    EVAL_PROTOCOLS,
    GYMNASIUM,
    OBJECT,
    PRESETS,
    QUICK_TASKS,
    REPLAY_KINDS,
    UPDATE_ORDERS,
    EnvConfig,
    ReplayConfig,
    TrainConfig,
)

__all__ = [
    "AUTO_COMPILE_CALLS",
    "BACKENDS",
    "BASES",
    "COMPARE_BOOTSTRAPS",
    "COMPILE_MODES",
    "COMPILE_PARTS",
    "DEVICES",
    "ENV_VECTORS",
    "EVAL_PROTOCOLS",
    "GYMNASIUM",
    "OBJECT",
    "FILTER_GATES",
    "PRESETS",
    "QUICK_TASKS",
    "REPLAY_KINDS",
    "SHARINGS",
    "UPDATE_ORDERS",
    "AgentConfig",
    "EnvConfig",
    "GuideConfig",
    "NetConfig",
    "ReplayConfig",
    "SACConfig",
    "TrainConfig",
    "FINGERPRINT_KEY",
    "dump_yaml",
    "from_dict",
    "load_fingerprint",
    "load_yaml",
    "preset",
    "to_dict",
]
