// Python binding of ctpg::ReplayBuffer: argument checks, numpy outputs, GIL
// release. The semantics are documented on the C++ classes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/replay_docs.h"
#include "replay/replay_buffer.h"

namespace py = pybind11;

namespace ctpg {
namespace {

std::vector<int64_t> BatchPerTask(const py::handle& obj, int64_t num_tasks) {
  py::array a = args::AsArray(obj, "batch_per_task");
  if (a.ndim() == 0) {
    const char kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u') {
      throw std::invalid_argument("batch_per_task must be an int or an int array [" +
                                  std::to_string(num_tasks) + "], got dtype " +
                                  std::string(py::str(a.dtype())));
    }
    const int64_t n = args::Integer(a.attr("item")(), "batch_per_task", INT64_MIN, INT64_MAX);
    return std::vector<int64_t>(num_tasks, n);
  }
  auto v = args::Int64(a, "batch_per_task", {static_cast<py::ssize_t>(num_tasks)});
  return std::vector<int64_t>(v.data(), v.data() + num_tasks);
}

void Add(ReplayBuffer& rb, const py::handle& obs, const py::handle& action,
         const py::handle& reward, const py::handle& next_obs, const py::handle& terminated,
         const py::handle& truncated, const py::handle& behaviour, const py::handle& guide_begin) {
  const ReplayConfig& c = rb.config();
  const py::ssize_t T = c.num_tasks, D = c.obs_dim, A = c.action_dim;
  auto o = args::Float32(obs, "obs", {T, D});
  auto a = args::Float32(action, "action", {T, A});
  auto r = args::Float32(reward, "reward", {T});
  auto n = args::Float32(next_obs, "next_obs", {T, D});
  auto te = args::Bool(terminated, "terminated", {T});
  auto tr = args::Bool(truncated, "truncated", {T});
  py::array_t<int64_t, py::array::c_style> b;
  py::array_t<bool, py::array::c_style> g;
  if (!behaviour.is_none()) b = args::Int64(behaviour, "behaviour", {T});
  if (!guide_begin.is_none()) g = args::Bool(guide_begin, "guide_begin", {T});
  AddBatch batch{o.data(),
                 a.data(),
                 r.data(),
                 n.data(),
                 te.data(),
                 tr.data(),
                 behaviour.is_none() ? nullptr : b.data(),
                 guide_begin.is_none() ? nullptr : g.data()};
  py::gil_scoped_release release;
  rb.Add(batch);
}

py::dict Sample(ReplayBuffer& rb, const py::handle& batch_per_task) {
  const ReplayConfig& c = rb.config();
  const std::vector<int64_t> counts = BatchPerTask(batch_per_task, c.num_tasks);
  const py::ssize_t B = rb.CheckCounts(counts), D = c.obs_dim, A = c.action_dim;
  args::PooledArrays out;
  const size_t obs = out.Declare<float>({B, D}), action = out.Declare<float>({B, A}),
               reward = out.Declare<float>({B}), next_obs = out.Declare<float>({B, D}),
               terminated = out.Declare<bool>({B}), truncated = out.Declare<bool>({B}),
               task = out.Declare<int64_t>({B}), index = out.Declare<int64_t>({B}),
               weight = out.Declare<float>({B});
  out.Allocate("sample: " + std::to_string(B) + " rows (batch_per_task)");
  const TransitionOut ptrs{
      out.Data<float>(obs),      out.Data<float>(action),    out.Data<float>(reward),
      out.Data<float>(next_obs), out.Data<bool>(terminated), out.Data<bool>(truncated),
      out.Data<int64_t>(task),   out.Data<int64_t>(index),   out.Data<float>(weight)};
  {
    py::gil_scoped_release release;
    rb.Sample(counts, ptrs);
  }
  py::dict d;
  d["obs"] = out.Array(obs), d["action"] = out.Array(action), d["reward"] = out.Array(reward);
  d["next_obs"] = out.Array(next_obs), d["terminated"] = out.Array(terminated);
  d["truncated"] = out.Array(truncated), d["task"] = out.Array(task);
  d["index"] = out.Array(index), d["weight"] = out.Array(weight);
  return d;
}

py::dict SampleSegments(ReplayBuffer& rb, const py::handle& batch_per_task) {
  const ReplayConfig& c = rb.config();
  const std::vector<int64_t> counts = BatchPerTask(batch_per_task, c.num_tasks);
  const py::ssize_t B = rb.CheckCounts(counts), K = c.guide_step, D = c.obs_dim, A = c.action_dim;
  args::PooledArrays out;
  const size_t obs = out.Declare<float>({B, K, D}), action = out.Declare<float>({B, K, A}),
               reward = out.Declare<float>({B, K}), next_obs = out.Declare<float>({B, K, D}),
               terminated = out.Declare<bool>({B, K}), truncated = out.Declare<bool>({B, K}),
               valid = out.Declare<bool>({B, K}), behaviour = out.Declare<int64_t>({B}),
               task = out.Declare<int64_t>({B}), index = out.Declare<int64_t>({B});
  out.Allocate("sample_segments: " + std::to_string(B) + " segments (batch_per_task)");
  const SegmentOut ptrs{out.Data<float>(obs),       out.Data<float>(action),
                        out.Data<float>(reward),    out.Data<float>(next_obs),
                        out.Data<bool>(terminated), out.Data<bool>(truncated),
                        out.Data<bool>(valid),      out.Data<int64_t>(behaviour),
                        out.Data<int64_t>(task),    out.Data<int64_t>(index)};
  {
    py::gil_scoped_release release;
    rb.SampleSegments(counts, ptrs);
  }
  py::dict d;
  d["obs"] = out.Array(obs), d["action"] = out.Array(action), d["reward"] = out.Array(reward);
  d["next_obs"] = out.Array(next_obs), d["terminated"] = out.Array(terminated);
  d["truncated"] = out.Array(truncated), d["valid"] = out.Array(valid);
  d["behaviour"] = out.Array(behaviour), d["task"] = out.Array(task);
  d["index"] = out.Array(index);
  return d;
}

void UpdatePriorities(ReplayBuffer& rb, const py::handle& task, const py::handle& index,
                      const py::handle& priority) {
  py::ssize_t n = 0;
  args::Vector(task, "task", &n);
  args::CheckLengthLike(index, "index", n, "entry of task");
  args::CheckLengthLike(priority, "priority", n, "entry of task");
  auto t = args::Int64(task, "task", {n});
  auto i = args::Int64(index, "index", {n});
  py::array p = args::AsArray(priority, "priority");
  if (p.dtype().kind() != 'f' && p.size() != 0) {
    throw std::invalid_argument("priority must be a float array, got dtype " +
                                std::string(py::str(p.dtype())));
  }
  args::CheckShape(p, "priority", {n}, "float64");
  auto pd = args::Native<double>(p, "priority");
  py::gil_scoped_release release;
  rb.UpdatePriorities(n, t.data(), i.data(), pd.data());
}

// A file path: str or os.PathLike of str, in the file system's encoding.
// bytes (which str() would turn into "b'...'") and NUL characters (which would
// cut the path short) are refused.
std::string PathArg(const py::handle& path) {
  const py::module_ os = py::module_::import("os");
  if (!py::isinstance<py::str>(path) && !py::isinstance(path, os.attr("PathLike"))) {
    throw std::invalid_argument("path must be a str or os.PathLike, got " +
                                std::string(py::repr(path)) + " of type " +
                                std::string(py::str(py::type::of(path).attr("__name__"))));
  }
  const py::object p = os.attr("fspath")(path);
  if (!py::isinstance<py::str>(p)) {
    throw std::invalid_argument("path must name a file as str, got " + std::string(py::repr(p)));
  }
  const std::string s = py::bytes(os.attr("fsencode")(p));
  if (s.empty()) throw std::invalid_argument("path must not be empty");
  if (s.find('\0') != std::string::npos) {
    throw std::invalid_argument("path must not contain a NUL character, got " +
                                std::string(py::repr(p)));
  }
  return s;
}

// Every argument arrives as a Python object so that a wrong type is refused
// naming the argument; ReplayBuffer checks their ranges.
std::unique_ptr<ReplayBuffer> Make(const py::object& num_tasks, const py::object& capacity_per_task,
                                   const py::object& obs_dim, const py::object& action_dim,
                                   const py::object& guide_step, const py::object& prioritized,
                                   const py::object& alpha, const py::object& beta,
                                   const py::object& seed) {
  const auto size = [](const py::object& v, const char* name) {
    return args::Integer(v, name, INT64_MIN, INT64_MAX);
  };
  const auto s = static_cast<uint64_t>(args::Integer(seed, "seed", 0, INT64_MAX));
  ReplayConfig c{size(num_tasks, "num_tasks"),
                 size(capacity_per_task, "capacity_per_task"),
                 size(obs_dim, "obs_dim"),
                 size(action_dim, "action_dim"),
                 size(guide_step, "guide_step"),
                 args::Boolean(prioritized, "prioritized"),
                 args::Real(alpha, "alpha"),
                 args::Real(beta, "beta"),
                 s};
  try {
    return std::make_unique<ReplayBuffer>(c);
  } catch (const std::bad_alloc&) {
    args::ThrowMemoryError("ReplayBuffer(num_tasks=" + std::to_string(c.num_tasks) +
                           ", capacity_per_task=" + std::to_string(c.capacity_per_task) +
                           ", obs_dim=" + std::to_string(c.obs_dim) +
                           ", action_dim=" + std::to_string(c.action_dim) + ")");
  }
}

}  // namespace

