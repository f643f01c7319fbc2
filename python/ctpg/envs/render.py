"""Drawing the environments headless: MuJoCo's offscreen renderer on an EGL or OSMesa context.

The native engine compiles its models without what only a renderer reads (unnamed
non-colliding geoms, their meshes, cameras, lights), so a sub-env is drawn from its task's
full model instead: MetaWorld's own model of the task, or gymnasium's HalfCheetah model with
the variant's edits. The sub-env's state (``get_state``: qpos, qvel, mocap poses, and the
body and site positions the task edits at reset, such as the goal marker and a drawer's
place) is copied into that model's data and ``mj_forward`` computes the pose of everything
drawn. The python backend's envs are drawn the same way.

OpenGL: the backend ``MUJOCO_GL`` names (``egl``, ``osmesa``, ``glfw``); when it is not set,
EGL on Linux (a headless machine has no display for glfw) and MuJoCo's own choice elsewhere.
The context is created here rather than through ``mujoco.Renderer``, because ``import
mujoco`` fixes that class's backend once, before ctpg could pick one. A broken GL stack can
crash the process that touches it, so ``headless_gl_problem()`` first tries a tiny drawing
in a child process.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import mujoco
import numpy as np

from ctpg.envs import _cheetah
from ctpg.envs._vec_common import STATE_KEYS, state_arrays
from ctpg.tasks import METAWORLD, family_of

INSTALL_HINT = (
    "headless rendering needs EGL (Debian/Ubuntu: apt-get install libegl1 libegl-mesa0; "
    "MUJOCO_GL=egl, the default on Linux) or OSMesa (apt-get install libosmesa6, "
    "MUJOCO_GL=osmesa)"
)
_DISABLED = ("disable", "disabled", "off", "false", "0")

# MetaWorld: one free camera for every task, in front of the table at the arm's left,
# high enough to show the arm, the objects and the goal marker.
_TABLE_VIEW = {"lookat": (0.0, 0.65, 0.15), "distance": 1.55, "azimuth": -145.0, "elevation": -28.0}
# HalfCheetah: the model's own camera that follows the body ("track", mode trackcom).
_CHEETAH_CAMERA = "track"
# Offscreen quality: no multisampling and no shadows (shadow size 0: no shadow map is made).
# With software rendering (Mesa's llvmpipe, 2 cores) a 320 x 240 MetaWorld frame, whose
# meshes have ~68k triangles, takes ~30 ms so; 2x multisampling doubled that and the shadow
# pass (MuJoCo's default 4x and 4096-pixel map) took it to ~200 ms.
_SAMPLES = 0
_SHADOW_SIZE = 0


def gl_backend() -> str:
    """The OpenGL backend rendering uses: ``MUJOCO_GL`` when set, else ``egl`` on Linux
    and ``""`` (MuJoCo's own choice) elsewhere."""
    chosen = os.environ.get("MUJOCO_GL", "").strip().lower()
    if chosen:
        return chosen
    return "egl" if sys.platform.startswith("linux") else ""


def _context_class() -> Any:
    """MuJoCo's GL context class of ``gl_backend()``; RuntimeError when it cannot load."""
    backend = gl_backend()
    if backend in _DISABLED:
        raise RuntimeError(f"MUJOCO_GL={backend} disables rendering; {INSTALL_HINT}")
    try:
        if backend == "egl":
            from mujoco.egl import GLContext
        elif backend == "osmesa":
            from mujoco.osmesa import GLContext
        elif backend == "glfw":
            from mujoco.glfw import GLContext
        else:
            GLContext = mujoco.GLContext
    except Exception as error:  # PyOpenGL raises several kinds when a library is missing
        raise RuntimeError(
            f"OpenGL backend {backend or 'default'!r} does not load ({error}); {INSTALL_HINT}"
        ) from error
    if GLContext is None:
        raise RuntimeError(f"MuJoCo offers no OpenGL context here; {INSTALL_HINT}")
    return GLContext


class Offscreen:
    """One headless OpenGL context drawing MuJoCo scenes as RGB images of ``width`` x
    ``height``. ``attach(model)`` uploads a model's meshes and textures (a MuJoCo render
    context of its own) and sets its offscreen size and quality; ``draw`` renders a data of
    an attached model from a camera. ``close()`` frees the GL resources (also on exit of a
    ``with`` block); an EGL context left to the garbage collector reports errors at exit."""

    def __init__(self, width: int, height: int) -> None:
        for name, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8192:
                raise ValueError(f"{name}: expected pixels in [1, 8192], got {value!r}")
        self.width, self.height = width, height
        self._gl = _context_class()(width, height)
        self._gl.make_current()
        self._slots: list[tuple[mujoco.MjModel, mujoco.MjrContext, mujoco.MjvScene]] = []
        self._option = mujoco.MjvOption()
        self._perturb = mujoco.MjvPerturb()
        self._rect = mujoco.MjrRect(0, 0, width, height)
        self._pixels = np.empty((height, width, 3), dtype=np.uint8)

    def attach(self, model: mujoco.MjModel) -> int:
        """Prepares ``model`` for drawing; returns its slot for ``draw``."""
        self._check_open()
        visual = model.vis
        visual.global_.offwidth = max(visual.global_.offwidth, self.width)
        visual.global_.offheight = max(visual.global_.offheight, self.height)
        visual.quality.offsamples = _SAMPLES
        visual.quality.shadowsize = _SHADOW_SIZE
        self._gl.make_current()
        context = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_100)
        scene = mujoco.MjvScene(model, maxgeom=10_000)
        scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        self._slots.append((model, context, scene))
        return len(self._slots) - 1

    def draw(
        self,
        slot: int,
        data: mujoco.MjData,
        camera: mujoco.MjvCamera,
        overlay: tuple[str, str] = ("", ""),
    ) -> np.ndarray:
        """RGB uint8 [height, width, 3] of ``data`` (of the model in ``slot``), seen from
        ``camera``; ``overlay`` = (left, right) text drawn in the top-left corner."""
        self._check_open()
        model, context, scene = self._slots[slot]
        self._gl.make_current()
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, context)
        mujoco.mjv_updateScene(
            model, data, self._option, self._perturb, camera, mujoco.mjtCatBit.mjCAT_ALL, scene
        )
        mujoco.mjr_render(self._rect, scene, context)
        if any(overlay):
            mujoco.mjr_overlay(
                mujoco.mjtFont.mjFONT_NORMAL,
                mujoco.mjtGridPos.mjGRID_TOPLEFT,
                self._rect,
                overlay[0],
                overlay[1],
                context,
            )
        mujoco.mjr_readPixels(self._pixels, None, self._rect, context)
        return np.flipud(self._pixels).copy()  # OpenGL's rows run bottom-up

    def _check_open(self) -> None:
        if self._gl is None:
            raise RuntimeError("the renderer is closed")

    def close(self) -> None:
        """Frees the render contexts and the GL context (idempotent)."""
        if self._gl is None:
            return
        self._gl.make_current()
        for _, context, _ in self._slots:
            context.free()
        self._slots = []
        self._gl.free()
        self._gl = None

    def __enter__(self) -> Offscreen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def full_model(task: str) -> mujoco.MjModel:
    """The full model of ``task``, with everything a renderer reads: MetaWorld's own model
    of the task (as its env loads it) or the HalfCheetah variant's edited model."""
    if family_of(task) is METAWORLD:
        from metaworld.env_dict import ALL_V3_ENVIRONMENTS

        env = ALL_V3_ENVIRONMENTS[task]()
        model = env.model
        env.close()
        return model
    return _cheetah.variant_model(task)


