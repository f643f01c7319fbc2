// Argument checks shared by the replay and scheduler bindings: each turns a
// Python object into a C-contiguous numpy array of the expected dtype and
// shape, or raises ValueError naming the argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "replay/block_pool.h"

namespace ctpg::args {

namespace py = pybind11;

inline std::string ShapeString(const std::vector<py::ssize_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// True when an array of dtype `dt` holds values of type T: its dtype equals
// T's up to byte order. Equality, not identity: arrays that came through
// pickle or another library carry equal dtype objects that are not numpy's own,
// and may carry metadata.
template <typename T>
bool HoldsType(const py::dtype& dt) {
  const py::dtype want = py::dtype::of<T>();
  return dt.kind() == want.kind() && dt.itemsize() == want.itemsize();
}

// `a` as a C-contiguous array of T in native byte order: `a` itself when it
// already is one, else a copy. Every entry point converts this one way.
template <typename T>
py::array_t<T, py::array::c_style> Native(const py::array& a, const char* name) {
  auto out = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!out) {
    throw std::invalid_argument(std::string(name) + ": cannot convert dtype " +
                                std::string(py::str(a.dtype())) + " to " +
                                std::string(py::str(py::dtype::of<T>())));
  }
  return out;
}

// Raises MemoryError with `what`: for requests within every argument's range
// that are larger than the memory this process can get.
[[noreturn]] inline void ThrowMemoryError(const std::string& what) {
  PyErr_SetString(PyExc_MemoryError, (what + ": not enough memory").c_str());
  throw py::error_already_set();
}

// A Python int or numpy integer within [lo, hi]; bool is refused (True is not
// a seed or a count), as are floats and strings.
inline int64_t Integer(const py::handle& obj, const char* name, int64_t lo, int64_t hi) {
  const bool is_bool =
      PyBool_Check(obj.ptr()) || py::isinstance(obj, py::module_::import("numpy").attr("bool_"));
  if (is_bool || !PyIndex_Check(obj.ptr())) {
    throw std::invalid_argument(std::string(name) + " must be an int, got " +
                                std::string(py::repr(obj)) + " of type " +
                                std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  const py::int_ value = py::reinterpret_steal<py::int_>(PyNumber_Index(obj.ptr()));
  if (!value) {  // an array that is not one integer, or an __index__ that fails
    PyErr_Clear();
    throw std::invalid_argument(std::string(name) + " must be an int, got " +
                                std::string(py::repr(obj)));
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0 || v < lo || v > hi) {
    throw std::invalid_argument(std::string(name) + " must be in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "], got " + std::string(py::repr(value)));
  }
  return v;
}

// A Python float or int, or a numpy real scalar; bool and strings are refused.
inline double Real(const py::handle& obj, const char* name) {
  const py::module_ np = py::module_::import("numpy");
  const bool is_bool = PyBool_Check(obj.ptr()) || py::isinstance(obj, np.attr("bool_"));
  const bool is_real = PyFloat_Check(obj.ptr()) || PyIndex_Check(obj.ptr()) ||
                       py::isinstance(obj, np.attr("floating"));
  if (is_bool || !is_real) {
    throw std::invalid_argument(std::string(name) + " must be a real number, got " +
                                std::string(py::repr(obj)) + " of type " +
                                std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  const double v = PyFloat_AsDouble(obj.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();  // an int too large for a double
    throw std::invalid_argument(std::string(name) + " is out of the range of a float64, got " +
                                std::string(py::repr(obj)));
  }
  return v;
}

// A Python str.
inline std::string Text(const py::handle& obj, const char* name) {
  if (!py::isinstance<py::str>(obj)) {
    throw std::invalid_argument(std::string(name) + " must be a str, got " +
                                std::string(py::repr(obj)) + " of type " +
                                std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  return obj.cast<std::string>();
}

// A list or tuple (or other sequence that is not a str, bytes or dict); each
// element is read by `element(item, "name[i]")`.
template <typename F>
auto List(const py::handle& obj, const char* name, F element)
    -> std::vector<decltype(element(obj, name))> {
  if (!PySequence_Check(obj.ptr()) || py::isinstance<py::str>(obj) ||
      py::isinstance<py::bytes>(obj) || py::isinstance<py::dict>(obj)) {
    throw std::invalid_argument(std::string(name) + " must be a list or tuple, got " +
                                std::string(py::repr(obj)) + " of type " +
                                std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  const Py_ssize_t size = PySequence_Size(obj.ptr());
  if (size < 0) {  // a 0-d array, or a __len__ that fails
    PyErr_Clear();
    throw std::invalid_argument(std::string(name) + " must be a list or tuple, got " +
                                std::string(py::repr(obj)));
  }
  const py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  std::vector<decltype(element(obj, name))> out;
  out.reserve(static_cast<size_t>(size));
  for (Py_ssize_t i = 0; i < size; ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    out.push_back(element(seq[static_cast<size_t>(i)], item.c_str()));
  }
  return out;
}

// A Python bool or numpy bool; ints and strings are refused.
inline bool Boolean(const py::handle& obj, const char* name) {
  if (PyBool_Check(obj.ptr())) return obj.ptr() == Py_True;
  if (py::isinstance(obj, py::module_::import("numpy").attr("bool_"))) {
    return obj.attr("item")().ptr() == Py_True;
  }
  throw std::invalid_argument(std::string(name) + " must be a bool, got " +
                              std::string(py::repr(obj)));
}

inline py::array AsArray(const py::handle& obj, const char* name) {
  py::array a = py::array::ensure(obj);
  if (!a) throw std::invalid_argument(std::string(name) + " must be an array");
  return a;
}

inline void CheckShape(const py::array& a, const char* name, const std::vector<py::ssize_t>& shape,
                       const char* dtype) {
  std::vector<py::ssize_t> got(a.shape(), a.shape() + a.ndim());
  if (got != shape) {
    throw std::invalid_argument(std::string(name) + " must have shape " + ShapeString(shape) +
                                " (" + dtype + "), got shape " + ShapeString(got));
  }
}

// Throws when `obj` is a 1-d array whose length is not n, which `like` explains
// ("entry of task"): the message names both arguments. Anything else is left to the
// argument's own checks.
inline void CheckLengthLike(const py::handle& obj, const char* name, py::ssize_t n,
                            const char* like) {
  if (!py::isinstance<py::array>(obj)) return;
  const py::array a = py::reinterpret_borrow<py::array>(obj);
  if (a.ndim() == 1 && a.shape(0) != n) {
    throw std::invalid_argument(std::string(name) + " must have " + std::to_string(n) +
                                " entries (one per " + like + "), got " +
                                std::to_string(a.shape(0)));
  }
}

// Throws unless every finite value of `a` stays finite as a float32 (1e300
// would become inf, and then be reported as a non-finite input).
inline void CheckFitsFloat32(const py::array_t<double, py::array::c_style>& a, const char* name) {
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    const double x = a.data()[i];
    if (std::isfinite(x) && std::fabs(x) > std::numeric_limits<float>::max()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.6g", x);
      throw std::invalid_argument(std::string(name) + " holds " + buf + " at flat index " +
                                  std::to_string(i) + ", outside the float32 range");
    }
  }
}

// Floating arrays of any precision, stored as float32.
inline py::array_t<float, py::array::c_style> Float32(const py::handle& obj, const char* name,
                                                      const std::vector<py::ssize_t>& shape) {
  py::array a = AsArray(obj, name);
  if (a.dtype().kind() != 'f' && a.size() != 0) {
    throw std::invalid_argument(std::string(name) + " must be a float array, got dtype " +
                                std::string(py::str(a.dtype())));
  }
  CheckShape(a, name, shape, "float32");
  if (a.dtype().itemsize() > 4) CheckFitsFloat32(Native<double>(a, name), name);
  return Native<float>(a, name);
}

inline py::array_t<bool, py::array::c_style> Bool(const py::handle& obj, const char* name,
                                                  const std::vector<py::ssize_t>& shape) {
  py::array a = AsArray(obj, name);
  if (a.dtype().kind() != 'b' && a.size() != 0) {
    throw std::invalid_argument(std::string(name) + " must be a bool array, got dtype " +
                                std::string(py::str(a.dtype())));
  }
  CheckShape(a, name, shape, "bool");
  return Native<bool>(a, name);
}

inline py::array_t<int64_t, py::array::c_style> Int64(const py::handle& obj, const char* name,
                                                      const std::vector<py::ssize_t>& shape) {
  py::array a = AsArray(obj, name);
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u' && a.size() != 0) {
    throw std::invalid_argument(std::string(name) + " must be an integer array, got dtype " +
                                std::string(py::str(a.dtype())));
  }
  CheckShape(a, name, shape, "int64");
  if (kind == 'u' && a.itemsize() == 8) {  // uint64 may not fit int64
    py::array_t<uint64_t, py::array::c_style | py::array::forcecast> u(a);
    for (py::ssize_t i = 0; i < u.size(); ++i) {
      if (u.data()[i] > static_cast<uint64_t>(INT64_MAX)) {
        throw std::invalid_argument(std::string(name) + " holds a value too large for int64");
      }
    }
  }
  return Native<int64_t>(a, name);
}

// 1-d array of any length; returns its length through `n`.
inline py::array Vector(const py::handle& obj, const char* name, py::ssize_t* n) {
  py::array a = AsArray(obj, name);
  if (a.ndim() != 1) {
    throw std::invalid_argument(std::string(name) + " must be 1-dimensional, got " +
                                std::to_string(a.ndim()) + " dimensions");
  }
  *n = a.shape(0);
  return a;
}

// Output arrays carved from one pooled block (see replay/block_pool.h); the
// block returns to the pool when the last of its arrays is garbage collected.
class PooledArrays {
 public:
  // Declares an array; returns its position for Data/Array.
  template <typename T>
  size_t Declare(std::vector<py::ssize_t> shape) {
    // Sizes that overflow are recorded as too large; Allocate reports them.
    constexpr size_t kTooLarge = size_t{1} << 62;
    size_t n = sizeof(T);
    for (py::ssize_t d : shape) {
      if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n) || n > kTooLarge) n = kTooLarge;
    }
    specs_.push_back({offset_, std::move(shape), py::dtype::of<T>()});
    offset_ = std::min(offset_ + (n + 63) / 64 * 64, kTooLarge);
    too_large_ = too_large_ || offset_ >= kTooLarge;
    return specs_.size() - 1;
  }
  // Acquires the block once every array is declared; `what` names the request in a MemoryError.
  void Allocate(const std::string& what) {
    if (too_large_) ThrowMemoryError(what + ", more than 2**62 bytes");
    BlockPool::Block acquired{};
    try {
      acquired = BlockPool::Shared().Acquire(offset_);
    } catch (const std::bad_alloc&) {
      ThrowMemoryError(what + ", " + std::to_string(offset_) + " bytes");
    }
    auto* block = new BlockPool::Block(acquired);
    base_ = py::capsule(block, [](void* b) {
      auto* blk = static_cast<BlockPool::Block*>(b);
      BlockPool::Shared().Release(*blk);
      delete blk;
    });
    data_ = static_cast<char*>(block->p);
  }
  template <typename T>
  T* Data(size_t i) const {
    return reinterpret_cast<T*>(data_ + specs_[i].offset);
  }
  py::array Array(size_t i) const {
    return py::array(specs_[i].dtype, specs_[i].shape, data_ + specs_[i].offset, base_);
  }

 private:
  struct Spec {
    size_t offset;
    std::vector<py::ssize_t> shape;
    py::dtype dtype;
  };
  std::vector<Spec> specs_;
  size_t offset_ = 0;
  bool too_large_ = false;
  py::capsule base_;
  char* data_ = nullptr;
};

}  // namespace ctpg::args
