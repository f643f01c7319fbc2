// Python binding of the vectorised engine: ctpg._core.VecEnv. Argument checks,
// numpy outputs and GIL release only; the work happens in envs/vec_env.h.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "common/thread_pool_check.h"
#include "envs/registry.h"
#include "envs/vec_env.h"

namespace py = pybind11;

namespace ctpg {
namespace {

using FloatArray = py::array_t<float>;
using DoubleArray = py::array_t<double>;
using BoolArray = py::array_t<bool>;

// A shape entry that accepts any length.
constexpr py::ssize_t kAnyLength = -1;

std::string ShapeString(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// Returns `obj` as a C-contiguous native array of T and exactly `shape`, or
// throws std::invalid_argument naming `name`. Any dtype equal to T's up to byte
// order is taken; a strided or byte-swapped array is copied, a read-only one read.
template <typename T>
py::array CheckedArray(const py::object& obj, const char* name,
                       const std::vector<py::ssize_t>& shape, const char* dtype_name) {
  std::string expected = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    expected += (i ? ", " : "") + (shape[i] == kAnyLength ? "n" : std::to_string(shape[i]));
  }
  expected += shape.size() == 1 ? ",)" : ")";
  if (!py::isinstance<py::array>(obj)) {
    throw std::invalid_argument(std::string(name) + ": expected a numpy array of dtype " +
                                dtype_name + " and shape " + expected);
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (!args::HoldsType<T>(a.dtype())) {
    throw std::invalid_argument(std::string(name) + ": expected dtype " + dtype_name + ", got " +
                                py::str(a.dtype()).cast<std::string>());
  }
  bool shape_ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; shape_ok && i < shape.size(); ++i) {
    shape_ok = shape[i] == kAnyLength || a.shape(i) == shape[i];
  }
  if (!shape_ok) {
    throw std::invalid_argument(std::string(name) + ": expected shape " + expected + ", got " +
                                ShapeString(a));
  }
  return args::Native<T>(a, name);
}

// A seed: None, or an int in [0, 2**63); bool is refused.
std::optional<uint64_t> Seed(const py::object& seed) {
  if (seed.is_none()) return std::nullopt;
  return static_cast<uint64_t>(args::Integer(seed, "seed", 0, INT64_MAX));
}

// Every argument arrives as a Python object so that a wrong type is refused
// naming the argument rather than by pybind11's overload message.
std::unique_ptr<VecEnv> MakeVecEnv(const py::object& task_names,
                                   const py::object& metaworld_asset_dir,
                                   const py::object& gymnasium_asset_dir, const py::object& seed,
                                   const py::object& num_threads,
                                   const py::object& max_episode_steps) {
  const std::vector<std::string> names = args::List(task_names, "task_names", args::Text);
  const std::string mw_dir = args::Text(metaworld_asset_dir, "metaworld_asset_dir");
  const std::string gym_dir = args::Text(gymnasium_asset_dir, "gymnasium_asset_dir");
  if (seed.is_none()) throw std::invalid_argument("seed must be an int, got None");
  const uint64_t s = *Seed(seed);
  const int threads = static_cast<int>(args::Integer(num_threads, "num_threads", 1, 1 << 16));
  const std::vector<int> steps =
      args::List(max_episode_steps, "max_episode_steps", [](const py::handle& v, const char* n) {
        return static_cast<int>(args::Integer(v, n, INT32_MIN, INT32_MAX));
      });
  py::gil_scoped_release release;
  return std::make_unique<VecEnv>(MakeEnvs(names, mw_dir, gym_dir), s, threads, steps);
}

FloatArray Reset(VecEnv& env, const py::object& seed) {
  const std::optional<uint64_t> s = Seed(seed);
  FloatArray obs({env.num_envs(), env.obs_dim()});
  float* out = obs.mutable_data();
  py::gil_scoped_release release;
  env.Reset(s, out);
  return obs;
}

py::tuple Step(VecEnv& env, const py::object& actions, const py::object& with_info_arg) {
  const bool with_info = args::Boolean(with_info_arg, "with_info");
  py::array a =
      CheckedArray<float>(actions, "actions", {env.num_envs(), env.action_dim()}, "float32");
  const py::ssize_t n = env.num_envs();
  FloatArray obs({n, static_cast<py::ssize_t>(env.obs_dim())});
  FloatArray reward(n);
  BoolArray terminated(n), truncated(n), success(n);
  FloatArray final_obs({n, static_cast<py::ssize_t>(env.obs_dim())});
  DoubleArray info({with_info ? n : 0, static_cast<py::ssize_t>(env.info_dim())});
  const VecStepBuffers out{obs.mutable_data(),
                           reward.mutable_data(),
                           terminated.mutable_data(),
                           truncated.mutable_data(),
                           success.mutable_data(),
                           final_obs.mutable_data(),
                           with_info ? info.mutable_data() : nullptr};
  const float* act = static_cast<const float*>(a.data());
  {
    py::gil_scoped_release release;
    env.Step(act, out);
  }
  if (with_info)
    return py::make_tuple(obs, reward, terminated, truncated, success, final_obs, info);
  return py::make_tuple(obs, reward, terminated, truncated, success, final_obs);
}

void StepAsync(VecEnv& env, const py::object& actions, const py::object& with_info) {
  py::array a =
      CheckedArray<float>(actions, "actions", {env.num_envs(), env.action_dim()}, "float32");
  env.StepAsync(static_cast<const float*>(a.data()), args::Boolean(with_info, "with_info"));
}

BoolArray Flags(const bool* flags, py::ssize_t n) {
  BoolArray out(n);
  std::copy(flags, flags + n, out.mutable_data());
  return out;
}

py::tuple StepWait(VecEnv& env) {
  const AsyncStepResult* r = nullptr;
  {
    py::gil_scoped_release release;
    r = &env.StepWait();
  }
  const py::ssize_t n = env.num_envs(), d = env.obs_dim();
  FloatArray obs({n, d}), final_obs({n, d});
  std::copy(r->obs.begin(), r->obs.end(), obs.mutable_data());
  std::copy(r->final_obs.begin(), r->final_obs.end(), final_obs.mutable_data());
  FloatArray reward(n);
  std::copy(r->reward.begin(), r->reward.end(), reward.mutable_data());
  const bool* flags = r->flags.get();
  py::tuple out = py::make_tuple(obs, reward, Flags(flags, n), Flags(flags + n, n),
                                 Flags(flags + 2 * n, n), final_obs);
  if (!r->with_info) return out;
  DoubleArray info({n, static_cast<py::ssize_t>(env.info_dim())});
  std::copy(r->info.begin(), r->info.end(), info.mutable_data());
  return py::make_tuple(out[0], out[1], out[2], out[3], out[4], out[5], info);
}

void FreezeTaskVectors(VecEnv& env, const py::object& vectors_arg) {
  const std::vector<int> dims = env.task_vector_dims();
  const std::vector<py::object> vectors = args::List(
      vectors_arg, "vectors",
      [](const py::handle& v, const char*) { return py::reinterpret_borrow<py::object>(v); });
  if (static_cast<int>(vectors.size()) != env.num_envs()) {
    throw std::invalid_argument("vectors: expected " + std::to_string(env.num_envs()) +
                                " entries (one per env), got " + std::to_string(vectors.size()));
  }
  std::vector<std::optional<py::array>> checked(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (vectors[i].is_none()) continue;
    const std::string name = "vectors[" + std::to_string(i) + "]";
    checked[i] = CheckedArray<double>(vectors[i], name.c_str(), {dims[i]}, "float64");
  }
  std::vector<const double*> pointers(dims.size(), nullptr);
  for (size_t i = 0; i < dims.size(); ++i) {
    if (checked[i]) pointers[i] = static_cast<const double*>(checked[i]->data());
  }
  env.FreezeTaskVectors(pointers);  // checks every vector before freezing any
}

py::list TaskVectors(const VecEnv& env) {
  const std::vector<int> dims = env.task_vector_dims();
  py::list out;
  for (size_t i = 0; i < dims.size(); ++i) {
    DoubleArray v(dims[i]);
    env.CurrentTaskVector(static_cast<int>(i), v.mutable_data());
    out.append(v);
  }
  return out;
}

FloatArray SetState(VecEnv& env, const py::object& env_index, const py::object& qpos,
                    const py::object& qvel) {
  const int index = static_cast<int>(args::Integer(env_index, "env", 0, env.num_envs() - 1));
  py::array p = CheckedArray<double>(qpos, "qpos", {kAnyLength}, "float64");
  py::array v = CheckedArray<double>(qvel, "qvel", {kAnyLength}, "float64");
  FloatArray obs(env.obs_dim());
  env.SetState(index, static_cast<const double*>(p.data()), static_cast<int>(p.shape(0)),
               static_cast<const double*>(v.data()), static_cast<int>(v.shape(0)),
               obs.mutable_data());
  return obs;
}

// Rows of `values` as a float64 array of shape (size / columns, columns), or
// 1-D when columns is 0.
DoubleArray StateArray(const std::vector<double>& values, py::ssize_t columns) {
  const py::ssize_t n = static_cast<py::ssize_t>(values.size());
  DoubleArray out = columns == 0 ? DoubleArray(n) : DoubleArray({n / columns, columns});
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

py::dict GetState(const VecEnv& env, const py::object& env_index) {
  const int index = static_cast<int>(args::Integer(env_index, "env", 0, env.num_envs() - 1));
  SimState s;
  {
    py::gil_scoped_release release;
    s = env.GetState(index);
  }
  py::dict out;
  out["qpos"] = StateArray(s.qpos, 0);
  out["qvel"] = StateArray(s.qvel, 0);
  out["mocap_pos"] = StateArray(s.mocap_pos, 3);
  out["mocap_quat"] = StateArray(s.mocap_quat, 4);
  out["body_pos"] = StateArray(s.body_pos, 3);
  out["site_pos"] = StateArray(s.site_pos, 3);
  return out;
}

}  // namespace

void BindEnvs(py::module_& m) {
  m.def("known_task_names", &KnownTaskNames,
        "Names of the tasks this build's engine has (HalfCheetah variants, MetaWorld tasks).");
  m.def(
      "thread_pool_check",
      [](const py::object& num_threads_arg, const py::object& n_arg, const py::object& rounds_arg,
         const py::object& throw_at_arg) {
        const int num_threads =
            static_cast<int>(args::Integer(num_threads_arg, "num_threads", 1, 1024));
        const int n = static_cast<int>(args::Integer(n_arg, "n", 0, 1 << 16));
        const int rounds = static_cast<int>(args::Integer(rounds_arg, "rounds", 1, 100000));
        if (static_cast<int64_t>(n) * rounds > 100000) {  // each index sleeps 50 us
          throw std::invalid_argument("n * rounds must be <= 100000, got n=" + std::to_string(n) +
                                      ", rounds=" + std::to_string(rounds));
        }
        const int throw_at = static_cast<int>(args::Integer(throw_at_arg, "throw_at", -1, n - 1));
        ThreadPoolCheck check;
        {
          py::gil_scoped_release release;
          check = RunThreadPoolCheck(num_threads, n, rounds, throw_at);
        }
        return py::make_tuple(py::array_t<int>(n, check.visits.data()), check.threads_used,
                              check.error);
      },
      py::arg("num_threads"), py::arg("n"), py::arg("rounds") = 1, py::arg("throw_at") = -1,
      "Self-check of the engine's thread pool: (visits per index after the first round, "
      "threads used, message of the exception rethrown in the first round).");
  py::class_<VecEnv>(m, "VecEnv",
                     "A batch of native envs of possibly different tasks, stepped on a thread "
                     "pool with same-step autoreset.")
      .def(py::init(&MakeVecEnv), py::arg("task_names"), py::arg("metaworld_asset_dir"),
           py::arg("gymnasium_asset_dir"), py::arg("seed"), py::arg("num_threads"),
           py::arg("max_episode_steps"))
      .def_property_readonly("num_envs", &VecEnv::num_envs)
      .def_property_readonly("obs_dim", &VecEnv::obs_dim)
      .def_property_readonly("action_dim", &VecEnv::action_dim)
      .def_property_readonly("task_names", &VecEnv::task_names)
      .def_property_readonly("task_vector_dims", &VecEnv::task_vector_dims)
      .def_property_readonly("info_keys", &VecEnv::info_keys,
                             "Names of the columns of step's info array.")
      .def("reset", &Reset, py::arg("seed") = py::none(),
           "Reset every env; a seed reseeds env i's RNG from (seed, i). Returns obs f32 [N, D].")
      .def("step", &Step, py::arg("actions"), py::arg("with_info") = false,
           "Step every env with float32 actions [N, A]. Returns (obs, reward, terminated, "
           "truncated, success, final_obs), and with with_info=True also info f64 [N, K] whose "
           "columns are named by info_keys.")
      .def("step_async", &StepAsync, py::arg("actions"), py::arg("with_info") = false,
           "Start step(actions, with_info) on a background thread and return at once (the "
           "actions are copied); step_wait() returns its results. Until then every other "
           "call raises RuntimeError.")
      .def("step_wait", &StepWait,
           "Wait for the step step_async started and return what step would have returned.")
      .def_property_readonly("step_in_flight", &VecEnv::step_in_flight,
                             "Whether a step started by step_async awaits step_wait.")
      .def("freeze_task_vectors", &FreezeTaskVectors, py::arg("vectors"),
           "Per env: freeze the task vector (float64 array) or unfreeze it (None); takes effect "
           "at the next reset.")
      .def("task_vectors", &TaskVectors, "Task vectors of the current episodes.")
      .def("set_state", &SetState, py::arg("env"), py::arg("qpos"), py::arg("qvel"),
           "Overwrite one env's qpos/qvel; returns its observation f32 [D].")
      .def("get_state", &GetState, py::arg("env"),
           "Copy of one env's simulation state and the model fields its task edits: dict of "
           "float64 arrays qpos [nq], qvel [nv], mocap_pos [nmocap, 3], mocap_quat "
           "[nmocap, 4], body_pos [nbody, 3], site_pos [nsite, 3].");
}

}  // namespace ctpg
