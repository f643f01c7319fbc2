// The pybind11 module ctpg._core: registrations only. Each part of the engine
// binds itself in csrc/bindings/<part>.cpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common/mujoco_util.h"

namespace py = pybind11;

namespace ctpg {
void BindReplay(py::module_& m);
void BindScheduler(py::module_& m);
void BindEnvs(py::module_& m);
}  // namespace ctpg

PYBIND11_MODULE(_core, m) {
  m.doc() = "ctpg native core: MuJoCo engine, replay and guide scheduling";
  m.def("mujoco_version", &ctpg::MujocoVersion,
        "Version of the MuJoCo library this extension is linked against.");
  m.def(
      "simulate_xml",
      [](const std::string& xml, int num_steps) {
        std::vector<double> state;
        {
          py::gil_scoped_release release;
          state = ctpg::SimulateXml(xml, num_steps);
        }
        return py::array_t<double>(static_cast<py::ssize_t>(state.size()), state.data());
      },
      py::arg("xml"), py::arg("num_steps"),
      "Compile an MJCF string in C++, step it num_steps times, return qpos ++ qvel.");
  ctpg::BindReplay(m);
  ctpg::BindScheduler(m);
  ctpg::BindEnvs(m);
}