def task_camera(task: str, model: mujoco.MjModel) -> mujoco.MjvCamera:
    """The camera a task is filmed from (MetaWorld: one view of the table for every task;
    HalfCheetah: the model's camera that follows the body)."""
    camera = mujoco.MjvCamera()
    if family_of(task) is METAWORLD:
        camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        camera.lookat[:] = _TABLE_VIEW["lookat"]
        camera.distance = _TABLE_VIEW["distance"]
        camera.azimuth = _TABLE_VIEW["azimuth"]
        camera.elevation = _TABLE_VIEW["elevation"]
    else:
        camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        camera.fixedcamid = model.camera(_CHEETAH_CAMERA).id
    return camera


def copy_state(
    model: mujoco.MjModel, data: mujoco.MjData, state: Mapping[str, Any], task: str
) -> None:
    """Writes an env's ``get_state`` into ``model`` / ``data`` and runs ``mj_forward``;
    ValueError naming the entry when a shape does not fit the model."""
    for key, target in zip(STATE_KEYS, state_arrays(model, data), strict=True):
        if key not in state:
            raise ValueError(f"state: missing {key!r} (expected keys {list(STATE_KEYS)})")
        value = np.asarray(state[key], dtype=np.float64)
        if value.shape != target.shape:
            raise ValueError(
                f"state[{key!r}]: expected shape {target.shape} (the full model of {task!r}), "
                f"got {value.shape}"
            )
        target[...] = value
    mujoco.mj_forward(model, data)


