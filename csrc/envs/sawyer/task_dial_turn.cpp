// dial-turn-v3 (SawyerDialTurnEnvV3): turn a dial by pushing a point on its
// rim.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kDialBody, kGoalSite, kKnobJoint };
constexpr double kTargetRadius = 0.07;
constexpr double kDialReachRadius = 0.005;
constexpr double kPushOffset[3] = {0.05, 0.02, 0.09};

void Target(const double* vec, double* out) {
  const double offset[3] = {0.0, 0.03, 0.03};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kDialBody), vec);
  double target[3];
  Target(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

// _get_pos_objects: the dial's frame plus 0.05 along the knob angle.
void DialPoint(const SawyerEnv& env, double* out) {
  const double* center = env.body_xpos(env.id(kDialBody));
  const double angle = env.data()->qpos[env.model()->jnt_qposadr[env.id(kKnobJoint)]];
  const double offset[3] = {std::sin(angle) * 0.05, -std::cos(angle) * 0.05, 0.0 * 0.05};
  for (int i = 0; i < 3; ++i) out[i] = center[i] + offset[i];
}

void PushPosition(const SawyerEnv& env, double* out) {
  DialPoint(env, out);
  for (int i = 0; i < 3; ++i) out[i] += kPushOffset[i];
}

// No forward after the model edits: dial_push_position reads the kinematics
// of the last settling substep.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  Target(vec, s.target_pos.data());
  PushPosition(env, s.aux.data());
}

void Objects(const SawyerEnv& env, double* out) {
  DialPoint(env, out);
  const double* quat = env.data()->xquat + 4 * env.id(kDialBody);
  for (int i = 0; i < 4; ++i) out[3 + i] = quat[i];
}

RewardResult Reward(SawyerEnv& env, const double* /*obs*/, const float* action) {
  const TaskState& s = env.state();
  double obj[3], push[3], tcp[3];
  DialPoint(env, obj);
  PushPosition(env, push);
  env.TcpCenter(tcp);
  const double target_to_obj = Dist3(obj, s.target_pos.data());
  const double target_to_obj_init = Dist3(s.aux.data(), s.target_pos.data());
  const double in_place_margin = std::abs(target_to_obj_init - kTargetRadius);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, in_place_margin, Sigmoid::kLongTail);
  const double tcp_to_obj = Dist3(push, tcp);
  const double tcp_to_obj_init = Dist3(s.aux.data(), s.init_tcp.data());
  const double reach_margin = std::abs(tcp_to_obj_init - kDialReachRadius);
  const double reach_raw =
      Tolerance(tcp_to_obj, 0.0, kDialReachRadius, reach_margin, Sigmoid::kGaussian);
  const PyNum reach = HamacherProduct(PyNum{reach_raw, false}, ClampedEffort(action[3]));
  const PyNum product = HamacherProduct(reach, PyNum{in_place, false});
  // 10 * an np.float32 product stays float32.
  const double reward = product.f32 ? static_cast<double>(10.0f * static_cast<float>(product.value))
                                    : 10.0 * product.value;
  return MakeResult(reward, target_to_obj <= kTargetRadius, tcp_to_obj <= 0.01, 1.0, reach.value,
                    in_place, target_to_obj);
}

}  // namespace

const TaskSpec& DialTurnTask() {
  static const TaskSpec spec = {
      .name = "dial-turn-v3",
      .xml = "sawyer_dial.xml",
      // The Python source keeps hand_init_pos in float32.
      .hand_init = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.7, 0.0},
      .vec_high = {0.1, 0.8, 0.0},
      .goal_low = {-0.1, 0.73, 0.0299},
      .goal_high = {0.1, 0.83, 0.0301},
      .ids = {{{mjOBJ_BODY, "dial"}, {mjOBJ_SITE, "goal"}, {mjOBJ_JOINT, "knob_Joint_1"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
