// Python binding of ctpg::GuideScheduler: argument checks and numpy views.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "guide/guide_scheduler.h"

namespace py = pybind11;

namespace ctpg {
namespace {

std::vector<uint8_t> BoolVector(const py::handle& obj, const char* name, int64_t n) {
  auto a = args::Bool(obj, name, {static_cast<py::ssize_t>(n)});
  return std::vector<uint8_t>(a.data(), a.data() + n);
}

std::vector<int64_t> IntVector(const py::handle& obj, const char* name, py::ssize_t n) {
  auto a = args::Int64(obj, name, {n});
  return std::vector<int64_t>(a.data(), a.data() + n);
}

template <typename T>
py::array_t<T> ToArray(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array_t<bool> ToBoolArray(const std::vector<uint8_t>& v) {
  py::array_t<bool> a(static_cast<py::ssize_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) a.mutable_data()[i] = v[i] != 0;
  return a;
}

// Sizes arrive as Python objects so that a bool, float or string is refused
// naming the argument; GuideScheduler checks their ranges.
std::unique_ptr<GuideScheduler> Make(const py::handle& num_envs_arg,
                                     const py::handle& guide_step_arg,
                                     const py::handle& task_of_env) {
  const int64_t num_envs = args::Integer(num_envs_arg, "num_envs", INT64_MIN, INT64_MAX);
  const int64_t guide_step = args::Integer(guide_step_arg, "guide_step", INT64_MIN, INT64_MAX);
  std::vector<int64_t> tasks;
  if (!task_of_env.is_none()) {
    if (num_envs < 1) throw std::invalid_argument("num_envs must be >= 1");
    args::CheckLengthLike(task_of_env, "task_of_env", num_envs, "env, num_envs");
    tasks = IntVector(task_of_env, "task_of_env", num_envs);
  }
  return std::make_unique<GuideScheduler>(num_envs, guide_step, std::move(tasks));
}

py::dict StateDict(const GuideScheduler& g) {
  const GuideSchedulerState& s = g.state();
  py::dict d;
  d["num_envs"] = s.num_envs;
  d["guide_step"] = s.guide_step;
  d["task_of_env"] = ToArray(s.task_of_env);
  d["episode_step"] = ToArray(s.episode_step);
  d["behaviour"] = ToArray(s.behaviour);
  d["blocked"] = ToBoolArray(s.blocked);
  d["blocked_next"] = ToBoolArray(s.blocked_next);
  d["choosing"] = ToBoolArray(s.choosing);
  d["in_step"] = s.in_step;
  return d;
}

void LoadStateDict(GuideScheduler& g, const py::handle& obj) {
  if (!py::isinstance<py::dict>(obj)) {
    throw std::invalid_argument("state_dict must be a dict (from state_dict()), got " +
                                std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  const py::dict d = py::reinterpret_borrow<py::dict>(obj);
  for (const char* key : {"num_envs", "guide_step", "task_of_env", "episode_step", "behaviour",
                          "blocked", "blocked_next", "choosing", "in_step"}) {
    if (!d.contains(key)) throw std::invalid_argument(std::string("state_dict lacks key ") + key);
  }
  GuideSchedulerState s;
  s.num_envs = args::Integer(d["num_envs"], "state_dict['num_envs']", 0, INT64_MAX);
  s.guide_step = args::Integer(d["guide_step"], "state_dict['guide_step']", 0, INT64_MAX);
  const py::ssize_t n = g.num_envs();
  s.task_of_env = IntVector(d["task_of_env"], "state_dict['task_of_env']", n);
  s.episode_step = IntVector(d["episode_step"], "state_dict['episode_step']", n);
  s.behaviour = IntVector(d["behaviour"], "state_dict['behaviour']", n);
  s.blocked = BoolVector(d["blocked"], "state_dict['blocked']", n);
  s.blocked_next = BoolVector(d["blocked_next"], "state_dict['blocked_next']", n);
  s.choosing = BoolVector(d["choosing"], "state_dict['choosing']", n);
  s.in_step = args::Boolean(d["in_step"], "state_dict['in_step']");
  try {
    g.LoadState(s);  // checks the fields against each other
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("state_dict: ") + e.what());
  }
}

}  // namespace

constexpr char kSchedulerDoc[] = R"(Per-env guide-step bookkeeping: when to choose a behaviour task.

GuideScheduler(num_envs, guide_step, task_of_env=None)  (default: env i is task i)

Each environment step:
    need = sched.begin_step()          # bool [N]: envs that choose now
    sched.set_behaviour(np.flatnonzero(need), chosen_tasks)
    behaviour = sched.behaviour()      # int64 [N]: whose policy acts
    begin = sched.boundary()           # bool [N]: K-step window starts, blocked too
    ... step the envs; replay.add(..., behaviour=behaviour, guide_begin=begin) ...
    sched.end_step(terminated | truncated)

An env chooses at its episode start and every guide_step steps after it; a
choice lasts guide_step steps or until the episode ends. Until it is made, and
for blocked envs, the behaviour task is the env's own task. set_blocked takes
effect for each env at its next episode start; a blocked env never chooses.
state_dict() / load_state_dict() save and restore everything.)";

void BindScheduler(py::module_& m) {
  py::class_<GuideScheduler>(m, "GuideScheduler", kSchedulerDoc)
      .def(py::init(&Make), py::arg("num_envs"), py::arg("guide_step"),
           py::arg("task_of_env") = py::none())
      .def(
          "begin_step", [](GuideScheduler& g) { return ToBoolArray(g.BeginStep()); },
          "bool [N]: envs that must choose a behaviour task at this step.")
      .def(
          "set_behaviour",
          [](GuideScheduler& g, const py::handle& env_ids, const py::handle& tasks) {
            py::ssize_t n = 0;
            args::Vector(env_ids, "env_ids", &n);
            args::CheckLengthLike(tasks, "tasks", n, "entry of env_ids");
            g.SetBehaviour(IntVector(env_ids, "env_ids", n), IntVector(tasks, "tasks", n));
          },
          py::arg("env_ids"), py::arg("tasks"), "Record the chosen tasks of deciding envs.")
      .def(
          "behaviour", [](const GuideScheduler& g) { return ToArray(g.Behaviour()); },
          "int64 [N]: the task whose policy acts for each env at this step.")
      .def(
          "boundary", [](const GuideScheduler& g) { return ToBoolArray(g.Boundary()); },
          "bool [N]: envs whose step starts a guide_step window, blocked envs included "
          "(the replay's guide_begin).")
      .def(
          "end_step",
          [](GuideScheduler& g, const py::handle& done) {
            g.EndStep(BoolVector(done, "done", g.num_envs()));
          },
          py::arg("done"), "Finish the step; done = terminated | truncated.")
      .def(
          "set_blocked",
          [](GuideScheduler& g, const py::handle& blocked) {
            g.SetBlocked(BoolVector(blocked, "blocked", g.num_envs()));
          },
          py::arg("blocked"), "Block envs from their next episode start on.")
      .def("state_dict", &StateDict)
      .def("load_state_dict", &LoadStateDict, py::arg("state_dict"))
      .def_property_readonly("num_envs", &GuideScheduler::num_envs)
      .def_property_readonly("num_tasks", &GuideScheduler::num_tasks)
      .def_property_readonly("guide_step",
                             [](const GuideScheduler& g) { return g.state().guide_step; });
}

}  // namespace ctpg
