// Reward shaping helpers of MetaWorld v3 (tolerance with sigmoids, Hamacher
// product, rectangular-prism tolerance) with numpy's numerics: the same
// operation order, and float32 arithmetic where numpy's type promotion makes
// the Python reference compute in float32.
#pragma once

namespace ctpg {
namespace sawyer {

enum class Sigmoid { kLongTail, kGaussian };

// Euclidean norms as np.linalg.norm: sqrt of x*x + y*y (+ z*z) summed left to
// right without fma. numpy's result comes from OpenBLAS's ddot kernel, which
// is chosen per CPU: this order matches it bit for bit on AVX-512 machines;
// kernels that accumulate with fma differ by at most 1 ulp.
double Norm2(double x, double y);
double Norm3(const double* v);
// |a - b| for 3-vectors.
double Dist3(const double* a, const double* b);
// numpy's norm of vec[0:2] - vec[3:5] (object vs goal in the plane).
inline double PlanarGap(const double* vec) { return Norm2(vec[0] - vec[3], vec[1] - vec[4]); }

// 1 inside [lower, upper], a sigmoid of the distance / margin outside
// (value 0.1 at distance == margin). margin == 0 gives a step.
double Tolerance(double x, double lower, double upper, double margin, Sigmoid sigmoid);

// A number as the Python reference holds it: a double (Python float or
// np.float64) or an np.float32 scalar. NumPy 2 computes mixed Python-float /
// np.float32 arithmetic in float32, so results must remember which it was.
struct PyNum {
  double value = 0.0;
  bool f32 = false;
};

// (a * b) / (a + b - a * b), 0 when the denominator is not positive; float32
// arithmetic when either argument is float32.
PyNum HamacherProduct(PyNum a, PyNum b);
inline double HamacherProduct(double a, double b) {
  return HamacherProduct(PyNum{a, false}, PyNum{b, false}).value;
}

// a + b for a Python float b: float32 arithmetic when a is float32.
PyNum AddPyFloat(PyNum a, double b);

// x_scale * y_scale * z_scale inside the prism spanned by zero..one, else 1.
double RectPrismTolerance(const double* curr, const double* zero, const double* one);

// Python's min(max(0, a), desired) / desired on an np.float32 action entry
// (NumPy compares and divides in float32).
PyNum ScaledEffort(float a, double desired);

// Python's min(max(0, a), 1) on an np.float32 action entry.
inline PyNum ClampedEffort(float a) { return ScaledEffort(a, 1.0); }

// (a + b) / 2 for a Python float b: float32 arithmetic when a is float32.
PyNum MeanWithPyFloat(PyNum a, double b);

}  // namespace sawyer
}  // namespace ctpg
