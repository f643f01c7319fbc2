#include "envs/sawyer/reward_utils.h"

#include <cmath>

namespace ctpg {
namespace sawyer {

double Norm2(double x, double y) { return std::sqrt(x * x + y * y); }

double Norm3(const double* v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

double Dist3(const double* a, const double* b) {
  const double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  return Norm3(d);
}

namespace {

// numpy: scale = sqrt(1 / 0.1 - 1); 1 / ((d * scale) ** 2 + 1).
double LongTail(double d) {
  const double scale = std::sqrt(1.0 / 0.1 - 1.0);
  const double s = d * scale;
  return 1.0 / (s * s + 1.0);
}

// numpy: scale = sqrt(-2 * log(0.1)); exp(-0.5 * (d * scale) ** 2).
double Gaussian(double d) {
  const double scale = std::sqrt(-2.0 * std::log(0.1));
  const double s = d * scale;
  return std::exp(-0.5 * (s * s));
}

}  // namespace

double Tolerance(double x, double lower, double upper, double margin, Sigmoid sigmoid) {
  const bool in_bounds = lower <= x && x <= upper;
  if (margin == 0.0) return in_bounds ? 1.0 : 0.0;
  if (in_bounds) return 1.0;
  const double d = (x < lower ? lower - x : x - upper) / margin;
  return sigmoid == Sigmoid::kLongTail ? LongTail(d) : Gaussian(d);
}

PyNum HamacherProduct(PyNum a, PyNum b) {
  if (a.f32 || b.f32) {
    const float fa = static_cast<float>(a.value);
    const float fb = static_cast<float>(b.value);
    const float prod = fa * fb;
    const float denominator = fa + fb - prod;
    if (!(denominator > 0.0f)) return PyNum{0.0, false};
    return PyNum{static_cast<double>(prod / denominator), true};
  }
  const double denominator = a.value + b.value - a.value * b.value;
  if (!(denominator > 0.0)) return PyNum{0.0, false};
  return PyNum{(a.value * b.value) / denominator, false};
}

PyNum AddPyFloat(PyNum a, double b) {
  if (a.f32) {
    return PyNum{static_cast<double>(static_cast<float>(a.value) + static_cast<float>(b)), true};
  }
  return PyNum{a.value + b, false};
}

double RectPrismTolerance(const double* curr, const double* zero, const double* one) {
  for (int i = 0; i < 3; ++i) {
    const bool in_range = one[i] >= zero[i] ? (zero[i] <= curr[i] && curr[i] <= one[i])
                                            : (one[i] <= curr[i] && curr[i] <= zero[i]);
    if (!in_range) return 1.0;
  }
  const double x_scale = (curr[0] - zero[0]) / (one[0] - zero[0]);
  const double y_scale = (curr[1] - zero[1]) / (one[1] - zero[1]);
  const double z_scale = (curr[2] - zero[2]) / (one[2] - zero[2]);
  return x_scale * y_scale * z_scale;
}

PyNum ScaledEffort(float a, double desired) {
  if (!(a > 0.0f)) return PyNum{0.0, false};
  if (static_cast<float>(desired) < a) return PyNum{1.0, false};  // desired / desired
  return PyNum{static_cast<double>(a / static_cast<float>(desired)), true};
}

PyNum MeanWithPyFloat(PyNum a, double b) {
  if (a.f32) {
    const float sum = static_cast<float>(a.value) + static_cast<float>(b);
    return PyNum{static_cast<double>(sum / 2.0f), true};
  }
  return PyNum{(a.value + b) / 2.0, false};
}

}  // namespace sawyer
}  // namespace ctpg