class EnvRenderer:
    """Draws the sub-envs of a multi-task vector env, each from its task's full model
    with the sub-env's state copied in. ``render(i, env.get_state(i))`` -> RGB uint8
    [height, width, 3]. Close it (or use ``with``) to free the GL context."""

    def __init__(self, task_names: list[str], width: int, height: int) -> None:
        self.task_names = list(task_names)
        self._offscreen = Offscreen(width, height)
        try:
            self._models = [full_model(task) for task in self.task_names]
            self._data = [mujoco.MjData(model) for model in self._models]
            self._cameras = [
                task_camera(t, m) for t, m in zip(self.task_names, self._models, strict=True)
            ]
            self._slots = [self._offscreen.attach(model) for model in self._models]
        except BaseException:
            self._offscreen.close()
            raise

    def render(
        self, index: int, state: Mapping[str, Any], overlay: tuple[str, str] = ("", "")
    ) -> np.ndarray:
        """Sub-env ``index`` in ``state`` (its env's ``get_state(index)``)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"index: expected an int, got {index!r}")
        if not 0 <= index < len(self.task_names):
            raise ValueError(
                f"index: expected a sub-env in [0, {len(self.task_names)}), got {index}"
            )
        model, data = self._models[index], self._data[index]
        copy_state(model, data, state, self.task_names[index])
        return self._offscreen.draw(self._slots[index], data, self._cameras[index], overlay)

    def close(self) -> None:
        """Frees the GL resources (idempotent)."""
        self._offscreen.close()

    def __enter__(self) -> EnvRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PROBE_XML = """<mujoco><worldbody><light pos="0 0 2"/>
<geom type="box" size=".1 .1 .1" rgba="1 0 0 1"/></worldbody></mujoco>"""


def probe() -> None:
    """Draws a tiny scene; exits the process with a message on stderr when that fails.
    Run in a child process by ``headless_gl_problem``."""
    try:
        model = mujoco.MjModel.from_xml_string(_PROBE_XML)
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        camera = mujoco.MjvCamera()
        camera.lookat[:], camera.distance = (0.0, 0.0, 0.0), 1.0
        with Offscreen(16, 16) as offscreen:
            image = offscreen.draw(offscreen.attach(model), data, camera)
        if image.max() == image.min():
            raise RuntimeError("the probe scene rendered as a blank image")
    except Exception as error:
        sys.exit(f"{type(error).__name__}: {error}")


@functools.lru_cache(maxsize=1)
def headless_gl_problem() -> str | None:
    """Why headless rendering does not work here (None when it does), found by drawing a
    tiny scene in a child process so that a crashing GL stack cannot take this one down."""
    command = [sys.executable, "-c", "from ctpg.envs.render import probe; probe()"]
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    environ = dict(os.environ, PYTHONPATH=path)  # the child imports this very ctpg
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False, env=environ
        )
    except subprocess.TimeoutExpired:
        return (
            f"a test drawing did not finish in 120 s (MUJOCO_GL={gl_backend()!r}); {INSTALL_HINT}"
        )
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    reason = lines[-1] if lines else f"the test drawing exited with status {done.returncode}"
    if INSTALL_HINT in reason:
        return reason
    return f"{reason} (MUJOCO_GL={gl_backend()!r}); {INSTALL_HINT}"