void BindReplay(py::module_& m) {
  py::class_<ReplayBuffer>(m, "ReplayBuffer", docs::kReplayBuffer)
      .def(py::init(&Make), py::arg("num_tasks"), py::arg("capacity_per_task"), py::arg("obs_dim"),
           py::arg("action_dim"), py::arg("guide_step") = 10, py::arg("prioritized") = false,
           py::arg("alpha") = 0.6, py::arg("beta") = 0.4, py::arg("seed") = 0)
      .def("add", &Add, py::arg("obs"), py::arg("action"), py::arg("reward"), py::arg("next_obs"),
           py::arg("terminated"), py::arg("truncated"), py::arg("behaviour") = py::none(),
           py::arg("guide_begin") = py::none(), docs::kAdd)
      .def(
          "sizes",
          [](const ReplayBuffer& rb) {
            const std::vector<int64_t> sizes = rb.Sizes();
            return py::array_t<int64_t>(static_cast<py::ssize_t>(sizes.size()), sizes.data());
          },
          "Stored rows per task, int64 [num_tasks].")
      .def("sample", &Sample, py::arg("batch_per_task"), docs::kSample)
      .def("sample_segments", &SampleSegments, py::arg("batch_per_task"), docs::kSampleSegments)
      .def("update_priorities", &UpdatePriorities, py::arg("task"), py::arg("index"),
           py::arg("priority"), "Set the priorities of sampled rows (prioritized buffers).")
      .def(
          "save",
          [](const ReplayBuffer& rb, const py::handle& path) {
            const std::string p = PathArg(path);
            py::gil_scoped_release release;
            rb.Save(p);
          },
          py::arg("path"), "Write contents and sampler state to one checksummed file.")
      .def_static(
          "load",
          [](const py::handle& path) {
            const std::string p = PathArg(path);
            py::gil_scoped_release release;
            return ReplayBuffer::Load(p);
          },
          py::arg("path"), "Read a buffer written by save().")
      .def_property_readonly("nbytes", &ReplayBuffer::NBytes,
                             "Bytes of storage: rings, side tables, start index, sum-trees.")
      .def_property_readonly("num_tasks",
                             [](const ReplayBuffer& rb) { return rb.config().num_tasks; })
      .def_property_readonly("capacity_per_task",
                             [](const ReplayBuffer& rb) { return rb.config().capacity_per_task; })
      .def_property_readonly("obs_dim", [](const ReplayBuffer& rb) { return rb.config().obs_dim; })
      .def_property_readonly("action_dim",
                             [](const ReplayBuffer& rb) { return rb.config().action_dim; })
      .def_property_readonly("guide_step",
                             [](const ReplayBuffer& rb) { return rb.config().guide_step; })
      .def_property_readonly("prioritized",
                             [](const ReplayBuffer& rb) { return rb.config().prioritized; })
      .def_property_readonly("alpha", [](const ReplayBuffer& rb) { return rb.config().alpha; })
      .def_property(
          "beta", [](const ReplayBuffer& rb) { return rb.config().beta; },
          [](ReplayBuffer& rb, const py::handle& beta) { rb.set_beta(args::Real(beta, "beta")); });
}

}  // namespace ctpg
