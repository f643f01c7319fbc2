// The pybind11 module ctpg._core: registrations only. Each part of the engine
// binds itself in csrc/bindings/<part>.cpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/array_args.h"
#include "common/file_error.h"
#include "common/mujoco_util.h"

namespace py = pybind11;

namespace ctpg {
void BindReplay(py::module_& m);
void BindScheduler(py::module_& m);
void BindEnvs(py::module_& m);
}  // namespace ctpg

PYBIND11_MODULE(_core, m) {
  m.doc() = "ctpg native core: MuJoCo engine, replay and guide scheduling";
  // File-system failures become OSError(errno, message, filename): Python picks
  // the subclass (FileNotFoundError, PermissionError, ...) from errno.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ctpg::FileError& e) {
      const py::object error = py::reinterpret_borrow<py::object>(PyExc_OSError)(
          e.error(), e.what(), py::module_::import("os").attr("fsdecode")(py::bytes(e.path())));
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    }
  });
  m.def("mujoco_version", &ctpg::MujocoVersion,
        "Version of the MuJoCo library this extension is linked against.");
  m.def(
      "simulate_xml",
      [](const py::handle& xml_arg, const py::handle& num_steps_arg) {
        const std::string xml = ctpg::args::Text(xml_arg, "xml");
        const int num_steps =
            static_cast<int>(ctpg::args::Integer(num_steps_arg, "num_steps", 0, 1 << 20));
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
